# Build a local package with a native addon (node-gyp, N-API) into DEST/addon, offline, then load it.
# usage: sh native-addon.sh DEST
set -eu
dest=$1
mkdir -p "$dest"
cp -r /tests/addon "$dest/addon"
cd "$dest/addon"
# node-gyp builds against the headers of the node in this image (libnode-dev), not a download;
# it reads nodedir from the environment (npm 12 no longer takes --nodedir on its command line)
npm_config_nodedir=/usr npm install --offline --no-audit --no-fund >/dev/null
node index.js
