const birds = ["wren", "tit", "robin"].sort();
console.log(`${birds.length} birds: ${birds.join(", ")}`);
