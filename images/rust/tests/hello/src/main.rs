use std::thread;

extern "C" {
    fn getuid() -> u32;
}

fn main() {
    // a thread and a heap string: libc, the loader and libgcc_s (unwinding) from the run image
    let uid = thread::spawn(|| unsafe { getuid() }).join().unwrap();
    let words: Vec<String> = vec!["hello".into(), "from".into(), "rust".into()];
    println!("{} as uid {}", words.join(" "), uid);
}
