# Build and install an XS module (Makefile.PL + Hello.xs) with cpanm into a local::lib at
# DEST/local, offline (it has no dependencies beyond core), then load it.
# usage: sh xs-module.sh DEST
set -eu
dest=$1
mkdir -p "$dest"
cp -r /tests/Hello-XS "$dest/src"
cpanm --quiet --notest --local-lib "$dest/local" "$dest/src" >/dev/null
rm -rf "$dest/src"
perl -Mlib="$dest/local/lib/perl5" -MHello -e 'print "xs module says ", Hello::answer(), "\n"'
