#!/bin/bash
# Copy PATHs into ROOT with everything they need at run time: each ELF file's shared-library
# closure (as the loader resolves it, via ldd), and every symlink on the way with its target.
# Directory symlinks (merged /usr) are resolved, so each file lands once, at its real path.
# usage: closure.sh [-x EXCLUDED]... ROOT PATH...
# EXCLUDED is a path or a shell pattern (*/__pycache__): what it matches, or lies under it, is left out.
set -euo pipefail
excluded=()
while getopts x: opt; do
	case $opt in
	x) excluded+=("$OPTARG") ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
root=$1
shift

# copy_path FILE: copy FILE (a file or a symlink) to ROOT at its real directory, then follow links.
copy_path() {
	p=$1
	while :; do
		p="$(realpath "$(dirname "$p")")/$(basename "$p")"
		if [ ! -e "$root$p" ] && [ ! -L "$root$p" ]; then
			mkdir -p "$root$(dirname "$p")"
			cp -a "$p" "$root$p"
		fi
		[ -L "$p" ] || return 0
		target=$(readlink "$p")
		case $target in
		/*) p=$target ;;
		*) p=$(dirname "$p")/$target ;;
		esac
	done
}

is_elf() {
	[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]
}

for top in "$@"; do
	[ -e "$top" ] || { echo "closure: $top does not exist" >&2; exit 1; }
	find "$top" \( -type f -o -type l \) -print
done | sort -u | while read -r f; do
	for x in "${excluded[@]}"; do
		# shellcheck disable=SC2254 # patterns on purpose: -x '*/__pycache__'
		case $f in $x | $x/*) continue 2 ;; esac
	done
	copy_path "$f"
	if [ -f "$f" ] && is_elf "$f"; then
		# ldd prints "name => /path (addr)" or "/path (addr)"; keep the paths, fail on "not found".
		{ ldd "$f" 2>/dev/null || true; } | awk '/not found/ { print "MISSING " $1; next } { for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'
	fi
done | sort -u | while read -r lib; do
	case $lib in
	MISSING*) echo "closure: a library is missing: $lib" >&2; exit 1 ;;
	esac
	copy_path "$lib"
done

# Keep the merged-/usr links (/lib -> usr/lib, …) so that the ELF interpreter path resolves.
for link in /bin /sbin /lib /lib32 /lib64 /libx32; do
	if [ -L "$link" ] && [ ! -e "$root$link" ]; then
		cp -a "$link" "$root$link"
	fi
done
