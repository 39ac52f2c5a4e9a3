# Compile Hello.java into DEST/classes, package it as DEST/hello.jar (with a Main-Class), run it.
# usage: sh build.sh DEST
set -eu
dest=$1
mkdir -p "$dest/classes"
javac -d "$dest/classes" /tests/Hello.java
printf 'Main-Class: Hello\n' > "$dest/manifest.txt"
jar cfm "$dest/hello.jar" "$dest/manifest.txt" -C "$dest/classes" .
rm "$dest/manifest.txt"
java -jar "$dest/hello.jar"
