#!/bin/sh
# usage: static-hello.sh OUT [CC]: build /tests/hello.c as a static binary into OUT/hello, check that
# it has no ELF interpreter (truly static), and run it once.
set -eu
out=$1
cc=${2:-gcc}
mkdir -p "$out"
"$cc" -static -O2 -o "$out/hello" /tests/hello.c
if readelf -l "$out/hello" | grep -q 'Requesting program interpreter'; then
	echo "$out/hello is dynamically linked" >&2
	exit 1
fi
"$out/hello"
