# Build a C extension with phpize (configure, make) into DEST/modules, and a composer project
# (no dependencies: composer writes its PSR-4 autoloader, offline) into DEST/app; then run it.
# usage: sh extension.sh VERSION DEST
set -eu
version=$1
dest=$2
mkdir -p "$dest/modules"
cp -r /tests/hello-ext "$dest/src"
cd "$dest/src"
"phpize$version" >/dev/null
./configure --with-php-config="/usr/bin/php-config$version" >/dev/null
make >/dev/null
cp modules/hello.so "$dest/modules/"
cd /
rm -rf "$dest/src"
cp -r /tests/app "$dest/app"
COMPOSER_ALLOW_SUPERUSER=1 composer --no-interaction --quiet --working-dir="$dest/app" dump-autoload --optimize
"php$version" -d "extension=$dest/modules/hello.so" "$dest/app/main.php"
