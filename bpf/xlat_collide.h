/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * 4-tuple collisions between translated flows and native IPv6 sockets
 * (docs/architecture.md, "4-tuple collisions"): the lookups, the refusal
 * of a translated SYN, the checks on the way out and in.
 * Part of bpf/sock464_xlat.bpf.c, which includes it after its common
 * helpers (count(), route_ttl(), set_eth_proto(), the maps): not a header
 * of its own.
 */
#ifndef SOCK464_XLAT_COLLIDE_H
#define SOCK464_XLAT_COLLIDE_H

/* ours(): a translated TCP socket that is still connecting */
#define OURS_SYN_SENT	2

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
 * A translated UDP socket's last tuple that no native socket owned, and
 * until when (jiffies) that answer stands: the way out looks the tuple up
 * once per XLAT_ROUTE_TTL_MS per socket instead of for every datagram (the
 * lookup was 4% of a UDP stream's throughput, docs/benchmarks.md).  The way
 * in still looks up every datagram (native_owner()).
 */
struct xlat_udp_free {
	__u64 until;
	__u8  src6[16];
	__u32 daddr;
	__u16 sport, dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct xlat_udp_free);
} xlat_udp_free SEC(".maps");	/* one per copy: soft state */

/*
 * native_udp() for a datagram of @h4 (@sport, @dport) from @src6 to @dst6,
 * with the last answer of its full socket @sk (NULL: none) while it stands
 * and is for the same tuple.
 */
static __always_inline int native_udp_out(struct __sk_buff *skb, const struct xlat_ip4 *h4,
					  struct bpf_sock *sk, const __u8 src6[16],
					  const __u8 dst6[16], __u16 sport, __u16 dport)
{
	struct xlat_udp_free *c = NULL;
	__u64 now = bpf_jiffies64(), s6[2], c6[2];
	int owned;

	if (sk)
		c = bpf_sk_storage_get(&xlat_udp_free, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	__builtin_memcpy(s6, src6, 16);
	if (c) {
		__builtin_memcpy(c6, c->src6, 16);
		if (now < c->until && c->daddr == h4->daddr && c->sport == sport &&
		    c->dport == dport && c6[0] == s6[0] && c6[1] == s6[1])
			return 0;
	}
	owned = native_udp(skb, dst6, src6, dport, sport);
	if (c && !owned) {
		c->until = now + route_ttl();
		__builtin_memcpy(c->src6, s6, 16);
		c->daddr = h4->daddr;
		c->sport = sport;
		c->dport = dport;
	}
	return owned;
}

/*
 * 1 if the IPv6 form @src6 -> @dst6 of @h4 (full socket @sk) has a tuple a native socket
 * owns: checked for a TCP SYN (the rest of a connection follows it), and
 * for UDP datagrams (or first fragments), which have no such start, when
 * their socket's last answer is older than XLAT_ROUTE_TTL_MS.
 */
static __always_inline int collides(struct __sk_buff *skb, const struct xlat_ip4 *h4,
				    struct bpf_sock *sk, const __u8 src6[16], const __u8 dst6[16])
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
		return native_udp_out(skb, h4, sk, src6, dst6, sport, dport);
	return native_tcp(skb, dst6, src6, dport, sport);
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

#endif /* SOCK464_XLAT_COLLIDE_H */
