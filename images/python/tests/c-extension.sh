# Build a local package with a C extension into a venv at DEST/venv, offline, then import it.
# usage: sh c-extension.sh PYTHON DEST
set -eu
python=$1
dest=$2
mkdir -p "$dest"
cp -r /tests/hello-ext "$dest/src"
# setuptools comes from the system (python3-setuptools): no index, no build isolation, no network
"$python" -m venv --system-site-packages "$dest/venv"
"$dest/venv/bin/pip" install --quiet --no-index --no-build-isolation --disable-pip-version-check "$dest/src"
rm -rf "$dest/src"
"$dest/venv/bin/python" -c "import hello; print('c extension says', hello.answer())"
