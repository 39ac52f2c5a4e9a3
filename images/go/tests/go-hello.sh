#!/bin/sh
# usage: go-hello.sh GO OUT: build /tests/hello.go with GO into a static OUT/hello (CGO_ENABLED=0,
# no network) and run it once; the pair test runs it in the static run image, which has no libc.
set -eu
go=$1
out=$2
mkdir -p "$out" /tmp/gohome /tmp/gobuild
export HOME=/tmp/gohome GOCACHE=/tmp/gohome/cache GOPATH=/tmp/gohome/go \
	GOPROXY=off GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 GO111MODULE=auto
cp /tests/hello.go /tmp/gobuild/
cd /tmp/gobuild
"$go" build -o "$out/hello" hello.go
"$out/hello"
