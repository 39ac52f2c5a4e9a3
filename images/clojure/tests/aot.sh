# AOT-compile hello.core (gen-class, spec) into DEST/classes with clojure.main, then run it.
# usage: sh aot.sh DEST
set -eu
dest=$1
lib='/opt/clojure/lib/*'
mkdir -p "$dest/classes"
java -Dclojure.compile.path="$dest/classes" -cp "/tests/src:$dest/classes:$lib" clojure.main -e "(compile 'hello.core)" >/dev/null
java -cp "$dest/classes:$lib" hello.core
