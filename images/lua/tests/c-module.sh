# Build a C module with luarocks (builtin backend, gcc) into a rocks tree at DEST/rocks, offline,
# then require it.
# usage: sh c-module.sh VERSION DEST
set -eu
version=$1
dest=$2
mkdir -p "$dest"
cp -r /tests/hello-rock "$dest/src"
cd "$dest/src"
luarocks --lua-version "$version" --tree "$dest/rocks" make hello-1.0-1.rockspec >/dev/null
cd /
rm -rf "$dest/src"
"lua$version" -e "package.cpath = '$dest/rocks/lib/lua/$version/?.so;' .. package.cpath" \
  -e 'print("c module says " .. require("hello").answer())'
