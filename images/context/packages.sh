#!/bin/bash
# Write into ROOT what security scanners read to know an image's packages, in distroless's layout:
# ROOT/etc/os-release (the suite's, as base-files ships it) and, for each Debian package that owns a
# file in ROOT, ROOT/var/lib/dpkg/status.d/<package> (its dpkg status entry), <package>.md5sums
# (the sums of just its files that ROOT holds) and its copyright file. No dpkg database, no dpkg.
# Run it once every file is in ROOT: it writes status.d anew, and sets every time in ROOT newer
# than the newest of its packages' files to that. A package's files are matched at
# their real paths, as birdhouse-closure copies them (merged /usr: a package listing
# /lib/x86_64-linux-gnu/libz.so.1 owns ROOT/usr/lib/x86_64-linux-gnu/libz.so.1).
# A dev image has it on PATH as birdhouse-packages: run it on the folder a multi-stage build copies
# over the run image, and what that folder adds is known to scanners too.
# usage: packages.sh ROOT
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: birdhouse-packages ROOT" >&2; exit 2; }
root=$(realpath "$1")
status=$root/var/lib/dpkg/status.d
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$root/etc" "$root/usr/lib"
cp -p /usr/lib/os-release "$root/usr/lib/os-release"
ln -sfn ../usr/lib/os-release "$root/etc/os-release"
rm -rf "$status"

# every file of ROOT but folders, as the image has it, and which of them are regular files
(cd "$root" && find . ! -type d -printf '/%P\n') >"$work/files"
(cd "$root" && find . -type f -printf '/%P\n') >"$work/regular"
# every file of every package, "package<TAB>path", and each of their folders at its real path
for list in /var/lib/dpkg/info/*.list; do
	package=${list##*/}
	awk -v package="${package%.list}" '{ print package "\t" $0 }' "$list"
done >"$work/owned"
cut -f2 "$work/owned" | sed -n 's|/[^/]*$||p' | grep . | sort -u >"$work/folders"
tr '\n' '\0' <"$work/folders" | xargs -0 -r realpath -m -- | paste "$work/folders" - >"$work/real"

# "package<TAB>file" for each file of ROOT a package owns (a folder of a package is no file of it,
# though ROOT may have a link there: merged /usr's /bin)
awk -F '\t' '
	FILENAME == ARGV[1] { real[$1] = $2; next }
	FILENAME == ARGV[2] { wanted[$0] = 1; next }
	!($2 in real) {
		folder = $2; sub(/\/[^\/]*$/, "", folder)
		name = $2; sub(/^.*\//, "", name)
		path = real[folder] "/" name
		sub(/^\/\//, "/", path)
		if (path in wanted) print $1 "\t" path
	}' "$work/real" "$work/files" "$work/owned" | sort -u >"$work/shipped"

# each package's copyright file, whose licence terms go where its files go (and scanners read
# the licences there)
cut -f1 "$work/shipped" | uniq >"$work/packages"
while read -r package; do
	name=${package%%:*}
	copyright=/usr/share/doc/$name/copyright
	[ -f "$copyright" ] || continue
	mkdir -p "$root/usr/share/doc/$name"
	cp -pL "$copyright" "$root$copyright"
	printf '%s\t%s\n' "$package" "$copyright" >>"$work/shipped"
	printf '%s\n' "$copyright" >>"$work/regular"
done <"$work/packages"

mkdir -p "$status"
while read -r package; do
	name=${package%%:*}
	# its entry, but for the conffiles it lists, which the image may not hold
	dpkg-query --status "$package" | awk '/^[^ ]/ { keep = !/^Conffiles:/ } keep' >"$status/$name"
	awk -F '\t' -v package="$package" '
		FILENAME == ARGV[1] { regular[$0] = 1; next }
		$1 == package && ($2 in regular) { print substr($2, 2) }' "$work/regular" "$work/shipped" |
		sort -u | (cd "$root" && xargs -r -d '\n' md5sum --) >"$status/$name.md5sums"
done <"$work/packages"

# Nothing in ROOT newer than the newest of its packages' files: a time the packages fix, which a
# rebuild from the same packages gives again (builder/reproduce.py clamps what is made after this
# to it too). Before the font cache, which records its folders' times.
newest=$(cd "$root" && cat "$status"/*.md5sums | cut -c35- | tr '\n' '\0' | xargs -0 -r stat -c %Y -- | sort -n | tail -1)
if [ -n "$newest" ]; then
	find "$root" -newermt "@$newest" -exec touch -h -d "@$newest" {} +
fi
