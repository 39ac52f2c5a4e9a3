#!/bin/bash
# Copy PATHs into ROOT with everything they need at run time: each ELF file's shared-library
# closure (as the loader resolves it, via ldd), and every symlink on the way with its target.
# Directory symlinks (merged /usr) are resolved, so each file lands once, at its real path; a
# symlink to a folder is kept as a link, and the folder's files go through the same excludes and
# closure as any other. A dangling symlink is kept as it is (it points nowhere in the image either).
# usage: closure.sh [-x EXCLUDED]... [-l LIBRARY]... ROOT PATH...
# EXCLUDED is a path or a shell pattern (*/__pycache__): what it matches, or lies under it, is left out.
# LIBRARY is a shared library's name (libstdc++.so.6), copied from wherever the loader finds it.
# A dev image has it on PATH as birdhouse-closure: a multi-stage build copies an extra file with
# what it needs into a folder, and its run stage copies that folder over the run image.
set -euo pipefail
excluded=()
libraries=()
while getopts x:l: opt; do
	case $opt in
	x) excluded+=("$OPTARG") ;;
	l) libraries+=("$OPTARG") ;;
	*) echo "usage: birdhouse-closure [-x EXCLUDED]... [-l LIBRARY]... ROOT PATH..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: birdhouse-closure [-x EXCLUDED]... [-l LIBRARY]... ROOT PATH..." >&2; exit 2; }
root=$1
shift
# Each library by name, as the loader's cache (ldconfig) knows it (read whole: awk stopping early
# would break ldconfig's pipe).
[ ${#libraries[@]} -eq 0 ] || cache=$(ldconfig -p)
for name in "${libraries[@]}"; do
	path=$(awk -v name="$name" '$1 == name { print $NF; exit }' <<<"$cache")
	[ -n "$path" ] || { echo "closure: the library $name is not installed" >&2; exit 1; }
	set -- "$@" "$path"
done
[ $# -ge 1 ] || exit 0

# Folders are resolved and created once each: a closure has thousands of files in a few folders.
declare -A real made
real_dir() { # real_dir DIR: sets $dir to DIR with every symlink resolved
	if [ -z "${real[$1]:-}" ]; then
		real[$1]=$(realpath "$1")
	fi
	dir=${real[$1]}
}

# copy_path FILE: copy FILE (a file, a symlink, or a folder's own entry) to ROOT at its real folder,
# then follow it if it is a link.
copy_path() {
	p=$1
	while [ -e "$p" ] || [ -L "$p" ]; do
		parent=${p%/*}
		real_dir "${parent:-/}"
		p=${dir%/}/${p##*/}
		if [ ! -e "$root$p" ] && [ ! -L "$root$p" ]; then
			if [ -z "${made[$dir]:-}" ]; then
				mkdir -p "$root$dir"
				made[$dir]=1
			fi
			if [ -d "$p" ] && [ ! -L "$p" ]; then
				mkdir -p "$root$p" # its files come one by one
			else
				cp -a "$p" "$root$p"
			fi
		fi
		[ -L "$p" ] || return 0
		target=$(readlink "$p")
		case $target in
		/*) p=$target ;;
		*) p=${p%/*}/$target ;;
		esac
	done
}

is_elf() {
	local magic=""
	LC_ALL=C read -r -n 4 magic <"$1" 2>/dev/null || true
	[ "$magic" = $'\177ELF' ]
}

for top in "$@"; do
	[ -e "$top" ] || { echo "closure: $top does not exist" >&2; exit 1; }
	find "$top" -type l -print # the links themselves, to folders too
	find -L "$top" -type f -print # the files, under links to folders too
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
