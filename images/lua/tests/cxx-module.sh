# Build a C++ module with luarocks (builtin backend, g++ through gcc) into a rocks tree at
# DEST/rocks, offline, then require it.
# usage: sh cxx-module.sh VERSION DEST
set -eu
version=$1
dest=$2
mkdir -p "$dest"
cp -r /tests/hellocxx-rock "$dest/cxxsrc"
cd "$dest/cxxsrc"
luarocks --lua-version "$version" --tree "$dest/rocks" make hellocxx-1.0-1.rockspec >/dev/null
cd /
rm -rf "$dest/cxxsrc"
"lua$version" -e "package.cpath = '$dest/rocks/lib/lua/$version/?.so;' .. package.cpath" \
  -e 'print("c++ module says " .. require("hellocxx").answer())'
