# Compile ServerApp.java into DEST/server and run it.
# usage: sh server-app.sh DEST
set -eu
dest=$1
mkdir -p "$dest/server"
javac -d "$dest/server" /tests/ServerApp.java
java -cp "$dest/server" ServerApp
