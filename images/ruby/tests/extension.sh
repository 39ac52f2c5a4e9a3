# Build an extension (C, or C++) with mkmf (ruby extconf.rb && make) from /tests/NAME-ext, offline,
# into DEST/lib, then load it: "LABEL says 42".
# usage: sh extension.sh RUBY DEST NAME CONSTANT LABEL
set -eu
ruby=$1
dest=$2
name=$3
constant=$4
label=$5
# the package managers are there and work offline
gem --version >/dev/null
bundle --version >/dev/null
mkdir -p "$dest/lib"
cp -r "/tests/$name-ext" "$dest/src-$name"
cd "$dest/src-$name"
"$ruby" extconf.rb >/dev/null
make >/dev/null
cp "$name.so" "$dest/lib/"
cd /
rm -rf "$dest/src-$name"
"$ruby" -I "$dest/lib" -e "require '$name'; puts \"$label says #{$constant.answer}\""
