// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The least a per-packet translator can do, for bench/xlat-floor: TCP and
 * UDP headers only (RFC 7915 via include/rfc7915.h), one fixed /96 prefix
 * (2001:db8:64::/96) and one fixed IPv6 source (2001:db8:1::3), no maps,
 * no socket lookups, no counters.  Not a data path: it shows what
 * translation costs by itself in each arrangement (bench/xlat-floor, and
 * docs/benchmarks.md), against which sock464's own program is judged.
 *
 * Built once per program (Makefile: build/xlat_floor_ARR_DIR.bpf.o), each
 * object holding one "tc" program, which bench/xlat-floor attaches with
 * build/tests/tctool (sock464's own tc_attach.c, tcx or clsact):
 *   XF_ARR_lo      sock464's arrangement: out on lo's egress (source
 *                  127.0.0.1), bpf_redirect_neigh() to the uplink; in on
 *                  the uplink's ingress, bpf_redirect() to lo's ingress
 *   XF_ARR_uplink  out on the uplink's egress (an IPv4 route through it,
 *                  source 127.0.0.1), passed on; in passed up the uplink
 *   XF_ARR_nm      NetworkManager's CLAT's (src/core/bpf/clat.bpf.c): an
 *                  IPv4 address (192.0.0.5) on the uplink; out on its
 *                  egress, then bpf_redirect_neigh() to the same uplink; in
 *                  bpf_redirect() to its own ingress
 *   XF_DIR_out / XF_DIR_in
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "rfc7915.h"

#define ETH_HLEN	14
#define LO_IFINDEX	1

#if defined(XF_ARR_nm)
#define LOCAL4		0xc0000005	/* 192.0.0.5, on the uplink */
#else
#define LOCAL4		0x7f000001	/* 127.0.0.1 */
#endif

#define XF_UPLINK_IFINDEX 464	/* bench/xlat-floor creates the uplink so */

/*
 * The addresses as 32-bit words in network order, written by the code: a
 * constant array would be .rodata, which libbpf 1.1 (Debian 12) cannot load
 * from clang's section of merged constants (.rodata.cst16).
 */
#define PREF6_W0	0x20010db8	/* 2001:db8:64::/96 */
#define PREF6_W1	0x00640000
#define LINK6_W1	0x00010000	/* 2001:db8:1::/64 */
#define SRC6_LAST	3		/* 2001:db8:1::3: the translated flows' source */
#define GW6_LAST	1		/* 2001:db8:1::1: the gateway */

static __always_inline void link6(__u32 w[4], __u32 last)
{
	w[0] = bpf_htonl(PREF6_W0);
	w[1] = bpf_htonl(LINK6_W1);
	w[2] = 0;
	w[3] = bpf_htonl(last);
}

static __always_inline __u32 check_off(__u8 proto)
{
	return proto == XLAT_PROTO_TCP ? 16 : 6;
}

static __always_inline __u64 csum_flags(__u8 proto)
{
	return BPF_F_PSEUDO_HDR | (proto == XLAT_PROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0);
}

#ifdef XF_DIR_out
/* 0: translated; 1: not ours (passed on untouched); -1: drop. */
static __always_inline int out4(struct __sk_buff *skb)
{
	struct {
		__u16 eth[7];
		struct xlat_ip6 ip6;
	} __attribute__((packed)) hdr = { .eth[6] = bpf_htons(ETH_P_IPV6) };
	struct xlat_ip4 h4;
	struct xlat_ip6 h6;
	__u32 d6[4], s6[4];

	if (skb->protocol != bpf_htons(ETH_P_IP) ||
	    bpf_skb_load_bytes(skb, ETH_HLEN, &h4, sizeof(h4)) ||
	    h4.saddr != bpf_htonl(LOCAL4) ||
	    (h4.protocol != XLAT_PROTO_TCP && h4.protocol != XLAT_PROTO_UDP))
		return 1;
	d6[0] = bpf_htonl(PREF6_W0);
	d6[1] = bpf_htonl(PREF6_W1);
	d6[2] = 0;
	d6[3] = h4.daddr;
	link6(s6, SRC6_LAST);
	if (xlat_hdr_4to6(&h4, &h6, (__u8 *)s6, (__u8 *)d6) != XLAT_OK ||
	    bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
		return -1;
	__builtin_memcpy(&hdr.ip6, &h6, sizeof(h6));
#ifdef XF_ARR_lo
	/* lo's Ethernet header is all zero but the type: write it whole */
	if (bpf_skb_store_bytes(skb, 0, &hdr, sizeof(hdr), 0))
		return -1;
#else
	/* the uplink's neighbour output wrote the addresses: keep them */
	if (bpf_skb_store_bytes(skb, 12, &hdr.eth[6], sizeof(hdr) - 12, 0))
		return -1;
#endif
	return bpf_l4_csum_replace(skb, ETH_HLEN + XLAT_IP6_HLEN + check_off(h4.protocol), 0,
				   xlat_pseudo_diff_4to6(h4.saddr, h4.daddr, h6.saddr, h6.daddr),
				   csum_flags(h4.protocol)) ? -1 : 0;
}

SEC("tc")
int xf_out(struct __sk_buff *skb)
{
	int r = out4(skb);

	if (r)
		return r > 0 ? TC_ACT_OK : TC_ACT_SHOT;
#if defined(XF_ARR_lo)
	{
		/* the uplink's index and gateway: the script makes them so */
		struct bpf_redir_neigh nh = { .nh_family = 10 };

		link6(nh.ipv6_nh, GW6_LAST);
		return bpf_redirect_neigh(XF_UPLINK_IFINDEX, &nh, sizeof(nh), 0);
	}
#elif defined(XF_ARR_nm)
	return bpf_redirect_neigh(skb->ifindex, NULL, 0, 0);
#else
	return TC_ACT_OK;
#endif
}
#endif /* XF_DIR_out */

#ifdef XF_DIR_in
/* 0: translated; 1: not ours; -1: drop. */
static __always_inline int in6(struct __sk_buff *skb)
{
	struct xlat_ip6 h6;
	struct xlat_ip4 h4;
	__u16 type = bpf_htons(ETH_P_IP);
	__u32 s4, w[4], a[4];

	if (skb->protocol != bpf_htons(ETH_P_IPV6) ||
	    bpf_skb_load_bytes(skb, ETH_HLEN, &h6, sizeof(h6)) ||
	    (h6.nexthdr != XLAT_PROTO_TCP && h6.nexthdr != XLAT_PROTO_UDP))
		return 1;
	link6(w, SRC6_LAST);
	__builtin_memcpy(a, h6.daddr, 16);
	if (a[0] != w[0] || a[1] != w[1] || a[2] != w[2] || a[3] != w[3])
		return 1;
	__builtin_memcpy(a, h6.saddr, 16);
	if (a[0] != bpf_htonl(PREF6_W0) || a[1] != bpf_htonl(PREF6_W1) || a[2])
		return 1;
	__builtin_memcpy(&s4, h6.saddr + 12, 4);
	if (xlat_hdr_6to4(&h6, &h4, s4, bpf_htonl(LOCAL4)) != XLAT_OK ||
	    bpf_l4_csum_replace(skb, ETH_HLEN + XLAT_IP6_HLEN + check_off(h6.nexthdr), 0,
				xlat_pseudo_diff_6to4(h6.saddr, h6.daddr, s4, h4.daddr),
				csum_flags(h6.nexthdr)) ||
	    bpf_skb_change_proto(skb, type, 0) ||
	    bpf_skb_store_bytes(skb, 12, &type, 2, 0) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, &h4, sizeof(h4), 0))
		return -1;
	return 0;
}

SEC("tc")
int xf_in(struct __sk_buff *skb)
{
	int r = in6(skb);

	if (r)
		return r > 0 ? TC_ACT_OK : TC_ACT_SHOT;
#if defined(XF_ARR_lo)
	{
		/* lo's receive path wants lo's all-zero destination address */
		__u8 zero[12] = {};

		if (bpf_skb_store_bytes(skb, 0, zero, sizeof(zero), 0))
			return TC_ACT_SHOT;
		return bpf_redirect(LO_IFINDEX, BPF_F_INGRESS);
	}
#elif defined(XF_ARR_nm)
	return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
#else
	return TC_ACT_OK;
#endif
}
#endif /* XF_DIR_in */

char LICENSE[] SEC("license") = "Dual BSD/GPL";
