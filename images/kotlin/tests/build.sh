# Compile hello.kt with kotlinc into DEST/hello.jar (without the runtime), run it with the stdlib.
# usage: sh build.sh DEST
set -eu
dest=$1
mkdir -p "$dest"
kotlinc /tests/hello.kt -d "$dest/hello.jar" 2>&1 | grep -v '^warning' >&2 || true
java -cp "$dest/hello.jar:/opt/kotlin/lib/kotlin-stdlib.jar" HelloKt
