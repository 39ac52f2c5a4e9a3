# Build a C extension with mkmf (ruby extconf.rb && make), offline, into DEST/lib, then load it.
# usage: sh c-extension.sh RUBY DEST
set -eu
ruby=$1
dest=$2
# the package managers are there and work offline
gem --version >/dev/null
bundle --version >/dev/null
mkdir -p "$dest/lib"
cp -r /tests/hello-ext "$dest/src"
cd "$dest/src"
"$ruby" extconf.rb >/dev/null
make >/dev/null
cp hello.so "$dest/lib/"
cd /
rm -rf "$dest/src"
"$ruby" -I "$dest/lib" -e 'require "hello"; puts "c extension says #{Hello.answer}"'
