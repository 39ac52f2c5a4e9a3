const addon = require("./build/Release/hello.node");
console.log("native addon says", addon.answer());
