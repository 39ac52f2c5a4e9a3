# Build and install an XS module backed by C++ (HelloCxx-XS) with cpanm into a local::lib at
# DEST/local, offline, then load it.
# usage: sh cxx-xs-module.sh DEST
set -eu
dest=$1
mkdir -p "$dest"
cp -r /tests/HelloCxx-XS "$dest/cxxsrc"
cpanm --quiet --notest --local-lib "$dest/local" "$dest/cxxsrc" >/dev/null
rm -rf "$dest/cxxsrc"
perl -Mlib="$dest/local/lib/perl5" -MHelloCxx -e 'print "c++ xs module says ", HelloCxx::answer(), "\n"'
