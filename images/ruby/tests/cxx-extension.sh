# Build a C++ extension with mkmf (ruby extconf.rb && make), offline, into DEST/lib, then load it.
# usage: sh cxx-extension.sh RUBY DEST
set -eu
ruby=$1
dest=$2
mkdir -p "$dest/lib"
cp -r /tests/hellocxx-ext "$dest/cxxsrc"
cd "$dest/cxxsrc"
"$ruby" extconf.rb >/dev/null
make >/dev/null
cp hellocxx.so "$dest/lib/"
cd /
rm -rf "$dest/cxxsrc"
"$ruby" -I "$dest/lib" -e 'require "hellocxx"; puts "c++ extension says #{HelloCxx.answer}"'
