// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A test program for the TC attachment (loader/datapath/tc_attach.c), driven by
 * tests/tools/tctool.c: counts the packets it sees and passes each one on
 * to whatever comes next on the hook.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tc_probe_count SEC(".maps");

SEC("tc")
int tc_probe(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&tc_probe_count, &key);

	(void)skb;
	if (n)
		__sync_fetch_and_add(n, 1);
	/* TC_ACT_UNSPEC: clsact goes on to the next filter; tcx's TCX_NEXT. */
	return -1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
