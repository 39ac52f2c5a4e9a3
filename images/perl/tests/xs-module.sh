# Build and install an XS module (its C, or C++ behind it) from /tests/DIST with cpanm into a
# local::lib at DEST/local, offline (it needs nothing beyond core), then load it: "LABEL says 42".
# usage: sh xs-module.sh DEST DIST MODULE LABEL
set -eu
dest=$1
dist=$2
module=$3
label=$4
mkdir -p "$dest"
cp -r "/tests/$dist" "$dest/src-$dist"
cpanm --quiet --notest --local-lib "$dest/local" "$dest/src-$dist" >/dev/null
rm -rf "$dest/src-$dist"
perl -Mlib="$dest/local/lib/perl5" "-M$module" -e "print '$label says ', ${module}::answer(), \"\\n\""
