/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A flow keeps the PREF64 it began with across a prefix change
 * (docs/architecture.md, "A PREF64 change on the kernel path"): out, the
 * destination its socket connected to; in, the namespace's previous prefix
 * as well as its current one.  Part of bpf/sock464_xlat.bpf.c, which
 * includes it after its maps and netns_entry(): not a header of its own.
 */
#ifndef SOCK464_XLAT_PREFIX_H
#define SOCK464_XLAT_PREFIX_H

/*
 * The IPv4 form of @a6 under the namespace's prefix, else under the one
 * before it (a flow that began before a PREF64 change): 1 and @ip4, or 0.
 */
static __always_inline int extract4(const struct sock464_netns *ns, const __u8 a6[16],
				    __u32 *ip4)
{
	return rfc6052_extract(a6, ns->pref64, ns->plen, ip4) ||
	       rfc6052_extract(a6, ns->prev_pref64, ns->prev_plen, ip4);
}

/*
 * The packet's full socket's state (the hooks' sock464_sk), or NULL; @full:
 * that full socket, NULL for a packet without one (a time-wait socket's ACK).
 */
static __always_inline struct sock464_sk *sk_state(struct __sk_buff *skb,
						   struct bpf_sock **full)
{
	struct bpf_sock *sk = skb->sk;

	if (sk)
		sk = bpf_sk_fullsock(sk);
	*full = sk;
	return sk ? bpf_sk_storage_get(&sock464_sk, sk, NULL, 0) : NULL;
}

/*
 * The IPv6 destination for @daddr: the one its socket connected to
 * (kernel_connect() in sock464.bpf.c filed it), so that a flow keeps the
 * prefix it began with across a PREF64 change as the relays' do; else
 * (another destination of a UDP socket, no full socket) the namespace's
 * prefix now.  0, or -1 if there is none.
 */
static __always_inline int flow_dst6(const struct sock464_netns *ns, const struct sock464_sk *st,
				     __u32 daddr, __u8 dst6[16])
{
	if (st && st->state == SOCK464_SK_KERNEL && st->orig_ip4 == daddr) {
		__builtin_memcpy(dst6, st->dst6, 16);
		return 0;
	}
	if (!rfc6052_len_valid(ns->plen))
		return -1;
	rfc6052_synthesize(dst6, ns->pref64, ns->plen, daddr);
	return 0;
}

#endif /* SOCK464_XLAT_PREFIX_H */
