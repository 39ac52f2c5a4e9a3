// Load and use each package that DIR/package.json depends on, each with a native addon (N-API),
// the way apps do; print one line if all of them work.
// usage: node addons.js DIR
"use strict";
const path = require("path");

const dir = process.argv[2];
const names = Object.keys(require(path.join(dir, "package.json")).dependencies);
const load = (name) => require(require.resolve(name, { paths: [dir] }));
const expect = (ok, what) => {
  if (!ok) throw new Error(what);
};

const checks = {
  // libvips with its codecs, prebuilt for glibc
  sharp: async (sharp) => {
    const red = { width: 8, height: 8, channels: 3, background: { r: 200, g: 0, b: 0 } };
    const png = await sharp({ create: red }).png().toBuffer();
    const meta = await sharp(png).metadata();
    expect(meta.format === "png" && meta.width === 8, `made ${meta.format} ${meta.width}`);
  },
  // napi-rs (Rust)
  "@node-rs/bcrypt": (bcrypt) => {
    expect(bcrypt.verifySync("wren", bcrypt.hashSync("wren", 4)), "a hash that does not verify");
  },
  // napi-rs with Skia (C++)
  "@napi-rs/canvas": (canvas) => {
    const drawing = canvas.createCanvas(16, 16);
    const context = drawing.getContext("2d");
    context.fillStyle = "#000";
    context.fillRect(0, 0, 8, 8);
    expect(drawing.toBuffer("image/png").readUInt32BE(0) === 0x89504e47, "not a PNG");
  },
};

(async () => {
  const failures = [];
  for (const name of names) {
    try {
      expect(checks[name], "addons.js has no check for it");
      await checks[name](load(name));
    } catch (error) {
      failures.push(`${name}: ${error.message.split("\n")[0]}`);
    }
  }
  if (failures.length || !names.length) {
    console.log(failures.join("\n") || "no addons to check");
    process.exit(1);
  }
  console.log("native addons from npm work");
})();
