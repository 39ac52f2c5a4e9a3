# Install the binary wheels of /fixtures/wheels (fetched from PyPI on the host) and their
# dependencies into a venv at DEST/wheels, offline, then use each of them.
# usage: sh wheels.sh PYTHON DEST
set -eu
python=$1
dest=$2
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INDEX=1 PIP_NO_CACHE_DIR=1
"$python" -m venv "$dest/wheels"
"$dest/wheels/bin/pip" install --quiet --find-links /fixtures/wheels -r /fixtures/wheels/requirements.txt
"$dest/wheels/bin/python" /tests/wheels.py /fixtures/wheels/requirements.txt
