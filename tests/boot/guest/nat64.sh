#!/bin/sh
# Boot test, issue 15: somewhere for the guest's IPv6-only host to reach,
# so that the kernel data path runs as on a real network.  The guest's own
# namespace gets an uplink, uplink0 (2001:db8:1::2/64, default route via
# 2001:db8:1::1), a veth to network namespace "nat64", which routes: TAYGA
# from Debian translates 2001:db8:64::/96 to IPv4 (pool 192.0.2.128/25),
# and 198.51.100.10 (on its lo) is the IPv4 server (server.service).
set -eu
NS=nat64
ip netns add $NS
ip link add uplink0 type veth peer name down0 netns $NS
# (no sysctl(8) in a minbase system: procps)
echo 0 >/proc/sys/net/ipv6/conf/uplink0/accept_dad
echo 0 >/proc/sys/net/ipv6/conf/uplink0/accept_ra
ip addr add 2001:db8:1::2/64 dev uplink0 nodad
ip link set uplink0 up
ip -6 route add default via 2001:db8:1::1 dev uplink0

ip netns exec $NS sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/forwarding &&
	echo 1 >/proc/sys/net/ipv4/ip_forward && echo 0 >/proc/sys/net/ipv6/conf/down0/accept_dad'
ip -n $NS link set lo up
ip -n $NS addr add 198.51.100.10/32 dev lo
ip -n $NS addr add 2001:db8:1::1/64 dev down0 nodad
ip -n $NS link set down0 up

mkdir -p /run/nat64
cat >/run/nat64/tayga.conf <<CONF
tun-device nat64
ipv4-addr 192.0.2.1
prefix 2001:db8:64::/96
dynamic-pool 192.0.2.128/25
data-dir /run/nat64
CONF
ip netns exec $NS tayga --mktun -c /run/nat64/tayga.conf
ip -n $NS link set nat64 up
ip -n $NS -6 route add 2001:db8:64::/96 dev nat64
ip -n $NS route add 192.0.2.128/25 dev nat64
# tayga itself: nat64-tayga.service, in the namespace, --nodetach
echo "nat64: uplink0 2001:db8:1::2/64 -> [nat64: 2001:db8:1::1, TAYGA 2001:db8:64::/96, 198.51.100.10]"
