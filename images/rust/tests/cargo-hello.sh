#!/bin/sh
# usage: cargo-hello.sh OUT: `cargo build --release --offline` of the dependency-free crate in
# /tests/hello, copy the binary to OUT/hello and run it once.
set -eu
out=$1
mkdir -p "$out"
export HOME=/tmp/cargo-home CARGO_HOME=/tmp/cargo-home CARGO_TARGET_DIR=/tmp/cargo-target
rm -rf /tmp/hello-crate && cp -r /tests/hello /tmp/hello-crate
cd /tmp/hello-crate
cargo build --release --offline --quiet
cp "$CARGO_TARGET_DIR/release/hello" "$out/hello"
"$out/hello"
