#!/bin/sh
# usage: c-hello.sh OUT CC: build /tests/hello.c (C11) with CC into OUT/hello-c and run it once.
set -eu
out=$1
cc=$2
mkdir -p "$out"
"$cc" -std=c11 -O2 -o "$out/hello-c" /tests/hello.c
"$out/hello-c"
