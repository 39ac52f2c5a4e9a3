fn main() {
    let mut birds = vec!["wren", "tit", "robin"];
    birds.sort();
    println!("{} birds: {}", birds.len(), birds.join(", "));
}
