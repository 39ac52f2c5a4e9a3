#!/bin/sh
# Put Debian's Clojure jars (clojure, spec.alpha, core.specs.alpha) into DIR under stable names,
# wherever this suite's packages keep them (their maven-repo entries are the same everywhere).
# usage: clojure-jars DIR copy|link
set -eu
dir=$1
mode=$2
mkdir -p "$dir"
for artifact in clojure spec.alpha core.specs.alpha; do
	jar=$(find "/usr/share/maven-repo/org/clojure/$artifact" -name '*.jar' -exec readlink -f {} + | sort -u)
	[ "$(echo "$jar" | wc -l)" = 1 ] && [ -f "$jar" ] || { echo "clojure-jars: not one $artifact jar: $jar" >&2; exit 1; }
	case $mode in
	copy) cp "$jar" "$dir/$artifact.jar" ;;
	link) ln -sf "$jar" "$dir/$artifact.jar" ;;
	esac
done
ls -l "$dir"
