#!/bin/bash
# Install and start what birdhouse needs, skipping what is already there:
#   Debian packages (docker.io, docker-registry, mmdebstrap, apt-cacher-ng; chromium for the
#   report test; npm for the tests' npm fixtures; iproute2; qemu-user-static, binfmt-support and
#   arch-test for other platforms), a running Docker engine, the package cache on 127.0.0.1:3142,
#   and the emulators of the catalog's other platforms, registered with the kernel. The embedded
#   registry is started by the builder when it pushes there. The Python environment (.venv) is
#   the Makefile's, made before this runs.
# Idempotent; as root on Debian 12 it needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

# A Debian package is installed only where its command is missing: an engine that already answers
# (the host's Docker, or DOCKER_HOST) is used as it is. npm fetches the tests' npm fixtures.
engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
declare -A wanted=([docker-registry]=docker-registry [mmdebstrap]=mmdebstrap [apt-cacher-ng]=apt-cacher-ng [chromium]=chromium [npm]=npm [ip]=iproute2
	[qemu-aarch64-static]=qemu-user-static [qemu-x86_64-static]=qemu-user-static [update-binfmts]=binfmt-support [arch-test]=arch-test)
engine_answers || wanted[dockerd]=docker.io
missing=()
for command in "${!wanted[@]}"; do
	command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] || missing+=("${wanted[$command]}")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing Debian packages: ${missing[*]}; run as root, or: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The emulators of the other platforms (linux/arm64 on an amd64 host, and the reverse): qemu's
# user-mode emulators registered with the kernel's binfmt_misc, with the F flag, so that they run
# inside containers too. Where the kernel does not allow it, native builds still work.
emulators_up() { arch-test amd64 >/dev/null 2>&1 && arch-test arm64 >/dev/null 2>&1; }
if ! emulators_up; then
	[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
	if [ -e /proc/sys/fs/binfmt_misc/register ]; then
		update-binfmts --enable >/dev/null 2>&1 || true
	fi
	if emulators_up; then
		echo "setup: emulators registered (linux/amd64 and linux/arm64 run here)"
	else
		echo "setup: the kernel does not let binfmt_misc run qemu here (/proc/sys/fs/binfmt_misc):" \
			"only this host's own platform ($(uname -m)) can be built" >&2
	fi
fi

# The Docker engine: DOCKER_HOST if set, else the local socket, started here if nothing answers.
engine_up() { .venv/bin/python -c 'import docker; docker.from_env(timeout=5).ping()' 2>/dev/null; }
if ! engine_up; then
	if [ -n "${DOCKER_HOST:-}" ]; then
		echo "setup: no Docker engine answers at DOCKER_HOST=$DOCKER_HOST" >&2
		exit 1
	fi
	echo "setup: starting dockerd (log: /var/log/birdhouse-dockerd.log)"
	setsid dockerd >>/var/log/birdhouse-dockerd.log 2>&1 </dev/null &
	for _ in $(seq 60); do
		engine_up && break
		sleep 1
	done
	engine_up || { echo "setup: dockerd did not start; see /var/log/birdhouse-dockerd.log" >&2; exit 1; }
fi
# The package cache for builds (BIRDHOUSE_APT_PROXY=off builds without it).
cache_up() { python3 -c 'import socket; socket.create_connection(("127.0.0.1", 3142), 2)' 2>/dev/null; }
if ! cache_up; then
	echo "setup: starting apt-cacher-ng on 127.0.0.1:3142"
	install -d -o apt-cacher-ng -g apt-cacher-ng /run/apt-cacher-ng /var/cache/apt-cacher-ng /var/log/apt-cacher-ng
	apt-cacher-ng -c "$PWD/scripts/apt-cacher-ng" pidfile=/run/apt-cacher-ng/pid SocketPath=/run/apt-cacher-ng/socket
	for _ in $(seq 20); do cache_up && break; sleep 0.5; done
	cache_up || echo "setup: apt-cacher-ng did not start; builds go to the mirror directly" >&2
fi

echo "setup: ready (engine: $(.venv/bin/python -c 'import docker; print(docker.from_env().version()["Version"])'))"
