# Build a module with luarocks (builtin backend: gcc, g++ for a C++ one) from /tests/NAME-rock into
# a rocks tree at DEST/rocks, offline, then require it: "LABEL says 42".
# usage: sh module.sh VERSION DEST NAME LABEL
set -eu
version=$1
dest=$2
name=$3
label=$4
mkdir -p "$dest"
cp -r "/tests/$name-rock" "$dest/src-$name"
cd "$dest/src-$name"
luarocks --lua-version "$version" --tree "$dest/rocks" make "$name-1.0-1.rockspec" >/dev/null
cd /
rm -rf "$dest/src-$name"
"lua$version" -e "package.cpath = '$dest/rocks/lib/lua/$version/?.so;' .. package.cpath" \
  -e "print('$label says ' .. require('$name').answer())"
