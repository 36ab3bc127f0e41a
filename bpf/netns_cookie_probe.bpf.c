// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The netns cookie for kernels without SO_NETNS_COOKIE (Linux 5.14):
 * bpf_get_netns_cookie() exists in cgroup/sock_addr programs since 5.7.
 * loader/core/netns_cookie.c attaches this program to a private cgroup of
 * its own; a child process enters the namespace, joins that cgroup and
 * connect()s a UDP socket.  The program records the socket's netns cookie
 * and lets the connect go on (nothing is sent by a UDP connect).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} netns_cookie_seen SEC(".maps");

SEC("cgroup/connect4")
int netns_cookie_record(struct bpf_sock_addr *ctx)
{
	__u32 key = 0;
	__u64 cookie = bpf_get_netns_cookie(ctx);

	bpf_map_update_elem(&netns_cookie_seen, &key, &cookie, BPF_ANY);
	return 1;	/* proceed */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
