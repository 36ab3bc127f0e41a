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
#include "xlat_refuse.h"

#define AF_INET6	10
#define ETH_HLEN	14
#define LOOPBACK_IFINDEX 1
#define XLAT_NEXT	TC_ACT_UNSPEC	/* tcx: the next program decides */

/* Set by the daemon before loading: the namespace this copy serves. */
const volatile __u64 netns_cookie = 0;

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
 * Without it the helper still compares the packet itself with the
 * device's MTU and says FRAG_NEEDED, its answer otherwise complete: only
 * an ICMP message can be that large here, and split_out() sends it.
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
	rc = bpf_fib_lookup(skb, fib, sizeof(*fib),
			    BPF_FIB_LOOKUP_SRC | BPF_FIB_LOOKUP_SKIP_NEIGH);
	return rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_FRAG_NEEDED ? 0 : -1;
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

/*
 * 1 if a native IPv6 TCP socket of this namespace owns the tuple
 * @local6:@lport <-> @remote6:@rport: a connection in any state, its
 * request or time-wait form; a listener owns no tuple.
 */
static __always_inline int native_tcp(struct __sk_buff *skb, const __u8 remote6[16],
				      const __u8 local6[16], __u16 rport, __u16 lport)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	int found;

	__builtin_memcpy(t.ipv6.saddr, remote6, 16);
	__builtin_memcpy(t.ipv6.daddr, local6, 16);
	t.ipv6.sport = rport;
	t.ipv6.dport = lport;
	sk = bpf_skc_lookup_tcp(skb, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	found = *(volatile __u32 *)&sk->state != BPF_TCP_LISTEN;
	bpf_sk_release(sk);
	return found;
}

/*
 * 1 if a native IPv6 UDP socket of this namespace connected to exactly
 * @remote6:@rport owns the tuple @local6:@lport <-> @remote6:@rport.
 */
static __always_inline int native_udp(struct __sk_buff *skb, const __u8 remote6[16],
				      const __u8 local6[16], __u16 rport, __u16 lport)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 peer[4];
	int found;

	__builtin_memcpy(t.ipv6.saddr, remote6, 16);
	__builtin_memcpy(t.ipv6.daddr, local6, 16);
	t.ipv6.sport = rport;
	t.ipv6.dport = lport;
	sk = bpf_sk_lookup_udp(skb, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	__builtin_memcpy(peer, remote6, 16);
	found = sk->family == AF_INET6 && sk->dst_port == rport &&
		sk->dst_ip6[0] == peer[0] && sk->dst_ip6[1] == peer[1] &&
		sk->dst_ip6[2] == peer[2] && sk->dst_ip6[3] == peer[3];
	bpf_sk_release(sk);
	return found;
}

/*
 * A translated SYN (@h4) whose IPv6 tuple a native socket owns is not
 * sent: lo gets the RST a closed port would send, connect() fails with
 * ECONNREFUSED at once (docs/architecture.md, "4-tuple collisions").
 */
static __always_inline int refuse_syn(struct __sk_buff *skb, const struct xlat_ip4 *h4)
{
	struct {
		struct xlat_ip4 ip;
		struct xlat_tcp tcp;
	} r;
	struct xlat_tcp syn;

	if (bpf_skb_load_bytes(skb, ETH_HLEN + XLAT_IP4_HLEN, &syn, sizeof(syn)) ||
	    xlat_tcp_refuse(h4, &syn, &r.ip, &r.tcp) ||
	    bpf_skb_change_tail(skb, ETH_HLEN + sizeof(r), 0) ||
	    set_eth_proto(skb, ETH_P_IP) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, &r, sizeof(r), 0)) {
		count(SOCK464_XC_OUT_DROP);
		return TC_ACT_SHOT;
	}
	count(SOCK464_XC_OUT_COLLISION);
	skb->mark = SOCK464_XLAT_MARK_CONN;
	return bpf_redirect(LOOPBACK_IFINDEX, BPF_F_INGRESS);
}

/*
 * 1 if the IPv6 form @src6 -> @dst6 of @h4 has a tuple a native socket
 * owns: checked for a TCP SYN (the rest of a connection follows it), and
 * for every UDP datagram (or its first fragment), which has no such start.
 */
static __always_inline int collides(struct __sk_buff *skb, const struct xlat_ip4 *h4,
				    const __u8 src6[16], const __u8 dst6[16])
{
	__u8 t[14];		/* the TCP header up to its flags; UDP's first 8 bytes */
	__u16 sport, dport;

	if (h4->protocol == XLAT_PROTO_UDP) {
		if ((h4->frag_off & bpf_htons(XLAT_IP4_OFFSET)) ||
		    bpf_skb_load_bytes(skb, ETH_HLEN + XLAT_IP4_HLEN, t, 4))
			return 0;
	} else if (h4->protocol != XLAT_PROTO_TCP || xlat_ip4_is_fragment(h4) ||
		   bpf_skb_load_bytes(skb, ETH_HLEN + XLAT_IP4_HLEN, t, sizeof(t)) ||
		   (t[13] & (XLAT_TCP_SYN | XLAT_TCP_ACK | XLAT_TCP_RST)) != XLAT_TCP_SYN) {
		return 0;
	}
	__builtin_memcpy(&sport, &t[0], 2);
	__builtin_memcpy(&dport, &t[2], 2);
	if (h4->protocol == XLAT_PROTO_UDP)
		return native_udp(skb, dst6, src6, dport, sport);
	return native_tcp(skb, dst6, src6, dport, sport);
}

/* ICMP data in one IPv6 fragment of 1280 bytes, IPv6's minimum MTU: 1280 - 40 - 8. */
#define FRAG6_DATA	1232

/* Headers for the fragment of @len bytes at @off of a message split by split_out(). */
static __always_inline int frag_hdrs(struct __sk_buff *skb, struct xlat_ip6 *h6,
				     struct xlat_frag *f, __u32 off, __u32 len, int more)
{
	h6->payload_len = bpf_htons(XLAT_FRAG_HLEN + len);
	f->off_m = bpf_htons(off | (more ? XLAT_FRAG_M : 0));
	return bpf_skb_store_bytes(skb, ETH_HLEN, h6, sizeof(*h6), 0) ||
	       bpf_skb_store_bytes(skb, L4_OFF, f, sizeof(*f), 0);
}

/*
 * An ICMPv6 message (@h6, checksum complete) too large for the uplink goes
 * as fragments of 1280 bytes, which every IPv6 path carries (RFC 7915
 * section 4).  A TC program cannot make packets: each fragment but the
 * last is a clone sent through lo egress again with SOCK464_XLAT_MARK_SPLIT,
 * where split_clone() cuts it to its length; the packet itself then loses
 * that fragment's data and is the next.  0, or -1.
 */
static __always_inline int split_out(struct __sk_buff *skb, struct xlat_ip6 *h6)
{
	struct xlat_frag f = { .nexthdr = XLAT_PROTO_ICMP6 };
	__u32 rem = bpf_ntohs(h6->payload_len), off = 0, i;

	f.id = bpf_get_prandom_u32();
	h6->nexthdr = XLAT_PROTO_FRAG;
	if (bpf_skb_adjust_room(skb, XLAT_FRAG_HLEN, BPF_ADJ_ROOM_NET, 0))
		return -1;
	for (i = 0; i < 64 && rem > FRAG6_DATA; i++) {
		if (frag_hdrs(skb, h6, &f, off, FRAG6_DATA, 1))
			return -1;
		skb->mark = SOCK464_XLAT_MARK_SPLIT;
		if (bpf_clone_redirect(skb, LOOPBACK_IFINDEX, 0))
			return -1;
		/*
		 * Remove what was sent, less its last 8 bytes, from after
		 * the IPv6 header: the Fragment header goes there next.
		 */
		if (bpf_skb_adjust_room(skb, -FRAG6_DATA, BPF_ADJ_ROOM_NET, 0))
			return -1;
		off += FRAG6_DATA;
		rem -= FRAG6_DATA;
	}
	return rem > FRAG6_DATA ? -1 : frag_hdrs(skb, h6, &f, off, rem, 0);
}

/* A clone from split_out(): cut to its fragment and sent. */
static __always_inline int split_clone(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib;
	struct xlat_ip6 h6;

	if (skb->protocol != bpf_htons(ETH_P_IPV6) ||
	    bpf_skb_load_bytes(skb, ETH_HLEN, &h6, sizeof(h6)) ||
	    h6.nexthdr != XLAT_PROTO_FRAG ||
	    bpf_skb_change_tail(skb, L4_OFF + bpf_ntohs(h6.payload_len), 0) ||
	    route6(skb, h6.daddr, XLAT_PROTO_ICMP6, &fib)) {
		count(SOCK464_XC_OUT_DROP);
		return TC_ACT_SHOT;
	}
	count(SOCK464_XC_OUT);
	return bpf_redirect_neigh(fib.ifindex, NULL, 0, 0);
}

/* 1 if the packet, now IPv6, is larger than device @ifindex takes. */
static __always_inline int too_big(struct __sk_buff *skb, __u32 ifindex)
{
	__u32 mtu = 0;

	return bpf_check_mtu(skb, ifindex, &mtu, 0, 0) == BPF_MTU_CHK_RET_FRAG_NEEDED;
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
	rfc6052_synthesize(dst6, ns->pref64, ns->plen, h4.daddr);
	if (route6(skb, dst6, h4.protocol, &fib)) {
		count(SOCK464_XC_OUT_NO_ROUTE);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(src6, fib.ipv6_src, 16);
	if (collides(skb, &h4, src6, dst6)) {
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
	    set_eth_proto(skb, ETH_P_IPV6) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, &h6, sizeof(h6), 0) ||
	    (frag && bpf_skb_store_bytes(skb, L4_OFF, &f, sizeof(f), 0)) ||
	    (!xlat_frag_offset(&f) && l4_out(skb, &h4, &h6, L4_OFF + (frag ? XLAT_FRAG_HLEN : 0))) ||
	    (h4.protocol == XLAT_PROTO_ICMP && too_big(skb, fib.ifindex) && split_out(skb, &h6))) {
		count(SOCK464_XC_OUT_DROP);
		return TC_ACT_SHOT;
	}
	count(SOCK464_XC_OUT);
	return bpf_redirect_neigh(fib.ifindex, NULL, 0, 0);
}

#define OURS_SYN_SENT	2

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

/*
 * 1 if a native IPv6 socket owns the tuple of @h6 (@ports as on the wire),
 * which a translated socket (@mine from ours()) has too: a UDP socket
 * connected to exactly that peer, or, while the translated one is still
 * connecting, any TCP socket but a listener.  Its packets stay IPv6.
 */
static __always_inline int native_owner(struct __sk_buff *skb, const struct xlat_ip6 *h6,
					const __u16 ports[2], int mine, __u8 proto)
{
	if (proto == XLAT_PROTO_TCP)
		return mine == OURS_SYN_SENT &&
		       native_tcp(skb, h6->saddr, h6->daddr, ports[0], ports[1]);
	return native_udp(skb, h6->saddr, h6->daddr, ports[0], ports[1]);
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

/*
 * The old and new inner TCP/UDP checksum of an error (both 0 if not
 * there): protocol @proto, its header @fl bytes after the inner IPv6 one.
 */
static __always_inline void inner_l4_check(struct __sk_buff *skb, const struct xlat_ip6 *i6,
					   __u8 proto, __u32 fl, __u32 s4, __u32 d4,
					   __u16 *old, __u16 *new)
{
	*old = *new = 0;
	if (bpf_skb_load_bytes(skb, ERR6_PORTS + fl + l4_check_off(proto), old, 2))
		return;
	*new = *old;
	if (proto == XLAT_PROTO_UDP && !*old)
		return;		/* no checksum */
	*new = xlat_csum_apply(*old, xlat_pseudo_diff_6to4(i6->saddr, i6->daddr, s4, d4));
}

/*
 * The packet in error, IPv6 header @i6 and, if it was a fragment, the
 * Fragment header @f: its protocol, or 0 if it is none of ours to read (a
 * fragment other than the first has no ports).  @fl: the Fragment
 * header's length, or 0.
 */
static __always_inline __u8 inner_proto(struct __sk_buff *skb, const struct xlat_ip6 *i6,
					struct xlat_frag *f, __u32 *fl)
{
	*fl = 0;
	if (i6->nexthdr != XLAT_PROTO_FRAG)
		return i6->nexthdr;
	if (bpf_skb_load_bytes(skb, ERR6_PORTS, f, sizeof(*f)) || xlat_frag_offset(f))
		return 0;
	*fl = XLAT_FRAG_HLEN;
	return f->nexthdr;
}

/*
 * An ICMPv6 error about a packet of a translated flow (its inner packet
 * is that flow's IPv6 form) becomes the ICMPv4 error with the inner packet
 * in its IPv4 form (RFC 7915 section 5.2): port unreachable gives UDP
 * ECONNREFUSED, host unreachable TCP EHOSTUNREACH, Packet Too Big lowers
 * the IPv4 path MTU.  The packet in error may be the first fragment of a
 * datagram (a Packet Too Big from a smaller link): its IPv6 and Fragment
 * headers become one IPv4 header of that fragment.  @s4: the error's IPv4
 * source (0: none, 192.0.0.8).
 */
static __always_inline int icmp_err_in(struct __sk_buff *skb, const struct sock464_netns *ns,
				       const struct xlat_ip6 *h6, __u32 s4)
{
	/* all set: the verifier rejects spills of what the compiler left undefined */
	struct xlat_icmp e6, e4 = {};
	struct xlat_ip6 i6, o6 = *h6;
	struct xlat_ip4 i4 = {}, o4 = {};
	struct xlat_frag f = {};
	__u32 x, fl, lo = bpf_htonl(SOCK464_XLAT_SRC_HOST);
	__u16 ports[2], l4_old, l4_new;
	__u8 err4[8 + XLAT_IP4_HLEN], proto;
	int rc;

	if (bpf_skb_load_bytes(skb, L4_OFF, &e6, sizeof(e6)) ||
	    bpf_skb_load_bytes(skb, ERR6_INNER, &i6, sizeof(i6)))
		return XLAT_NEXT;
	proto = inner_proto(skb, &i6, &f, &fl);
	if ((proto != XLAT_PROTO_TCP && proto != XLAT_PROTO_UDP) ||
	    bpf_skb_load_bytes(skb, ERR6_PORTS + fl, ports, sizeof(ports)) ||
	    !rfc6052_extract(i6.daddr, ns->pref64, ns->plen, &x) ||
	    !ours(skb, proto, x, ports[1], ports[0])) {
		count(SOCK464_XC_IN_NOT_OURS);
		return XLAT_NEXT;
	}
	rc = fl ? xlat_hdr_6to4_frag(&i6, &f, &i4, lo, x) : xlat_hdr_6to4(&i6, &i4, lo, x);
	if (xlat_icmp_err_6to4(&e6, &e4) || rc != XLAT_OK ||
	    bpf_ntohs(h6->payload_len) < 8 + XLAT_IP6_HLEN + fl) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	inner_l4_check(skb, &i6, proto, fl, lo, x, &l4_old, &l4_new);
	e4.check = xlat_icmp_err_check(e6.check, h6->saddr, h6->daddr,
				       bpf_ntohs(h6->payload_len), &e6, &i6, fl ? &f : NULL,
				       &e4, &i4, l4_old, l4_new);
	o6.payload_len = bpf_htons(bpf_ntohs(h6->payload_len) - XLAT_HLEN_DIFF - fl);
	if (xlat_hdr_6to4(&o6, &o4, s4 ? s4 : bpf_htonl(XLAT_DUMMY_IP4_HOST), lo) != XLAT_OK) {
		count(SOCK464_XC_IN_DROP);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(err4, &e4, 8);
	__builtin_memcpy(err4 + 8, &i4, XLAT_IP4_HLEN);
	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0) ||
	    bpf_skb_adjust_room(skb, -(XLAT_HLEN_DIFF + (__s32)fl), BPF_ADJ_ROOM_NET, 0) ||
	    set_eth_proto(skb, ETH_P_IP) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, &o4, sizeof(o4), 0) ||
	    bpf_skb_store_bytes(skb, ERR4_L4, err4, sizeof(err4), 0) ||
	    (l4_old != l4_new &&
	     bpf_skb_store_bytes(skb, ERR4_PORTS + l4_check_off(proto), &l4_new, 2, 0))) {
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
static __always_inline int frag_in(struct __sk_buff *skb, const struct xlat_ip6 *h6, __u32 s4)
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
			mine = ours(skb, f.nexthdr, s4, ports[0], ports[1]);
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
	if (h6.nexthdr == XLAT_PROTO_ICMP6) {
		if (!echo_in(skb, s4, ports[0], L4_OFF)) {
			count(SOCK464_XC_IN_NOT_OURS);
			return XLAT_NEXT;
		}
	} else {
		mine = ours(skb, h6.nexthdr, s4, ports[0], ports[1]);
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
