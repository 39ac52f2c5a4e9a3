# Compile hello.erl with erlc into DEST, then run it.
# usage: sh build.sh DEST
set -eu
dest=$1
mkdir -p "$dest"
erlc -o "$dest" /tests/hello.erl
erl -noshell -pa "$dest" -s hello main -s init stop
