# Compile Trust.cs with mcs into DEST/trust.exe, then run it.
# usage: sh trust.sh DEST
set -eu
dest=$1
mkdir -p "$dest"
mcs -nologo -out:"$dest/trust.exe" /tests/Trust.cs
mono "$dest/trust.exe"
