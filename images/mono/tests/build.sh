# Compile Hello.cs with mcs into DEST/hello.exe, then run it.
# usage: sh build.sh DEST
set -eu
dest=$1
mkdir -p "$dest"
mcs -nologo -out:"$dest/hello.exe" /tests/hello.cs
mono "$dest/hello.exe"
