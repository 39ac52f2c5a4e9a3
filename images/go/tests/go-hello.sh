#!/bin/sh
# usage: go-hello.sh GO OUT [NAME]: build /tests/NAME.go (hello.go) with GO into a static OUT/NAME
# (CGO_ENABLED=0, no network) and run it once; the pair test runs it in the static run image,
# which has no libc.
set -eu
go=$1
out=$2
name=${3:-hello}
mkdir -p "$out" /tmp/gohome /tmp/gobuild
export HOME=/tmp/gohome GOCACHE=/tmp/gohome/cache GOPATH=/tmp/gohome/go \
	GOPROXY=off GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 GO111MODULE=auto
cp "/tests/$name.go" /tmp/gobuild/
cd /tmp/gobuild
"$go" build -o "$out/$name" "$name.go"
"$out/$name"
