# Install the npm packages of /fixtures/addons (fetched from npm on the host) into DEST/addons with
# npm ci, offline, then load and use each of them.
# usage: sh addons.sh DEST
set -eu
dest=$1/addons
mkdir -p "$dest"
cp /fixtures/addons/package.json /fixtures/addons/package-lock.json "$dest/"
cd "$dest"
npm ci --offline --cache /fixtures/addons/cache --no-audit --no-fund >/tmp/npm-ci.log 2>&1 || {
	cat /tmp/npm-ci.log
	exit 1
}
node /tests/addons.js "$dest"
