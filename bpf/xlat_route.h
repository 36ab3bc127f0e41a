// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The translator's route cache (bpf/sock464_xlat.bpf.c includes it after
 * route6_fib()): the IPv6 route, next hop and source of a destination, looked
 * up once per XLAT_ROUTE_TTL_MS per CPU instead of once per packet.
 */
#ifndef SOCK464_XLAT_ROUTE_H
#define SOCK464_XLAT_ROUTE_H

/*
 * The IPv6 route of a destination, kept XLAT_ROUTE_TTL_MS (route6_cached()):
 * the uplink, the next hop (for bpf_redirect_neigh(), which then does no
 * route lookup of its own) and the source bpf_fib_lookup() chose.  A small
 * direct-mapped cache per CPU (an array lookup the verifier inlines; a CPU
 * only reads what it wrote itself), indexed by a hash of the IPv4
 * destination and tagged with the IPv6 one (after a PREF64 change a flow
 * under the old prefix and one under the new go to the same IPv4 address by
 * different routes); a slot taken by another destination is looked up again.
 * Measured on veth (docs/benchmarks.md): the IPv6 route lookups and the
 * source selection per packet were a third of the translator's cost.
 */
#define XLAT_ROUTE_TTL_MS	50	/* below TCP's 200 ms minimum RTO */
#define XLAT_ROUTE_BITS		8
#define XLAT_ROUTE_SLOTS	(1U << XLAT_ROUTE_BITS)

struct xlat_route {
	__u64 expires;		/* in jiffies; 0: never filled on this CPU */
	__u64 dst6[2];		/* the tag: every input of route6_fib() but the */
	__u8  proto;		/* namespace (one cache per copy) */
	__u8  pad[3];
	__u32 ifindex;
	__u8  src6[16];
	__u8  nh6[16];		/* the gateway, or the destination itself */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLAT_ROUTE_SLOTS);
	__type(key, __u32);
	__type(value, struct xlat_route);
} xlat_routes SEC(".maps");	/* one per copy: soft state */

/*
 * The kernel's tick rate, from its config (libbpf reads it); 0 if unknown.
 * Jiffies, not bpf_ktime_get_ns(): reading the clock cost 0.6% of the UDP
 * stream's CPU in this VM (kvm-clock), reading jiffies nothing measurable.
 */
extern unsigned int CONFIG_HZ __kconfig __weak;

static __always_inline __u64 route_ttl(void)
{
	return CONFIG_HZ ? CONFIG_HZ * XLAT_ROUTE_TTL_MS / 1000 : 5;	/* 50 ms at HZ=100 */
}

/*
 * route6_fib() for @dst6 (@dst4's form, under its flow's prefix), from xlat_routes while fresh: 0 with
 * @fib's ifindex, ipv6_src and ipv6_dst (the next hop) filled, or -1.  A
 * route change or a new source reaches translated packets within
 * XLAT_ROUTE_TTL_MS.  (A socket bound to an uplink never comes here:
 * route6() takes its route from the daemon, route6_via().)
 */
static __always_inline int route6_cached(struct __sk_buff *skb, __u32 dst4, const __u8 dst6[16],
					 __u8 proto, struct bpf_fib_lookup *fib)
{
	__u32 slot = (dst4 * 2654435761U) >> (32 - XLAT_ROUTE_BITS);	/* Fibonacci hashing */
	struct xlat_route *c = bpf_map_lookup_elem(&xlat_routes, &slot);
	__u64 now = bpf_jiffies64(), d6[2];

	if (!c)
		return route6_fib(skb, dst6, proto, fib);
	__builtin_memcpy(d6, dst6, 16);
	if (c->dst6[0] == d6[0] && c->dst6[1] == d6[1] && c->proto == proto && now < c->expires) {
		fib->ifindex = c->ifindex;
		__builtin_memcpy(fib->ipv6_src, c->src6, 16);
		__builtin_memcpy(fib->ipv6_dst, c->nh6, 16);
		return 0;
	}
	if (route6_fib(skb, dst6, proto, fib))
		return -1;
	c->expires = now + route_ttl();
	c->dst6[0] = d6[0];
	c->dst6[1] = d6[1];
	c->proto = proto;
	c->ifindex = fib->ifindex;
	__builtin_memcpy(c->src6, fib->ipv6_src, 16);
	__builtin_memcpy(c->nh6, fib->ipv6_dst, 16);	/* the lookup put the gateway there */
	return 0;
}

#endif /* SOCK464_XLAT_ROUTE_H */
