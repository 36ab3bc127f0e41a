#!/usr/bin/env bash
# Install the Debian packages sock464 needs to build, test, demo and bench.
# Installs only what is missing; needs root for apt-get.
set -euo pipefail

pkgs=(
	# build
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
	libc-ares-dev libmnl-dev libjson-c-dev pkg-config libc6-dev libcap-ng-dev libseccomp-dev
	# tests
	libcmocka-dev libclang-rt-14-dev iproute2 nftables tayga unbound dnsutils curl wget tcpdump ethtool iputils-ping
	busybox-static iperf3 python3 util-linux procps systemd man-db crun
	podman python3-prometheus-client
	# the Debian package (make deb, tests/integration/06-deb.sh)
	build-essential debhelper dpkg-dev fakeroot lintian
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
