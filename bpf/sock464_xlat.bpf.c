// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464 kernel data path: per-packet RFC 7915 translation in TC.
 *
 *   sock464_xlat_out  lo egress: an IPv4 packet of a marked socket (see
 *                     SOCK464_XLAT_MARK in sock464.h) from 127.0.0.1 becomes
 *                     IPv6 from the namespace's source for PREF64::dst to
 *                     PREF64::dst (the PREF64 its socket connected with:
 *                     a flow keeps its prefix across a change), routed
 *                     with bpf_fib_lookup and sent with bpf_redirect_neigh.
 *   sock464_xlat_in   uplink ingress: an IPv6 TCP/UDP packet from PREF64::x
 *                     (or the previous PREF64's)
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
 * on 6.18).  The header arithmetic is include/rfc7915.h.  Parts of this
 * file: xlat_prefix.h (a flow keeps its PREF64 across a change),
 * xlat_route.h (the per-CPU route cache), xlat_collide.h (4-tuple collisions with native IPv6 sockets),
 * xlat_split.h (large ICMP echoes as IPv6 fragments), xlat_icmp_err.h
 * (ICMPv6 errors as ICMPv4).
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
#include "xlat_refuse.h"

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
/* bpf_check_mtu() is there (5.12); else the daemon clears it. */
const volatile __u8 check_mtu_flag = 1;
__u8 fib_src6[16];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SOCK464_MAX_NETNS);
	__type(key, __u64);
	__type(value, struct sock464_netns);
} sock464_netns SEC(".maps");	/* reused from sock464.bpf.c by the daemon */

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock464_sk);
} sock464_sk SEC(".maps");	/* the hooks' per-socket state: reused too */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SOCK464_MAX_UPLINKS);
	__type(key, struct sock464_uplink_id);
	__type(value, struct sock464_uplink);
} sock464_uplink_ids SEC(".maps");	/* the daemon's list of links: reused too */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SOCK464_MAX_BOUND);
	__type(key, struct sock464_bound_key);
	__type(value, __u32);
} xlat_bound SEC(".maps");	/* shared by every copy too */

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
	__type(value, __u16);		/* the ICMP message's length */
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

/* The entry of the namespace the packet is in, if it is on the kernel path
 * (or was, before a daemon stopped with --pin: its flows keep going). */
static __always_inline struct sock464_netns *netns_entry(struct __sk_buff *skb)
{
	__u64 cookie = netns_cookie;
	struct sock464_netns *ns = bpf_map_lookup_elem(&sock464_netns, &cookie);

	(void)skb;

	if (!ns || !(ns->flags & (SOCK464_NS_KERNEL | SOCK464_NS_XLAT_ONLY)) ||
	    (!rfc6052_len_valid(ns->plen) && !rfc6052_len_valid(ns->prev_plen)))
		return NULL;
	return ns;
}

#include "xlat_prefix.h"	/* extract4(), sk_state(), flow_dst6() */

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
 * The uplink the packet's socket was bound to (SO_BINDTODEVICE, which the
 * hooks' setsockopt_dev() took off it), or 0.  Filed by flow in
 * xlat_bound, where a TCP or UDP packet sent without its full socket (a
 * time-wait socket's ACK) finds it.
 */
static __always_inline __u32 bound_uplink(struct __sk_buff *skb, const struct xlat_ip4 *h4,
					  const struct sock464_sk *st, int full)
{
	struct sock464_bound_key key = { .netns = netns_cookie, .ip4 = h4->daddr,
					 .proto = h4->protocol };
	__u32 *filed, dev = st ? st->dev_ifindex : 0;
	int keyed;

	if (full && !dev)
		return 0;	/* the usual case: not bound, no ports to read */
	keyed = (h4->protocol == XLAT_PROTO_TCP || h4->protocol == XLAT_PROTO_UDP) &&
		!xlat_ip4_is_fragment(h4) &&
		!bpf_skb_load_bytes(skb, ETH_HLEN + XLAT_IP4_HLEN, &key.sport, 4);
	if (!full) {
		filed = keyed ? bpf_map_lookup_elem(&xlat_bound, &key) : NULL;
		return filed ? *filed : 0;
	}
	if (!keyed)
		return dev;
	filed = bpf_map_lookup_elem(&xlat_bound, &key);
	if (!filed || *filed != dev)
		bpf_map_update_elem(&xlat_bound, &key, &dev, BPF_ANY);
	return dev;
}

/*
 * A socket bound to uplink @dev: the source and next hop for PREF64 out of
 * it as the daemon asked the kernel (bpf_fib_lookup() answers for an
 * output device only if it forwards, and bpf_redirect_neigh()'s own lookup
 * may take another link's gateway), the next hop in @fib->ipv6_dst.  1, or
 * -1 if the link no longer routes PREF64.
 */
static __always_inline int route6_via(__u32 dev, const __u8 dst6[16],
				      struct bpf_fib_lookup *fib)
{
	struct sock464_uplink_id key = { .netns = netns_cookie, .ifindex = dev };
	struct sock464_uplink *up = bpf_map_lookup_elem(&sock464_uplink_ids, &key);
	__u64 gw[2];

	if (!up || !(up->flags & SOCK464_UPLINK_PREF64))
		return -1;
	fib->ifindex = dev;
	__builtin_memcpy(fib->ipv6_src, up->src6, 16);
	__builtin_memcpy(gw, up->gw6, 16);
	__builtin_memcpy(fib->ipv6_dst, gw[0] || gw[1] ? up->gw6 : dst6, 16);
	return 1;
}

/*
 * The IPv6 route and source for @dst6 as the kernel has it: 0 with @fib's
 * ifindex, ipv6_src and ipv6_dst (the next hop) filled, or -1.  No MTU
 * check (tot_len 0): a GSO packet is larger than any MTU, and the IPv4
 * route's MTU already leaves room for IPv6.  Without it the helper still
 * compares the packet itself with the device's MTU and says FRAG_NEEDED,
 * its answer otherwise complete: only an ICMP message can be that large
 * here, and split_out() sends it.  Before 6.8 the lookup takes no flags: a
 * next hop not yet resolved is NO_NEIGH (bpf_redirect_neigh() resolves
 * it), the source is fib_src6, which the daemon sets.
 */
static __always_inline int route6_fib(struct __sk_buff *skb, const __u8 dst6[16], __u8 proto,
				      struct bpf_fib_lookup *fib)
{
	long rc;

	fib->family = AF_INET6;
	fib->l4_protocol = proto;
	fib->ifindex = skb->ifindex;
	__builtin_memcpy(fib->ipv6_dst, dst6, 16);
	if (fib_src_flag) {
		rc = bpf_fib_lookup(skb, fib, sizeof(*fib),
				    BPF_FIB_LOOKUP_SRC | BPF_FIB_LOOKUP_SKIP_NEIGH);
		return rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_FRAG_NEEDED ? 0 : -1;
	}
	rc = bpf_fib_lookup(skb, fib, sizeof(*fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH &&
	    rc != BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return -1;
	__builtin_memcpy(fib->ipv6_src, fib_src6, 16);
	return fib->ipv6_src[0] ? 0 : -1;	/* a global source (none: zero) */
}

#include "xlat_route.h"	/* route6_cached(), which calls route6_fib() */

/*
 * The uplink, source and next hop for @dst6: those of the socket's bound
 * uplink (route6_via()), else the kernel's route (route6_cached()).  0 with
 * @fib filled, or -1.
 */
static __always_inline int route6(struct __sk_buff *skb, const struct xlat_ip4 *h4,
				  const struct sock464_sk *st, int full,
				  const __u8 dst6[16], struct bpf_fib_lookup *fib)
{
	__u32 dev = bound_uplink(skb, h4, st, full);

	__builtin_memset(fib, 0, sizeof(*fib));
	if (dev)
		return route6_via(dev, dst6, fib) < 0 ? -1 : 0;
	return route6_cached(skb, h4->daddr, dst6, h4->protocol, fib);
}

/* Out of @fib's uplink to its next hop: no second route lookup. */
static __always_inline long send6(const struct bpf_fib_lookup *fib)
{
	struct bpf_redir_neigh nh = { .nh_family = AF_INET6 };
	long rc;

	__builtin_memcpy(nh.ipv6_nh, fib->ipv6_dst, 16);
	rc = bpf_redirect_neigh(fib->ifindex, &nh, sizeof(nh), 0);
	/* Linux 5.10's helper takes (ifindex, flags) and refuses these: route it */
	return rc == TC_ACT_REDIRECT ? rc : bpf_redirect_neigh(fib->ifindex, NULL, 0, 0);
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

/* set_eth_proto() and the IPv6 header @h6 in one store. */
static __always_inline int store_eth_ip6(struct __sk_buff *skb, const struct xlat_ip6 *h6)
{
	struct {
		__u16 eth[7];
		struct xlat_ip6 ip6;
	} __attribute__((packed)) hdr = { .eth[6] = bpf_htons(ETH_P_IPV6) };

	__builtin_memcpy(&hdr.ip6, h6, sizeof(*h6));
	return bpf_skb_store_bytes(skb, 0, &hdr, sizeof(hdr), 0);
}

#define L4_OFF (ETH_HLEN + XLAT_IP6_HLEN)	/* after the translation */

/* An ICMP echo going out: 0 and its identifier and length filed, or -1 (not echo). */
static __always_inline int echo_out(struct __sk_buff *skb, const struct xlat_ip4 *h4)
{
	struct sock464_echo_key key = { .netns = netns_cookie, .ip4 = h4->daddr };
	__u16 len = bpf_ntohs(h4->tot_len) - XLAT_IP4_HLEN;
	__u8 icmp[6];

	if (bpf_skb_load_bytes(skb, ETH_HLEN + XLAT_IP4_HLEN, icmp, sizeof(icmp)) ||
	    icmp[0] != XLAT_ICMP_ECHO)
		return -1;
	__builtin_memcpy(&key.id, &icmp[4], sizeof(key.id));
	bpf_map_update_elem(&xlat_echo, &key, &len, BPF_ANY);
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

#include "xlat_collide.h"
#include "xlat_split.h"

static __always_inline int xlat_out(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib;
	struct sock464_netns *ns;
	struct bpf_sock *fsk;
	struct sock464_sk *st;
	struct xlat_ip4 h4;
	struct xlat_ip6 h6;
	struct xlat_frag f;
	__u8 dst6[16], src6[16];
	int frag, full;

	if (skb->mark == SOCK464_XLAT_MARK_SPLIT)
		return split_clone(skb);
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
	st = sk_state(skb, &fsk);
	full = !!fsk;
	if (flow_dst6(ns, st, h4.daddr, dst6)) {
		count(SOCK464_XC_OUT_NO_NETNS);
		return TC_ACT_SHOT;
	}
	if (route6(skb, &h4, st, full, dst6, &fib)) {
		count(SOCK464_XC_OUT_NO_ROUTE);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(src6, fib.ipv6_src, 16);
	if (collides(skb, &h4, fsk, src6, dst6)) {
		if (h4.protocol == XLAT_PROTO_TCP)
			return refuse_syn(skb, &h4);
		count(SOCK464_XC_OUT_COLLISION);
		return TC_ACT_SHOT;
	}
	switch (xlat_hdr_4to6(&h4, &h6, src6, dst6)) {
	case XLAT_OK:
		if (h4.protocol == XLAT_PROTO_ICMP && echo_out(skb, &h4))
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
	    store_eth_ip6(skb, &h6) ||
	    (frag && bpf_skb_store_bytes(skb, L4_OFF, &f, sizeof(f), 0)) ||
	    (!xlat_frag_offset(&f) && l4_out(skb, &h4, &h6, L4_OFF + (frag ? XLAT_FRAG_HLEN : 0))) ||
	    (h4.protocol == XLAT_PROTO_ICMP && too_big(skb, fib.ifindex) && split_out(skb, &h6))) {
		count(SOCK464_XC_OUT_DROP);
		return TC_ACT_SHOT;
	}
	count(SOCK464_XC_OUT);
	return send6(&fib);
}

/*
 * 1 if the IPv4 form of a packet, @s4:@sport -> 127.0.0.1:@dport, is for
 * a socket on the kernel path: a TCP socket (or its request or time-wait
 * form) or a UDP socket on lo's 127.0.0.1 with that peer; OURS_SYN_SENT
 * for a TCP socket still connecting.  Only a translated flow can have a
 * non-loopback peer there.
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
		if (found && *(volatile __u32 *)&sk->state == BPF_TCP_SYN_SENT)
			found = OURS_SYN_SENT;
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

/*
 * ours() again for a source @a6 that is under both the namespace's prefix
 * and the one before it (they overlap: 64:ff9b::/96 and 64:ff9b::/48),
 * whose form under the current one (@s4) found nothing: its form under the
 * previous one, into @s4 if that finds the flow.
 */
static __always_inline int ours_prev(struct __sk_buff *skb, const struct sock464_netns *ns,
				     const __u8 a6[16], __u8 proto, __u16 sport, __u16 dport,
				     __u32 *s4)
{
	__u32 p4;
	int mine;

	if (!rfc6052_extract(a6, ns->prev_pref64, ns->prev_plen, &p4) || p4 == *s4)
		return 0;
	mine = ours(skb, proto, p4, sport, dport);
	if (mine)
		*s4 = p4;
	return mine;
}

/*
 * An ICMPv6 message from @s4 (type and code @tc, header at @off) that
 * answers an echo of ours: the echo's length; else 0.
 */
static __always_inline __u16 echo_in(struct __sk_buff *skb, __u32 s4, __u16 tc, __u32 off)
{
	struct sock464_echo_key key = { .netns = netns_cookie, .ip4 = s4 };
	__u16 *len;

	if (((__u8 *)&tc)[0] != XLAT_ICMP6_ECHO_REPLY ||
	    bpf_skb_load_bytes(skb, off + 4, &key.id, sizeof(key.id)))
		return 0;
	len = bpf_map_lookup_elem(&xlat_echo, &key);
	return len ? *len : 0;
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

#include "xlat_icmp_err.h"

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
 * The L4 header of a first fragment (after the Fragment header @f): the
 * TCP/UDP checksum, or for an ICMPv6 echo reply of @len bytes in all, its
 * type and its checksum, which loses the pseudo-header of that length.
 */
static __always_inline int frag_l4_in(struct __sk_buff *skb, const struct xlat_ip6 *h6,
				      const struct xlat_frag *f, __u32 s4, __u32 d4,
				      __u16 tc, __u16 len)
{
	__u32 off = L4_OFF + XLAT_FRAG_HLEN;
	__u16 ntc = tc;

	if (f->nexthdr != XLAT_PROTO_ICMP6)
		return bpf_l4_csum_replace(skb, off + l4_check_off(f->nexthdr), 0,
					   xlat_pseudo_diff_6to4(h6->saddr, h6->daddr, s4, d4),
					   l4_csum_flags(f->nexthdr));
	((__u8 *)&ntc)[0] = XLAT_ICMP_ECHO_REPLY;
	return bpf_skb_store_bytes(skb, off, &ntc, 1, 0) ||
	       bpf_l4_csum_replace(skb, off + 2, 0,
				   xlat_icmp_diff_6to4(h6->saddr, h6->daddr, len, tc, ntc), 0);
}

/*
 * An IPv6 fragment of a translated flow becomes an IPv4 fragment (RFC 7915
 * section 5.1.1); lo's IPv4 reassembles them.  The first fragment finds the
 * flow's socket (an ICMP echo reply: its echo) and files the identification
 * for the others.
 */
static __always_inline int frag_in(struct __sk_buff *skb, const struct sock464_netns *ns,
				   const struct xlat_ip6 *h6, __u32 s4)
{
	struct sock464_frag_key key = { .netns = netns_cookie, .ip4 = s4 };
	__u32 d4 = bpf_htonl(SOCK464_XLAT_SRC_HOST);
	struct xlat_frag f;
	struct xlat_ip4 h4;
	__u16 ports[2], len = 0;
	__u8 one = 1;
	int first, mine;

	if (bpf_skb_load_bytes(skb, L4_OFF, &f, sizeof(f)) ||
	    (f.nexthdr != XLAT_PROTO_TCP && f.nexthdr != XLAT_PROTO_UDP &&
	     f.nexthdr != XLAT_PROTO_ICMP6))
		return XLAT_NEXT;
	key.id = f.id;
	first = !xlat_frag_offset(&f);
	if (first) {
		if (bpf_skb_load_bytes(skb, L4_OFF + XLAT_FRAG_HLEN, ports, sizeof(ports)))
			goto not_ours;
		if (f.nexthdr == XLAT_PROTO_ICMP6) {
			len = echo_in(skb, s4, ports[0], L4_OFF + XLAT_FRAG_HLEN);
			if (!len)
				goto not_ours;
		} else {
			mine = ours(skb, f.nexthdr, s4, ports[0], ports[1]) ?:
			       ours_prev(skb, ns, h6->saddr, f.nexthdr, ports[0], ports[1], &s4);
			if (!mine)
				goto not_ours;
			if (native_owner(skb, h6, ports, mine, f.nexthdr)) {
				count(SOCK464_XC_IN_NATIVE);
				return XLAT_NEXT;
			}
		}
		bpf_map_update_elem(&xlat_frags, &key, &one, BPF_ANY);
	} else if (!bpf_map_lookup_elem(&xlat_frags, &key)) {
		goto not_ours;
	}
	if (xlat_hdr_6to4_frag(h6, &f, &h4, s4, d4) != XLAT_OK ||
	    (first && frag_l4_in(skb, h6, &f, s4, d4, ports[0], len)) ||
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
	int mine;

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
	if (!extract4(ns, h6.saddr, &s4)) {
		if (h6.nexthdr != XLAT_PROTO_ICMP6)
			return XLAT_NEXT;
		s4 = 0;		/* an error from a router on the IPv6 path */
	}
	if (h6.nexthdr == XLAT_PROTO_FRAG)
		return frag_in(skb, ns, &h6, s4);
	if (bpf_skb_load_bytes(skb, ETH_HLEN + XLAT_IP6_HLEN, ports, sizeof(ports)))
		return XLAT_NEXT;
	if (h6.nexthdr == XLAT_PROTO_ICMP6 && ((__u8 *)ports)[0] < 128)
		return icmp_err_in(skb, ns, &h6, s4);
	if (h6.nexthdr == XLAT_PROTO_ICMP6) {
		if (!echo_in(skb, s4, ports[0], L4_OFF)) {
			count(SOCK464_XC_IN_NOT_OURS);
			return XLAT_NEXT;
		}
	} else {
		mine = ours(skb, h6.nexthdr, s4, ports[0], ports[1]);
		if (!mine)
			mine = ours_prev(skb, ns, h6.saddr, h6.nexthdr, ports[0], ports[1], &s4);
		if (!mine) {
			count(SOCK464_XC_IN_NOT_OURS);
			return XLAT_NEXT;
		}
		if (native_owner(skb, &h6, ports, mine, h6.nexthdr)) {
			count(SOCK464_XC_IN_NATIVE);
			return XLAT_NEXT;
		}
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
