# Install the npm packages of /fixtures/addons (fetched from npm on the host) into DEST/addons as
# its lock file has them, offline, then load and use each of them. (npm install, not npm ci: the
# host's npm locks only its own platform's optional packages, which a newer npm's ci refuses.)
# usage: sh addons.sh DEST
set -eu
dest=$1/addons
mkdir -p "$dest"
cp /fixtures/addons/package.json /fixtures/addons/package-lock.json "$dest/"
cd "$dest"
npm install --offline --cache /fixtures/addons/cache --no-audit --no-fund >/tmp/npm-install.log 2>&1 || {
	cat /tmp/npm-install.log
	exit 1
}
node /tests/addons.js "$dest"
