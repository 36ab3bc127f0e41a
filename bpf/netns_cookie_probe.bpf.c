// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The netns cookie for kernels without SO_NETNS_COOKIE (Linux 5.14):
 * bpf_get_netns_cookie() exists in cgroup/sock_addr programs since 5.7.
 * loader/core/netns_cookie.c attaches this program to the daemon's own
 * cgroup for a moment and connect()s a UDP socket created in the namespace
 * to 192.0.2.1:9 (nothing is sent by a UDP connect).  The program records
 * that socket's netns cookie under its socket cookie (SO_COOKIE, 4.13),
 * and lets every connect go on unchanged.
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "netns_cookie_probe.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);	/* socket cookie */
	__type(value, __u64);	/* netns cookie */
} netns_cookie_seen SEC(".maps");

SEC("cgroup/connect4")
int netns_cookie_record(struct bpf_sock_addr *ctx)
{
	__u64 sk, ns;

	/* Only the daemon's probe connects there; other sockets pass unrecorded. */
	if (ctx->user_ip4 != bpf_htonl(NETNS_COOKIE_PROBE_ADDR) ||
	    ctx->user_port != bpf_htons(NETNS_COOKIE_PROBE_PORT))
		return 1;
	sk = bpf_get_socket_cookie(ctx);
	ns = bpf_get_netns_cookie(ctx);
	bpf_map_update_elem(&netns_cookie_seen, &sk, &ns, BPF_ANY);
	return 1;	/* proceed */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
