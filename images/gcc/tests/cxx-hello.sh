#!/bin/sh
# usage: cxx-hello.sh OUT [CXX]: build /tests/hello.cpp, dynamically linked against libstdc++,
# into OUT/hello, check that it is dynamic, and run it once.
set -eu
out=$1
cxx=${2:-g++}
mkdir -p "$out"
"$cxx" -O2 -o "$out/hello" /tests/hello.cpp
readelf -d "$out/hello" | grep -q 'NEEDED.*libstdc++' || { echo "$out/hello does not link libstdc++" >&2; exit 1; }
"$out/hello"
