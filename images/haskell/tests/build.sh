# Compile hello.hs with ghc into DEST/hello (Haskell libraries linked statically, libc/libgmp/libffi
# dynamically), then run it.
# usage: sh build.sh DEST
set -eu
dest=$1
mkdir -p "$dest" /tmp/ghc-build
ghc -v0 -O -outputdir /tmp/ghc-build -o "$dest/hello" /tests/hello.hs
"$dest/hello"
