# Compile Hello.scala with scalac into DEST/classes, run it with the Scala library.
# usage: sh build.sh DEST
set -eu
dest=$1
mkdir -p "$dest/classes"
scalac -d "$dest/classes" /tests/Hello.scala
java -cp "$dest/classes:/opt/scala/lib/scala-library.jar" Hello
