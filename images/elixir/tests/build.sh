# Compile hello.ex with elixirc into DEST (Elixir.Hello.beam), then run it.
# usage: sh build.sh DEST
set -eu
dest=$1
mkdir -p "$dest"
elixirc -o "$dest" /tests/hello.ex
elixir -pa "$dest" -e "Hello.main()"
