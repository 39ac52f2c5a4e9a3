# Leiningen, offline: it starts on this JDK and reports its version. (A project needs its
# dependencies from a network repository or ~/.m2, which the tests have neither of.)
set -eu
export HOME=/tmp/lein-home LEIN_OFFLINE=true
mkdir -p "$HOME"
out=$(lein version 2>&1) || true
echo "$out"
case $out in
*"Leiningen "*" on Java "*) echo "leiningen runs offline" ;;
*) echo "leiningen failed" ;;
esac
