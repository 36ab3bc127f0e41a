// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464 kernel data path: per-packet RFC 7915 translation in TC.
 *
 *   sock464_xlat_out  lo egress: an IPv4 packet of a marked socket (see
 *                     SOCK464_XLAT_MARK in sock464.h) from 127.0.0.1 becomes
 *                     IPv6 from the namespace's source for PREF64::dst to
 *                     PREF64::dst, routed with bpf_fib_lookup and sent with
 *                     bpf_redirect_neigh.
 *   sock464_xlat_in   uplink ingress: an IPv6 TCP/UDP packet from PREF64::x
 *                     whose IPv4 form (x -> 127.0.0.1) belongs to a socket
 *                     on lo with the mark becomes that IPv4 packet and is
 *                     given to lo's receive path with the mark.
 *
 * The kernel's socket table is the only flow state: the way in finds the
 * flow by looking its IPv4 socket up.  The namespace's entry (PREF64) is
 * in sock464_netns, which the daemon shares with bpf/sock464.bpf.c, under
 * the cookie of the namespace this copy of the programs serves: the daemon
 * loads one copy per namespace, since bpf_get_netns_cookie() in TC gives
 * the initial namespace's cookie for a packet without a socket (measured
 * on 6.18).  The header arithmetic is include/rfc7915.h.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "sock464.h"
#include "rfc6052.h"
#include "rfc7915.h"
#include "rfc7915_icmp.h"

#define AF_INET6	10
#define ETH_HLEN	14
#define LOOPBACK_IFINDEX 1
#define XLAT_NEXT	TC_ACT_UNSPEC	/* tcx: the next program decides */

/* Set by the daemon before loading: the namespace this copy serves. */
const volatile __u64 netns_cookie = 0;
/*
 * And whether bpf_fib_lookup() chooses the source (BPF_FIB_LOOKUP_SRC and
 * _SKIP_NEIGH, Linux 6.8).  Without: the daemon keeps the namespace's
 * source for PREF64 in fib_src6 (all zero: none), see route6().
 */
const volatile __u8 fib_src_flag = 1;
__u8 fib_src6[16];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SOCK464_MAX_NETNS);
	__type(key, __u64);
	__type(value, struct sock464_netns);
} sock464_netns SEC(".maps");	/* reused from sock464.bpf.c by the daemon */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOCK464_XC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} xlat_counters SEC(".maps");	/* one for every copy: reused too */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SOCK464_MAX_ECHO);
	__type(key, struct sock464_echo_key);
	__type(value, __u8);
} xlat_echo SEC(".maps");	/* shared by every copy too */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SOCK464_MAX_FRAGS);
	__type(key, struct sock464_frag_key);
	__type(value, __u8);
} xlat_frags SEC(".maps");	/* shared by every copy too */

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&xlat_counters, &idx);

	if (v)
		(*v)++;
}

/* The entry of the namespace the packet is in, if it is on the kernel path. */
static __always_inline struct sock464_netns *netns_entry(struct __sk_buff *skb)
{
	__u64 cookie = netns_cookie;
	struct sock464_netns *ns = bpf_map_lookup_elem(&sock464_netns, &cookie);

	(void)skb;

	if (!ns || !(ns->flags & SOCK464_NS_KERNEL) || !rfc6052_len_valid(ns->plen))
		return NULL;
	return ns;
}

/* Offset of the TCP or UDP checksum field from the start of L4. */
static __always_inline __u32 l4_check_off(__u8 proto)
{
	return proto == XLAT_PROTO_TCP ? 16 : 6;
}

static __always_inline __u64 l4_csum_flags(__u8 proto)
{
	/* a UDP checksum of 0 means none: a result of 0 is sent as 0xffff */
	return BPF_F_PSEUDO_HDR | (proto == XLAT_PROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0);
}

/*
 * The IPv6 route and source for @dst6: 0 with @fib filled (ifindex,
 * ipv6_src), or -1.  No MTU check (tot_len 0): a GSO packet is larger
 * than any MTU, and the IPv4 route's MTU already leaves room for IPv6.
 * Before 6.8 the lookup takes no flags: a next hop not yet resolved is
 * NO_NEIGH (bpf_redirect_neigh() resolves it), the source is fib_src6.
 */
static __always_inline int route6(struct __sk_buff *skb, const __u8 dst6[16],
				  __u8 proto, struct bpf_fib_lookup *fib)
{
	long rc;

	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = AF_INET6;
	fib->l4_protocol = proto;
	fib->ifindex = skb->ifindex;
	__builtin_memcpy(fib->ipv6_dst, dst6, 16);
	if (fib_src_flag) {
		rc = bpf_fib_lookup(skb, fib, sizeof(*fib),
				    BPF_FIB_LOOKUP_SRC | BPF_FIB_LOOKUP_SKIP_NEIGH);
		return rc == BPF_FIB_LKUP_RET_SUCCESS ? 0 : -1;
	}
	rc = bpf_fib_lookup(skb, fib, sizeof(*fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return -1;
	__builtin_memcpy(fib->ipv6_src, fib_src6, 16);
	return fib->ipv6_src[0] ? 0 : -1;	/* a global source (none: zero) */
}

/*
 * bpf_skb_change_proto() leaves the Ethernet header as it was; lo's
 * receive path reads it again (eth_type_trans): the protocol, and a
 * destination other than lo's all-zero address would make the packet
 * PACKET_OTHERHOST, which IP drops.  So: zero addresses, @proto.
 */
static __always_inline int set_eth_proto(struct __sk_buff *skb, __u16 proto)
{
	__u16 eth[7] = {};

	eth[6] = bpf_htons(proto);
	return bpf_skb_store_bytes(skb, 0, eth, ETH_HLEN, 0);
}

#define L4_OFF (ETH_HLEN + XLAT_IP6_HLEN)	/* after the translation */

/* An ICMP echo going out: 0 and its identifier filed, or -1 (not echo). */
static __always_inline int echo_out(struct __sk_buff *skb, __u32 dst4)
{
	struct sock464_echo_key key = { .netns = netns_cookie, .ip4 = dst4 };
	__u8 icmp[6], one = 1;

	if (bpf_skb_load_bytes(skb, ETH_HLEN + XLAT_IP4_HLEN, icmp, sizeof(icmp)) ||
	    icmp[0] != XLAT_ICMP_ECHO)
		return -1;
	__builtin_memcpy(&key.id, &icmp[4], sizeof(key.id));
	bpf_map_update_elem(&xlat_echo, &key, &one, BPF_ANY);
	return 0;
}

/*
 * The L4 header of a packet now IPv6 (@h6), from IPv4 (@h4), at @off:
 * checksums, ICMP type.  Only for packets and first fragments.
 */
static __always_inline int l4_out(struct __sk_buff *skb, const struct xlat_ip4 *h4,
				  const struct xlat_ip6 *h6, __u32 off)
{
	__u16 tc, ntc;
	__u8 *b = (__u8 *)&ntc;

	if (h4->protocol != XLAT_PROTO_ICMP)
		return bpf_l4_csum_replace(skb, off + l4_check_off(h4->protocol), 0,
					   xlat_pseudo_diff_4to6(h4->saddr, h4->daddr,
								 h6->saddr, h6->daddr),
					   l4_csum_flags(h4->protocol));
	if (bpf_skb_load_bytes(skb, off, &tc, sizeof(tc)))
		return -1;
	ntc = tc;
	b[0] = XLAT_ICMP6_ECHO;
	return bpf_skb_store_bytes(skb, off, &ntc, 1, 0) ||
	       bpf_l4_csum_replace(skb, off + 2, 0,
				   xlat_icmp_diff_4to6(h6->saddr, h6->daddr,
						       bpf_ntohs(h6->payload_len), tc, ntc), 0);
}

static __always_inline int xlat_out(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib;
	struct sock464_netns *ns;
	struct xlat_ip4 h4;
	struct xlat_ip6 h6;
	struct xlat_frag f;
	__u8 dst6[16], src6[16];
	int frag;

	if (skb->protocol != bpf_htons(ETH_P_IP) ||
	    (skb->mark != SOCK464_XLAT_MARK && skb->mark != SOCK464_XLAT_MARK_CONN))
		return XLAT_NEXT;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &h4, sizeof(h4)))
		return XLAT_NEXT;
	if (h4.saddr != bpf_htonl(SOCK464_XLAT_SRC_HOST) || sock464_ip4_reserved(h4.daddr))
		return XLAT_NEXT;
	ns = netns_entry(skb);
	if (!ns) {
		count(SOCK464_XC_OUT_NO_NETNS);
		return TC_ACT_SHOT;
	}
	rfc6052_synthesize(dst6, ns->pref64, ns->plen, h4.daddr);
	if (route6(skb, dst6, h4.protocol, &fib)) {
		count(SOCK464_XC_OUT_NO_ROUTE);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(src6, fib.ipv6_src, 16);
	switch (xlat_hdr_4to6(&h4, &h6, src6, dst6)) {
	case XLAT_OK:
		if (h4.protocol == XLAT_PROTO_ICMP && echo_out(skb, h4.daddr))
			goto pass;
		break;
	case XLAT_PASS:
pass:
		count(SOCK464_XC_OUT_PASS);
		return TC_ACT_SHOT;
	default:
		count(SOCK464_XC_OUT_DROP);
		return TC_ACT_SHOT;
	}
	frag = xlat_ip4_is_fragment(&h4);
	xlat_frag_4to6(&h4, &f);
	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0) ||
	    (frag && bpf_skb_adjust_room(skb, XLAT_FRAG_HLEN, BPF_ADJ_ROOM_NET, 0)) ||
	    set_eth_proto(skb, ETH_P_IPV6) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, &h6, sizeof(h6), 0) ||
	    (frag && bpf_skb_store_bytes(skb, L4_OFF, &f, sizeof(f), 0)) ||
	    (!xlat_frag_offset(&f) && l4_out(skb, &h4, &h6, L4_OFF + (frag ? XLAT_FRAG_HLEN : 0)))) {
		count(SOCK464_XC_OUT_DROP);
		return TC_ACT_SHOT;
	}
	count(SOCK464_XC_OUT);
	return bpf_redirect_neigh(fib.ifindex, NULL, 0, 0);
}

/*
 * 1 if the IPv4 form of a packet, @s4:@sport -> 127.0.0.1:@dport, is for
 * a socket on the kernel path: a TCP socket (or its request or time-wait
 * form) or a UDP socket on lo's 127.0.0.1 with that peer.  Only a
 * translated flow can have a non-loopback peer there.
 */
static __always_inline int ours(struct __sk_buff *skb, __u8 proto, __u32 s4,
				__u16 sport, __u16 dport)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	int found;

	t.ipv4.saddr = s4;
	t.ipv4.daddr = bpf_htonl(SOCK464_XLAT_SRC_HOST);
	t.ipv4.sport = sport;
	t.ipv4.dport = dport;
	if (proto == XLAT_PROTO_TCP) {
		/* a socket, request or time-wait socket: any on 127.0.0.1 */
		sk = bpf_skc_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
		if (!sk)
			return 0;
		/* one load at a fixed offset: no arithmetic on sock_common */
		found = *(volatile __u32 *)&sk->src_ip4 == bpf_htonl(SOCK464_XLAT_SRC_HOST);
		bpf_sk_release(sk);
		return found;
	}
	sk = bpf_sk_lookup_udp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	/* UDP: bound to 127.0.0.1 or to any address, and carrying the mark */
	found = sk->mark == SOCK464_XLAT_MARK || sk->mark == SOCK464_XLAT_MARK_CONN;
	bpf_sk_release(sk);
	return found;
}

/* 1 if an ICMPv6 message from @s4 (type and code @tc) answers an echo of ours. */
static __always_inline int echo_in(struct __sk_buff *skb, __u32 s4, __u16 tc)
{
	struct sock464_echo_key key = { .netns = netns_cookie, .ip4 = s4 };

	if (((__u8 *)&tc)[0] != XLAT_ICMP6_ECHO_REPLY ||
	    bpf_skb_load_bytes(skb, L4_OFF + 4, &key.id, sizeof(key.id)))
		return 0;
	return bpf_map_lookup_elem(&xlat_echo, &key) != NULL;
}

/* The L4 header of an IPv6 packet (@h6) about to be IPv4 from @s4 to @d4. */
static __always_inline int l4_in(struct __sk_buff *skb, const struct xlat_ip6 *h6,
				 __u32 s4, __u32 d4, __u16 tc)
{
	__u16 ntc = tc;

	if (h6->nexthdr != XLAT_PROTO_ICMP6)
		return bpf_l4_csum_replace(skb, L4_OFF + l4_check_off(h6->nexthdr), 0,
					   xlat_pseudo_diff_6to4(h6->saddr, h6->daddr, s4, d4),
					   l4_csum_flags(h6->nexthdr));
	((__u8 *)&ntc)[0] = XLAT_ICMP_ECHO_REPLY;
	return bpf_skb_store_bytes(skb, L4_OFF, &ntc, 1, 0) ||
	       bpf_l4_csum_replace(skb, L4_OFF + 2, 0,
				   xlat_icmp_diff_6to4(h6->saddr, h6->daddr,
						       bpf_ntohs(h6->payload_len), tc, ntc), 0);
}

/* Where the ICMP error's parts are in the IPv6 form, and in the IPv4 form. */
#define ERR6_INNER	(L4_OFF + 8)
#define ERR6_PORTS	(ERR6_INNER + XLAT_IP6_HLEN)
#define ERR4_L4		(ETH_HLEN + XLAT_IP4_HLEN)
#define ERR4_PORTS	(ERR4_L4 + 8 + XLAT_IP4_HLEN)

/* The old and new inner TCP/UDP checksum of an error (both 0 if not there). */
static __always_inline void inner_l4_check(struct __sk_buff *skb, const struct xlat_ip6 *i6,
					   __u32 s4, __u32 d4, __u16 *old, __u16 *new)
{
	*old = *new = 0;
	if (bpf_skb_load_bytes(skb, ERR6_PORTS + l4_check_off(i6->nexthdr), old, 2))
		return;
	*new = *old;
	if (i6->nexthdr == XLAT_PROTO_UDP && !*old)
		return;		/* no checksum */
	*new = xlat_csum_apply(*old, xlat_pseudo_diff_6to4(i6->saddr, i6->daddr, s4, d4));
}

/*
 * An ICMPv6 error about a packet of a translated flow (its inner packet
 * is that flow's IPv6 form) becomes the ICMPv4 error with the inner packet
 * in its IPv4 form (RFC 7915 section 5.2): port unreachable gives UDP
 * ECONNREFUSED, host unreachable TCP EHOSTUNREACH, Packet Too Big lowers
 * the IPv4 path MTU.  @s4: the error's IPv4 source (0: none, 192.0.0.8).
 */
static __always_inline int icmp_err_in(struct __sk_buff *skb, const struct sock464_netns *ns,
				       const struct xlat_ip6 *h6, __u32 s4)
{
	struct xlat_icmp e6, e4;
	struct xlat_ip6 i6, o6 = *h6;
	struct xlat_ip4 i4, o4;
	__u32 x, lo = bpf_htonl(SOCK464_XLAT_SRC_HOST);
	__u16 ports[2], l4_old, l4_new;
	__u8 err4[8 + XLAT_IP4_HLEN];

	if (bpf_skb_load_bytes(skb, L4_OFF, &e6, sizeof(e6)) ||
	    bpf_skb_load_bytes(skb, ERR6_INNER, &i6, sizeof(i6)) ||
	    bpf_skb_load_bytes(skb, ERR6_PORTS, ports, sizeof(ports)))
		return XLAT_NEXT;
	if ((i6.nexthdr != XLAT_PROTO_TCP && i6.nexthdr != XLAT_PROTO_UDP) ||
	    !rfc6052_extract(i6.daddr, ns->pref64, ns->plen, &x) ||
	    !ours(skb, i6.nexthdr, x, ports[1], ports[0])) {
		count(SOCK464_XC_IN_NOT_OURS);
		return XLAT_NEXT;
	}
	if (xlat_icmp_err_6to4(&e6, &e4) || xlat_hdr_6to4(&i6, &i4, lo, x) != XLAT_OK ||
	    bpf_ntohs(h6->payload_len) < 8 + XLAT_IP6_HLEN) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	inner_l4_check(skb, &i6, lo, x, &l4_old, &l4_new);
	e4.check = xlat_icmp_err_check(e6.check, h6->saddr, h6->daddr,
				       bpf_ntohs(h6->payload_len), &e6, &i6, &e4, &i4,
				       l4_old, l4_new);
	o6.payload_len = bpf_htons(bpf_ntohs(h6->payload_len) - XLAT_HLEN_DIFF);
	if (xlat_hdr_6to4(&o6, &o4, s4 ? s4 : bpf_htonl(XLAT_DUMMY_IP4_HOST), lo) != XLAT_OK) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(err4, &e4, 8);
	__builtin_memcpy(err4 + 8, &i4, XLAT_IP4_HLEN);
	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0) ||
	    bpf_skb_adjust_room(skb, -XLAT_HLEN_DIFF, BPF_ADJ_ROOM_NET, 0) ||
	    set_eth_proto(skb, ETH_P_IP) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, &o4, sizeof(o4), 0) ||
	    bpf_skb_store_bytes(skb, ERR4_L4, err4, sizeof(err4), 0) ||
	    (l4_old != l4_new &&
	     bpf_skb_store_bytes(skb, ERR4_PORTS + l4_check_off(i6.nexthdr), &l4_new, 2, 0))) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	skb->mark = SOCK464_XLAT_MARK_CONN;
	count(SOCK464_XC_IN_ERROR);
	return bpf_redirect(LOOPBACK_IFINDEX, BPF_F_INGRESS);
}

/*
 * The last step in: the IPv6 header becomes @h4, and the packet goes to
 * lo's ingress with the mark of translated connections.
 */
static __always_inline int deliver4(struct __sk_buff *skb, const struct xlat_ip4 *h4)
{
	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0) ||
	    set_eth_proto(skb, ETH_P_IP) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, h4, sizeof(*h4), 0)) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	skb->mark = SOCK464_XLAT_MARK_CONN;
	count(SOCK464_XC_IN);
	return bpf_redirect(LOOPBACK_IFINDEX, BPF_F_INGRESS);
}

/*
 * An IPv6 fragment of a translated flow becomes an IPv4 fragment (RFC 7915
 * section 5.1.1); lo's IPv4 reassembles them.  The first fragment finds the
 * flow's socket and files the identification for the others.
 */
static __always_inline int frag_in(struct __sk_buff *skb, const struct xlat_ip6 *h6, __u32 s4)
{
	struct sock464_frag_key key = { .netns = netns_cookie, .ip4 = s4 };
	__u32 d4 = bpf_htonl(SOCK464_XLAT_SRC_HOST);
	struct xlat_frag f;
	struct xlat_ip4 h4;
	__u16 ports[2];
	__u8 one = 1;
	int first;

	if (bpf_skb_load_bytes(skb, L4_OFF, &f, sizeof(f)) ||
	    (f.nexthdr != XLAT_PROTO_TCP && f.nexthdr != XLAT_PROTO_UDP))
		return XLAT_NEXT;
	key.id = f.id;
	first = !xlat_frag_offset(&f);
	if (first) {
		if (bpf_skb_load_bytes(skb, L4_OFF + XLAT_FRAG_HLEN, ports, sizeof(ports)) ||
		    !ours(skb, f.nexthdr, s4, ports[0], ports[1]))
			goto not_ours;
		bpf_map_update_elem(&xlat_frags, &key, &one, BPF_ANY);
	} else if (!bpf_map_lookup_elem(&xlat_frags, &key)) {
		goto not_ours;
	}
	if (xlat_hdr_6to4_frag(h6, &f, &h4, s4, d4) != XLAT_OK ||
	    (first && bpf_l4_csum_replace(skb, L4_OFF + XLAT_FRAG_HLEN + l4_check_off(f.nexthdr),
					  0, xlat_pseudo_diff_6to4(h6->saddr, h6->daddr, s4, d4),
					  l4_csum_flags(f.nexthdr))) ||
	    bpf_skb_adjust_room(skb, -XLAT_FRAG_HLEN, BPF_ADJ_ROOM_NET, 0)) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	return deliver4(skb, &h4);
not_ours:
	count(SOCK464_XC_IN_NOT_OURS);
	return XLAT_NEXT;
}

static __always_inline int xlat_in(struct __sk_buff *skb)
{
	struct sock464_netns *ns;
	struct xlat_ip6 h6;
	struct xlat_ip4 h4;
	__u16 ports[2];
	__u32 s4 = 0, d4 = bpf_htonl(SOCK464_XLAT_SRC_HOST);

	if (skb->protocol != bpf_htons(ETH_P_IPV6))
		return XLAT_NEXT;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &h6, sizeof(h6)))
		return XLAT_NEXT;
	if (h6.nexthdr != XLAT_PROTO_TCP && h6.nexthdr != XLAT_PROTO_UDP &&
	    h6.nexthdr != XLAT_PROTO_ICMP6 && h6.nexthdr != XLAT_PROTO_FRAG)
		return XLAT_NEXT;
	ns = netns_entry(skb);
	if (!ns) {
		count(SOCK464_XC_IN_NO_NETNS);
		return XLAT_NEXT;
	}
	if (!rfc6052_extract(h6.saddr, ns->pref64, ns->plen, &s4)) {
		if (h6.nexthdr != XLAT_PROTO_ICMP6)
			return XLAT_NEXT;
		s4 = 0;		/* an error from a router on the IPv6 path */
	}
	if (h6.nexthdr == XLAT_PROTO_FRAG)
		return frag_in(skb, &h6, s4);
	if (bpf_skb_load_bytes(skb, ETH_HLEN + XLAT_IP6_HLEN, ports, sizeof(ports)))
		return XLAT_NEXT;
	if (h6.nexthdr == XLAT_PROTO_ICMP6 && ((__u8 *)ports)[0] < 128)
		return icmp_err_in(skb, ns, &h6, s4);
	if (h6.nexthdr == XLAT_PROTO_ICMP6 ? !echo_in(skb, s4, ports[0]) :
					     !ours(skb, h6.nexthdr, s4, ports[0], ports[1])) {
		count(SOCK464_XC_IN_NOT_OURS);
		return XLAT_NEXT;
	}
	if (xlat_hdr_6to4(&h6, &h4, s4, d4) != XLAT_OK || l4_in(skb, &h6, s4, d4, ports[0])) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	return deliver4(skb, &h4);
}

SEC("tc")
int sock464_xlat_out(struct __sk_buff *skb)
{
	return xlat_out(skb);
}

SEC("tc")
int sock464_xlat_in(struct __sk_buff *skb)
{
	return xlat_in(skb);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
