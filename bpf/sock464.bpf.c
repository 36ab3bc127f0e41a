// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464: socket-layer 464XLAT hooks.
 *
 * One object for every hook, since they share the per-socket state:
 *
 *   cgroup/sock_create   decide once whether a socket may be translated
 *   cgroup/connect4      AF_INET TCP to an IPv4 destination -> the TCP relay;
 *                        UDP -> the destination's alias at the UDP relay
 *   cgroup/sendmsg4      unconnected UDP (AF_INET, or AF_INET6 to ::ffff:,
 *                        which the kernel sends as IPv4) -> the alias
 *   sockops              remember each relayed connect by its source port
 *   cgroup/getpeername4  show a relayed socket its IPv4 peer
 *   cgroup/recvmsg4      and datagrams from an alias their IPv4 source
 *   cgroup/connect6      ::ffff:a.b.c.d -> PREF64::a.b.c.d, native IPv6
 *   cgroup/getpeername6  show that socket ::ffff:a.b.c.d again
 *   cgroup/recvmsg6      and as the source of its datagrams (also for
 *                        replies that came from an alias)
 *   cgroup/sock_release  a socket connected to an alias lets go of it
 *   cgroup/getsockname4  show a socket on the kernel path 192.0.0.2
 *   cgroup/setsockopt    SO_BINDTODEVICE/SO_BINDTOIFINDEX to an uplink:
 *                        bound to none instead, the uplink remembered for
 *                        the translated packets and the relays
 *
 * In a namespace served by the kernel data path (SOCK464_NS_KERNEL),
 * sock_create marks AF_INET sockets with SOCK464_XLAT_MARK, and connect4
 * and sendmsg4 only decide: a translated destination is left as it is and
 * reaches the marked route to lo, where bpf/xlat.bpf.c translates each
 * packet (docs/architecture.md).
 *
 * Which IPv4 destinations are translated (policy, in order): never the
 * reserved ranges; then the operator's include/exclude rules; then none
 * with a native IPv4 route in the namespace; then, with 64:ff9b::/96 and
 * wkp-strict, non-global ones are refused (RFC 6052 section 3.1); the rest.
 *
 * The helpers return 0 or -errno, in the manner of Cilium's bpf_sock.c;
 * each SEC function only dispatches, and verdict() turns an errno into
 * SOCK464_REJECT after bpf_set_retval() chose what the application gets
 * (before Linux 5.18, EPERM: have_set_retval).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <asm-generic/errno.h>
#include <asm-generic/socket.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "sock464.h"
#include "rfc6052.h"

#define SOCK464_PROCEED	1
#define SOCK464_REJECT	0
#define LOOPBACK_IFINDEX 1
#define SOCKOPT_PAGE	4096	/* a sockopt program sees at most a page of optval */

/* Set by the daemon before loading: its sockets are never translated. */
const volatile __u32 daemon_tgid = 0;
/*
 * And whether the kernel has bpf_set_retval() (5.18): without it the call
 * is pruned by the verifier and a refused call fails with EPERM.
 */
const volatile __u8 have_set_retval = 1;

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock464_sk);
} sock464_sk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SOCK464_MAX_NETNS);
	__type(key, __u64);
	__type(value, struct sock464_netns);
} sock464_netns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SOCK464_MAX_PENDING);
	__type(key, struct sock464_pending_key);
	__type(value, struct sock464_pending);
} sock464_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SOCK464_MAX_ALIASES);
	__type(key, struct sock464_udp_dst);
	__type(value, struct sock464_udp_alias);
} sock464_udp_dst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SOCK464_MAX_ALIASES);
	__type(key, struct sock464_alias_key);
	__type(value, struct sock464_alias_dst);
} sock464_alias SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SOCK464_MAX_RULES);
	__type(key, struct sock464_lpm_key);
	__type(value, struct sock464_rule);
} sock464_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SOCK464_MAX_ROUTES);
	__type(key, struct sock464_lpm_key);
	__type(value, __u32);		/* the routing table it came from */
} sock464_routes SEC(".maps");

/* The UDP sockets that may use the UDP relay (struct sock464_udp_src). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SOCK464_MAX_UDP_SRC);
	__type(key, struct sock464_udp_src_key);
	__type(value, struct sock464_udp_src);
} sock464_udp_src SEC(".maps");

/* The links of each served namespace, by name (struct sock464_uplink). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SOCK464_MAX_UPLINKS);
	__type(key, struct sock464_uplink_key);
	__type(value, struct sock464_uplink);
} sock464_uplinks SEC(".maps");

/* The same by index, for bpf/sock464_xlat.bpf.c (reused there). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SOCK464_MAX_UPLINKS);
	__type(key, struct sock464_uplink_id);
	__type(value, struct sock464_uplink);
} sock464_uplink_ids SEC(".maps");

/* Where the search for a free alias starts: a rotating hint. */
__u32 alias_next = 0;

#define ALIAS_PROBES 32	/* free aliases tried per new destination */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOCK464_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sock464_counters SEC(".maps");

/* The same counters for each cgroup processes made decisions in. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, SOCK464_MAX_CGROUPS);
	__type(key, __u64);		/* cgroup id */
	__type(value, struct sock464_cg_counters);
} sock464_cg_counters SEC(".maps");

/* Settings the daemon changes at run time (one entry). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sock464_config);
} sock464_config SEC(".maps");

/* Trace events, while a `sock464ctl trace` is listening. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} sock464_events SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&sock464_counters, &idx);

	if (v)
		(*v)++;
}

/*
 * What a hook decided for one connect or datagram, filled in by the
 * decision functions and reported once by finish().
 */
struct decision {
	__u32 counter;		/* SOCK464_CNT_*, or SOCK464_CNT_MAX: nothing */
	__u32 ip4;		/* the IPv4 destination asked for */
	__u16 port;
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;		/* of the socket */
	__u8 dst6[16];		/* where it goes, when translated */
};

static __always_inline void decision_init(struct decision *d, __u32 family,
					   __u32 type, __u32 ip4, __u16 port)
{
	__builtin_memset(d, 0, sizeof(*d));
	d->counter = SOCK464_CNT_MAX;
	d->family = family;
	d->proto = type == SOCK464_SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	d->ip4 = ip4;
	d->port = port;
}

/* Count @d in total and for the caller's cgroup; trace it if asked to. */
static __always_inline int finish(struct decision *d, int ret)
{
	struct sock464_cg_counters *cg, zero = {};
	struct sock464_event *ev;
	struct sock464_config *cfg;
	__u64 cgid;
	__u32 key = 0;

	if (d->counter >= SOCK464_CNT_MAX)
		return ret;
	count(d->counter);
	cgid = bpf_get_current_cgroup_id();
	cg = bpf_map_lookup_elem(&sock464_cg_counters, &cgid);
	if (!cg) {
		bpf_map_update_elem(&sock464_cg_counters, &cgid, &zero, BPF_NOEXIST);
		cg = bpf_map_lookup_elem(&sock464_cg_counters, &cgid);
	}
	if (cg && d->counter < SOCK464_CNT_MAX)
		cg->c[d->counter]++;

	cfg = bpf_map_lookup_elem(&sock464_config, &key);
	if (!cfg || !cfg->trace || d->counter == SOCK464_CNT_PASS_IGNORED)
		return ret;
	ev = bpf_ringbuf_reserve(&sock464_events, sizeof(*ev), 0);
	if (!ev)
		return ret;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->cgroup_id = cgid;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->counter = d->counter;
	ev->ip4 = d->ip4;
	ev->port = d->port;
	ev->proto = d->proto;
	ev->family = d->family;
	__builtin_memcpy(ev->dst6, d->dst6, sizeof(ev->dst6));
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
	return ret;
}

/* Record the refusal; the hook's call then fails with @err. */
static __always_inline int refuse(struct decision *d, __u32 counter, int err)
{
	d->counter = counter;
	return -err;
}

/* SOCK464_PROCEED for 0; otherwise the application's call fails with @err. */
static __always_inline int verdict(int err)
{
	if (!err)
		return SOCK464_PROCEED;
	if (have_set_retval)
		bpf_set_retval(err);
	return SOCK464_REJECT;
}

/* A socket the translator must not touch (or one without state). */
static __always_inline int ignored(const struct sock464_sk *st, struct decision *d)
{
	if (st && st->state != SOCK464_SK_IGNORED)
		return 0;
	d->counter = SOCK464_CNT_PASS_IGNORED;
	return 1;
}

/*
 * No usable entry for the socket's namespace (@why): refused with
 * ENETUNREACH, unless the namespace is not served at all and the daemon
 * says such namespaces go native (unserved-netns pass).
 */
static __always_inline int unserved(struct decision *d, __u32 why)
{
	struct sock464_config *cfg;
	__u32 key = 0;

	cfg = bpf_map_lookup_elem(&sock464_config, &key);
	if (why == SOCK464_CNT_REFUSE_NO_RELAY && cfg && cfg->pass_unserved) {
		d->counter = SOCK464_CNT_PASS_UNSERVED;
		return 0;
	}
	return refuse(d, why, ENETUNREACH);
}

static __always_inline __u8 decide(__u32 family, __u32 type)
{
	if (daemon_tgid && bpf_get_current_pid_tgid() >> 32 == daemon_tgid)
		return SOCK464_SK_IGNORED;
	if (family != SOCK464_AF_INET && family != SOCK464_AF_INET6)
		return SOCK464_SK_IGNORED;
	if (type != SOCK464_SOCK_STREAM && type != SOCK464_SOCK_DGRAM)
		return SOCK464_SK_IGNORED;
	return SOCK464_SK_SERVED;
}

/*
 * The socket's state; an AF_INET6 socket (sock_create() makes none for
 * them) or one created before the programs were attached has none yet and
 * is decided now, the same way sock_create() decides.
 */
static __always_inline struct sock464_sk *sk_state(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct sock464_sk *st;

	if (!sk)
		return NULL;
	st = bpf_sk_storage_get(&sock464_sk, sk, NULL, 0);
	if (st)
		return st;
	st = bpf_sk_storage_get(&sock464_sk, sk, NULL,
				BPF_SK_STORAGE_GET_F_CREATE);
	if (st) {
		st->state = decide(ctx->family, ctx->type);
		st->netns = bpf_get_netns_cookie(ctx);	/* for setsockopt_dev() */
	}
	return st;
}

static __always_inline struct sock464_sk *sk_state_peek(struct bpf_sock *sk)
{
	return sk ? bpf_sk_storage_get(&sock464_sk, sk, NULL, 0) : NULL;
}

/* The netns entry, or a refusal counter index in @why. */
static __always_inline struct sock464_netns *
netns_config(void *ctx, __u32 *why)
{
	__u64 cookie = bpf_get_netns_cookie(ctx);
	struct sock464_netns *ns;

	ns = bpf_map_lookup_elem(&sock464_netns, &cookie);
	if (!ns) {
		*why = SOCK464_CNT_REFUSE_NO_RELAY;
		return NULL;
	}
	if (!rfc6052_len_valid(ns->plen)) {
		*why = SOCK464_CNT_REFUSE_NO_PREFIX;
		return NULL;
	}
	return ns;
}

/* 1 if an exclude rule's ports (host order ranges) cover @port (network order). */
static __always_inline int rule_ports_match(const struct sock464_rule *r, __u16 port)
{
	__u16 p = bpf_ntohs(port);
	int i;

	if (!r->nports)
		return 1;
	for (i = 0; i < SOCK464_RULE_PORTS; i++)
		if (i < r->nports && p >= r->ports[i].lo && p <= r->ports[i].hi)
			return 1;
	return 0;
}

/*
 * Policy rules 2 and 3: 1 if @ip4:@port goes native in namespace @netns,
 * because an exclude rule says so or the namespace has an IPv4 route
 * there (which includes every address once there is a default route); an
 * include rule overrides the routes.  Counted either way.
 */
static __always_inline int goes_native(__u64 netns, __u32 ip4, __u16 port,
				       struct decision *d)
{
	struct sock464_lpm_key key = { .prefixlen = 64 + 32, .ip4 = ip4 };
	struct sock464_rule *r;
	__u8 action = 0;

	__builtin_memcpy(key.netns, &netns, sizeof(key.netns));
	r = bpf_map_lookup_elem(&sock464_rules, &key);
	if (r) {
		action = r->action;
		/* an exclude for other ports: what the broader rules say */
		if (action == SOCK464_RULE_EXCLUDE && !rule_ports_match(r, port))
			action = r->fallback;
	}
	if (action == SOCK464_RULE_INCLUDE) {
		count(SOCK464_CNT_INCLUDED);
		return 0;
	}
	if (action == SOCK464_RULE_EXCLUDE) {
		d->counter = SOCK464_CNT_PASS_EXCLUDED;
		return 1;
	}
	if (bpf_map_lookup_elem(&sock464_routes, &key)) {
		d->counter = SOCK464_CNT_PASS_NATIVE_ROUTE;
		return 1;
	}
	return 0;
}

/* Rule 4, RFC 6052 section 3.1: no non-global IPv4 through 64:ff9b::/96. */
static __always_inline int wkp_forbids(const struct sock464_netns *ns, __u32 ip4)
{
	return (ns->flags & SOCK464_NS_WKP_STRICT) &&
	       sock464_is_wkp(ns->pref64, ns->plen) && sock464_ip4_nonglobal(ip4);
}

/*
 * The policy chain, the same for every hook: 0 with *@nsp set when
 * @ip4:@port is translated in the caller's namespace, 0 with *@nsp NULL
 * when it goes native (counted in @d), or -errno when it is refused.
 */
static __always_inline int policy_check(void *ctx, __u32 ip4, __u16 port,
					struct decision *d,
					struct sock464_netns **nsp)
{
	struct sock464_netns *ns;
	__u32 why;

	*nsp = NULL;
	if (sock464_ip4_reserved(ip4)) {
		d->counter = SOCK464_CNT_PASS_RESERVED;
		return 0;
	}
	if (goes_native(bpf_get_netns_cookie(ctx), ip4, port, d))
		return 0;
	ns = netns_config(ctx, &why);
	if (!ns)
		return unserved(d, why);
	if (wkp_forbids(ns, ip4))
		return refuse(d, SOCK464_CNT_REFUSE_WKP, ENETUNREACH);
	*nsp = ns;
	return 0;
}

/* 1 if the four words of @ip6 are ::ffff:a.b.c.d. */
static __always_inline int is_v4mapped(const __u32 ip6[4])
{
	return ip6[0] == 0 && ip6[1] == 0 && ip6[2] == bpf_htonl(0xffff);
}

/*
 * bpf_sock_addr.user_ip6 may only be read and written 32 bits at a time,
 * so copy through words.
 */
static __always_inline void get_user_ip6(const struct bpf_sock_addr *ctx,
					 __u32 ip6[4])
{
	ip6[0] = ctx->user_ip6[0];
	ip6[1] = ctx->user_ip6[1];
	ip6[2] = ctx->user_ip6[2];
	ip6[3] = ctx->user_ip6[3];
}

static __always_inline void set_user_ip6(struct bpf_sock_addr *ctx,
					 const __u32 ip6[4])
{
	ctx->user_ip6[0] = ip6[0];
	ctx->user_ip6[1] = ip6[1];
	ctx->user_ip6[2] = ip6[2];
	ctx->user_ip6[3] = ip6[3];
}

/* 1 if @ip4 (network order) is in the UDP alias range 127.46.1.0-127.46.255.255. */
static __always_inline int is_alias(__u32 ip4)
{
	__u32 h = bpf_ntohl(ip4);

	return h - SOCK464_ALIAS_FIRST < SOCK464_ALIAS_COUNT;
}

/*
 * The alias standing for @ip4:@port in namespace @netns, created if need
 * be; @connected takes a reference that sock_release gives back.  Returns
 * the alias (network order), or 0 when every alias is in use.
 */
static __always_inline __u32 alias_get(__u64 netns, __u32 ip4, __u16 port,
				       const struct sock464_netns *ns,
				       int connected)
{
	struct sock464_udp_dst key = { .netns = netns, .ip4 = ip4, .port = port };
	struct sock464_alias_key akey = { .netns = netns };
	struct sock464_alias_dst dst = { .ip4 = ip4, .port = port };
	struct sock464_udp_alias fresh = {}, *a;
	int i;

	a = bpf_map_lookup_elem(&sock464_udp_dst, &key);
	if (a)
		goto found;
	rfc6052_synthesize(dst.dst6, ns->pref64, ns->plen, ip4);
	for (i = 0; i < ALIAS_PROBES; i++) {
		/*
		 * Round robin, not atomic: two CPUs may try the same alias,
		 * and NOEXIST lets one have it.  (An atomic fetch-and-add is
		 * BPF_FETCH, which kernels before 5.12 refuse in any program
		 * of the object: "BPF_STX uses reserved fields" on 5.10.)
		 */
		__u32 n = alias_next % SOCK464_ALIAS_COUNT;

		alias_next = n + 1;

		akey.alias = bpf_htonl(SOCK464_ALIAS_FIRST + n);
		/* Claim a free alias; a taken one (or a full map) fails. */
		if (bpf_map_update_elem(&sock464_alias, &akey, &dst, BPF_NOEXIST))
			continue;
		fresh.alias = akey.alias;
		if (bpf_map_update_elem(&sock464_udp_dst, &key, &fresh, BPF_NOEXIST))
			/* another CPU mapped this destination first: use its alias */
			bpf_map_delete_elem(&sock464_alias, &akey);
		a = bpf_map_lookup_elem(&sock464_udp_dst, &key);
		if (a)
			goto found;
		return 0;
	}
	return 0;
found:
	a->last_ns = bpf_ktime_get_ns();
	if (connected)
		__sync_fetch_and_add(&a->refs, 1);
	return a->alias;
}

/* A socket connected to an alias is done with it (reconnect or close). */
static __always_inline void alias_put(__u64 netns, struct sock464_sk *st)
{
	struct sock464_udp_dst key = {
		.netns = netns, .ip4 = st->orig_ip4, .port = st->orig_port,
	};
	struct sock464_udp_alias *a = bpf_map_lookup_elem(&sock464_udp_dst, &key);

	st->state = SOCK464_SK_SERVED;
	if (!a)
		return;
	a->last_ns = bpf_ktime_get_ns();	/* replies may still be on the way */
	if (a->refs)
		__sync_fetch_and_add(&a->refs, -1);
}

/* 1 if the socket travels the kernel data path (marked at creation). */
static __always_inline int on_kernel_path(const struct sock464_sk *st,
					  const struct sock464_netns *ns)
{
	return (st->flags & SOCK464_SKF_MARKED) && ns && (ns->flags & SOCK464_NS_KERNEL);
}

/*
 * A marked socket whose destination goes native because an exclude rule
 * says so, with no native route there: without the mark it fails the way
 * it would natively (ENETUNREACH) instead of reaching the translated route.
 */
static __always_inline int excluded_unrouted(__u64 netns, __u32 ip4,
					     const struct decision *d)
{
	struct sock464_lpm_key key = { .prefixlen = 64 + 32, .ip4 = ip4 };

	if (d->counter != SOCK464_CNT_PASS_EXCLUDED)
		return 0;
	__builtin_memcpy(key.netns, &netns, sizeof(key.netns));
	return !bpf_map_lookup_elem(&sock464_routes, &key);
}

/*
 * connect4 of a marked socket: translated destinations keep their address
 * and get the mark whose rule comes before the main table; native ones the
 * creation mark again (after main), an excluded one without a native
 * route none, so that it fails as natively.
 */
static __always_inline int kernel_connect(struct bpf_sock_addr *ctx,
					  struct sock464_sk *st,
					  struct sock464_netns *ns,
					  struct decision *d)
{
	int mark = SOCK464_XLAT_MARK_CONN;

	if (!ns) {
		/* native: back to the creation mark, or none if nothing routes it */
		mark = excluded_unrouted(bpf_get_netns_cookie(ctx), ctx->user_ip4, d) ?
		       0 : SOCK464_XLAT_MARK;
		bpf_setsockopt(ctx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
		return 0;
	}
	/* translated: the rule before main, whatever native routes come */
	if (bpf_setsockopt(ctx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)))
		return refuse(d, SOCK464_CNT_REFUSE_NO_RELAY, ENETUNREACH);
	st->orig_ip4 = ctx->user_ip4;
	st->orig_port = ctx->user_port;
	st->state = SOCK464_SK_KERNEL;
	rfc6052_synthesize(d->dst6, ns->pref64, ns->plen, ctx->user_ip4);
	/* the translator's: the flow keeps this prefix across a PREF64 change */
	__builtin_memcpy(st->dst6, d->dst6, sizeof(st->dst6));
	d->counter = ctx->type == SOCK464_SOCK_STREAM ? SOCK464_CNT_KERNEL_TCP :
							 SOCK464_CNT_KERNEL_UDP;
	return 0;
}

/* sendmsg4 of a marked socket: the mark was read already, so refuse. */
static __always_inline int kernel_sendmsg(struct bpf_sock_addr *ctx,
					  struct sock464_netns *ns,
					  struct decision *d)
{
	if (!ns) {
		if (excluded_unrouted(bpf_get_netns_cookie(ctx), ctx->user_ip4, d))
			return refuse(d, SOCK464_CNT_PASS_EXCLUDED, ENETUNREACH);
		return 0;
	}
	rfc6052_synthesize(d->dst6, ns->pref64, ns->plen, ctx->user_ip4);
	d->counter = SOCK464_CNT_KERNEL_UDP;
	return 0;
}

/*
 * A translated destination from a socket bound to a device: lo is fine
 * (the marked route and the relays are there; an uplink the application
 * bound was taken off by setsockopt_dev()); any other device cannot reach
 * PREF64, or the daemon would have listed it: ENETUNREACH at once.
 */
static __always_inline int device_check(struct bpf_sock_addr *ctx, struct decision *d)
{
	__u32 dev = ctx->sk ? ctx->sk->bound_dev_if : 0;

	if (!dev || dev == LOOPBACK_IFINDEX)
		return 0;
	return refuse(d, SOCK464_CNT_REFUSE_DEVICE, ENETUNREACH);
}

/*
 * connect4 of a socket whose uplink setsockopt_dev() took off: no device
 * while the destination is translated, the uplink again for a native one
 * (the route lookup comes after this hook).
 */
static __always_inline void device_bind(struct bpf_sock_addr *ctx,
					const struct sock464_sk *st, int native)
{
	int dev = native ? st->dev_ifindex : 0;

	if (st->dev_ifindex && ctx->sk && ctx->sk->bound_dev_if != (__u32)dev)
		bpf_setsockopt(ctx, SOL_SOCKET, SO_BINDTOIFINDEX, &dev, sizeof(dev));
}

/*
 * UDP to a translated destination goes to the destination's alias at the
 * UDP relay; @connected for connect(), which keeps the alias alive.
 */
static __always_inline int to_alias(struct bpf_sock_addr *ctx,
				     struct sock464_sk *st, int connected,
				     struct decision *d)
{
	__u64 netns = bpf_get_netns_cookie(ctx);
	struct sock464_netns *ns;
	__u32 dst = ctx->user_ip4, alias;
	__u16 port = ctx->user_port;
	int err;

	err = policy_check(ctx, dst, port, d, &ns);
	if (err || !ns)
		return err;
	err = device_check(ctx, d);
	if (err)
		return err;
	if (!ns->udp_port)
		return refuse(d, SOCK464_CNT_REFUSE_NO_RELAY, ENETUNREACH);
	alias = alias_get(netns, dst, port, ns, connected);
	if (!alias)
		return refuse(d, SOCK464_CNT_REFUSE_NO_ALIAS, ENOBUFS);
	if (connected) {
		st->orig_ip4 = dst;
		st->orig_port = port;
		st->state = SOCK464_SK_UDP_ALIAS;
	}
	ctx->user_ip4 = alias;
	ctx->user_port = ns->udp_port;
	rfc6052_synthesize(d->dst6, ns->pref64, ns->plen, dst);
	d->counter = SOCK464_CNT_RELAY_UDP;
	return 0;
}

/*
 * File a socket that sends to an alias for the UDP relay, under its source
 * port and the address the kernel sends from (@ip4; 0: unbound, so
 * 127.0.0.1, the loopback's source for 127.0.0.0/8).
 */
static __always_inline void udp_src_file(struct bpf_sock_addr *ctx,
					 struct sock464_sk *st, __u32 ip4, __u16 port)
{
	struct sock464_udp_src_key key = { .netns = bpf_get_netns_cookie(ctx), .port = port };
	struct sock464_udp_src val = {
		.cookie = bpf_get_socket_cookie(ctx),
		.cgroup_id = bpf_get_current_cgroup_id(),
		.ip4 = ip4 ? ip4 : bpf_htonl(0x7f000001),
		.uid = (__u32)bpf_get_current_uid_gid(),
		.ifindex = st->dev_ifindex,
	};
	struct sock464_udp_src *old;

	if (!port)
		return;
	st->udp_src_port = port;
	old = bpf_map_lookup_elem(&sock464_udp_src, &key);
	if (old && old->cookie == val.cookie && old->ip4 == val.ip4 &&
	    old->uid == val.uid && old->cgroup_id == val.cgroup_id &&
	    old->ifindex == val.ifindex && !old->released_ns)
		return;
	bpf_map_update_elem(&sock464_udp_src, &key, &val, BPF_ANY);
}

/*
 * A connected UDP socket sends without sendmsg4, so it is filed at
 * connect(); one not bound yet (the kernel picks its port only after this
 * hook) is bound here to a random ephemeral port.  Network order; 0: none.
 */
static __always_inline __u16 udp_src_port(struct bpf_sock_addr *ctx)
{
	struct sockaddr_in sa = { .sin_family = SOCK464_AF_INET };
	int i;

	if (!ctx->sk)
		return 0;
	if (ctx->sk->src_port)
		return bpf_htons((__u16)ctx->sk->src_port);
	for (i = 0; i < 8; i++) {
		sa.sin_port = bpf_htons(32768 + bpf_get_prandom_u32() % 28232);
		if (!bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa)))
			return sa.sin_port;
	}
	return 0;
}

/* AF_INET TCP to a translated destination goes to the TCP relay. */
static __always_inline int to_relay(struct bpf_sock_addr *ctx,
				    struct sock464_sk *st, struct decision *d)
{
	struct sock464_netns *ns;
	__u32 dst = ctx->user_ip4;
	int err;

	err = policy_check(ctx, dst, ctx->user_port, d, &ns);
	if (err || !ns)
		return err;
	err = device_check(ctx, d);
	if (err)
		return err;
	if (!ns->tcp_port)
		return refuse(d, SOCK464_CNT_REFUSE_NO_RELAY, ENETUNREACH);
	rfc6052_synthesize(st->dst6, ns->pref64, ns->plen, dst);
	st->orig_ip4 = dst;
	st->orig_port = ctx->user_port;
	st->state = SOCK464_SK_RELAYED;
	st->uid = (__u32)bpf_get_current_uid_gid();	/* for sockops_connect() */
	ctx->user_ip4 = ns->relay_ip4;
	ctx->user_port = ns->tcp_port;
	__builtin_memcpy(d->dst6, st->dst6, sizeof(d->dst6));
	d->counter = SOCK464_CNT_RELAY_TCP;
	return 0;
}

/*
 * A marked socket: the policy decides as for the relays; a namespace that
 * left the kernel path since the socket was made sends it to the relays.
 */
static __always_inline int to_kernel(struct bpf_sock_addr *ctx,
				     struct sock464_sk *st, struct decision *d,
				     int connected)
{
	struct sock464_netns *ns;
	int err;

	err = policy_check(ctx, ctx->user_ip4, ctx->user_port, d, &ns);
	if (!err && ns)
		err = device_check(ctx, d);
	if (err)
		return err;
	if (ns && !on_kernel_path(st, ns)) {
		d->counter = SOCK464_CNT_MAX;
		return ctx->type == SOCK464_SOCK_DGRAM ? to_alias(ctx, st, connected, d) :
							 to_relay(ctx, st, d);
	}
	return connected ? kernel_connect(ctx, st, ns, d) : kernel_sendmsg(ctx, ns, d);
}

static __always_inline int connect4(struct bpf_sock_addr *ctx, struct decision *d)
{
	struct sock464_sk *st = sk_state(ctx);
	int err;

	if (ignored(st, d))
		return 0;
	/* A reconnect forgets the last destination. */
	if (st->state == SOCK464_SK_UDP_ALIAS)
		alias_put(bpf_get_netns_cookie(ctx), st);
	st->state = SOCK464_SK_SERVED;
	device_bind(ctx, st, 0);
	if (st->flags & SOCK464_SKF_MARKED)
		err = to_kernel(ctx, st, d, 1);
	else if (ctx->type == SOCK464_SOCK_DGRAM)
		err = to_alias(ctx, st, 1, d);
	else
		err = to_relay(ctx, st, d);
	/* UDP connected to an alias (here or as the kernel path's fallback) */
	if (d->counter == SOCK464_CNT_RELAY_UDP && ctx->sk)
		udp_src_file(ctx, st, ctx->sk->src_ip4, udp_src_port(ctx));
	if (!err && st->state == SOCK464_SK_SERVED)	/* native */
		device_bind(ctx, st, 1);
	return err;
}

static __always_inline int connect6(struct bpf_sock_addr *ctx, struct decision *d)
{
	struct sock464_sk *st;
	struct sock464_netns *ns;
	__u32 ip6[4];
	int err;

	get_user_ip6(ctx, ip6);
	if (!is_v4mapped(ip6)) {
		/* plain IPv6: not ours to count; no state made for it
		 * (sock_create()), a reconnect forgets a ::ffff: one */
		st = sk_state_peek(ctx->sk);
		if (st && st->state != SOCK464_SK_IGNORED)
			st->state = SOCK464_SK_SERVED;
		return 0;
	}
	st = sk_state(ctx);
	if (ignored(st, d))
		return 0;
	st->state = SOCK464_SK_SERVED;
	d->ip4 = ip6[3];
	err = policy_check(ctx, ip6[3], ctx->user_port, d, &ns);
	if (err || !ns)
		return err;

	rfc6052_synthesize(st->dst6, ns->pref64, ns->plen, ip6[3]);
	st->orig_ip4 = ip6[3];
	st->orig_port = ctx->user_port;
	st->state = SOCK464_SK_NATIVE6;
	__builtin_memcpy(ip6, st->dst6, sizeof(ip6));
	set_user_ip6(ctx, ip6);
	__builtin_memcpy(d->dst6, st->dst6, sizeof(d->dst6));
	d->counter = SOCK464_CNT_NATIVE6;
	return 0;
}

static __always_inline int getpeername4(struct bpf_sock_addr *ctx)
{
	struct sock464_sk *st = sk_state_peek(ctx->sk);

	if (!st || (st->state != SOCK464_SK_RELAYED &&
		    st->state != SOCK464_SK_UDP_ALIAS))
		return SOCK464_PROCEED;
	ctx->user_ip4 = st->orig_ip4;
	ctx->user_port = st->orig_port;
	count(SOCK464_CNT_PEER_SHOWN);
	return SOCK464_PROCEED;
}

/*
 * A socket on the kernel path is bound to 127.0.0.1 (the route's source);
 * it shows one stable address that does not look like loopback instead,
 * RFC 7335's 192.0.0.2, which no device needs to carry.
 */
static __always_inline int getsockname4(struct bpf_sock_addr *ctx)
{
	struct sock464_sk *st = sk_state_peek(ctx->sk);

	if (!st || st->state != SOCK464_SK_KERNEL ||
	    ctx->user_ip4 != bpf_htonl(SOCK464_XLAT_SRC_HOST))
		return SOCK464_PROCEED;
	ctx->user_ip4 = bpf_htonl(SOCK464_XLAT_SHOWN_HOST);
	return SOCK464_PROCEED;
}

static __always_inline int sendmsg4(struct bpf_sock_addr *ctx, struct decision *d)
{
	struct sock464_sk *st = sk_state(ctx);
	int ret;

	if (ignored(st, d))
		return 0;
	if (st->flags & SOCK464_SKF_MARKED)
		ret = to_kernel(ctx, st, d, 0);
	else
		ret = to_alias(ctx, st, 0, d);
	/* sendmsg has bound the socket before this hook runs */
	if (d->counter == SOCK464_CNT_RELAY_UDP && ctx->sk)
		udp_src_file(ctx, st, ctx->msg_src_ip4 ? ctx->msg_src_ip4 : ctx->sk->src_ip4,
			     bpf_htons((__u16)ctx->sk->src_port));
	return ret;
}

/* The IPv4 destination an alias stands for, if @ip4 is one of ours. */
static __always_inline struct sock464_alias_dst *alias_dst(void *ctx,
							   __u32 ip4, __u16 port)
{
	struct sock464_alias_key akey = { .alias = ip4 };
	struct sock464_netns *ns;
	__u64 cookie;

	if (!is_alias(ip4))
		return NULL;
	cookie = bpf_get_netns_cookie(ctx);
	ns = bpf_map_lookup_elem(&sock464_netns, &cookie);
	if (!ns || port != ns->udp_port)
		return NULL;
	akey.netns = cookie;
	return bpf_map_lookup_elem(&sock464_alias, &akey);
}

static __always_inline int recvmsg4(struct bpf_sock_addr *ctx)
{
	struct sock464_alias_dst *d = alias_dst(ctx, ctx->user_ip4, ctx->user_port);

	if (!d)
		return SOCK464_PROCEED;
	ctx->user_ip4 = d->ip4;
	ctx->user_port = d->port;
	count(SOCK464_CNT_PEER_SHOWN);
	return SOCK464_PROCEED;
}

/*
 * getpeername6 and recvmsg6: an address equal to the synthesized
 * destination is shown as ::ffff:a.b.c.d.
 */
static __always_inline int unmap6(struct bpf_sock_addr *ctx)
{
	struct sock464_sk *st;
	__u32 ip6[4], want[4];

	get_user_ip6(ctx, ip6);
	/* A reply from an alias to an AF_INET6 socket that sent to ::ffff: */
	if (is_v4mapped(ip6)) {
		struct sock464_alias_dst *d = alias_dst(ctx, ip6[3], ctx->user_port);

		if (!d)
			return SOCK464_PROCEED;
		ip6[3] = d->ip4;
		set_user_ip6(ctx, ip6);
		ctx->user_port = d->port;
		count(SOCK464_CNT_PEER_SHOWN);
		return SOCK464_PROCEED;
	}
	st = sk_state_peek(ctx->sk);
	if (!st || st->state != SOCK464_SK_NATIVE6)
		return SOCK464_PROCEED;
	__builtin_memcpy(want, st->dst6, sizeof(want));
	if (ip6[0] != want[0] || ip6[1] != want[1] || ip6[2] != want[2] ||
	    ip6[3] != want[3])
		return SOCK464_PROCEED;
	ip6[0] = 0;
	ip6[1] = 0;
	ip6[2] = bpf_htonl(0xffff);
	ip6[3] = st->orig_ip4;
	set_user_ip6(ctx, ip6);
	count(SOCK464_CNT_PEER_SHOWN);
	return SOCK464_PROCEED;
}

/*
 * The source port of a relayed connect is known here, before the SYN
 * leaves: file the connect under it for the relay to find on accept().
 * Its uid and netns cookie come from connect4 (to_relay()): sockops
 * programs have no bpf_get_current_uid_gid() on 6.1 (measured: "unknown
 * func") and no bpf_get_netns_cookie() before 5.15.
 */
static __always_inline void sockops_connect(struct bpf_sock_ops *skops)
{
	struct sock464_pending_key key = {};
	struct sock464_pending val = {};
	struct sock464_sk *st;

	if (skops->family != SOCK464_AF_INET)
		return;
	st = sk_state_peek(skops->sk);
	if (!st || st->state != SOCK464_SK_RELAYED)
		return;
	key.netns = st->netns;
	key.src_ip4 = skops->local_ip4;
	key.src_port = bpf_htons((__u16)skops->local_port);
	__builtin_memcpy(val.dst6, st->dst6, sizeof(val.dst6));
	val.orig_ip4 = st->orig_ip4;
	val.port = st->orig_port;
	val.uid = st->uid;
	val.ifindex = st->dev_ifindex;
	if (bpf_map_update_elem(&sock464_pending, &key, &val, BPF_ANY))
		count(SOCK464_CNT_PENDING_LOST);
}

/*
 * AF_INET sockets the kernel path translates: served TCP and UDP, and raw
 * ICMP sockets (ping), which no connect or sendmsg hook sees: their echo
 * requests take the marked route unless a native route exists.
 */
static __always_inline int markable(const struct bpf_sock *ctx, __u8 state)
{
	if (ctx->family != SOCK464_AF_INET)
		return 0;
	if (state == SOCK464_SK_SERVED)
		return 1;
	return ctx->type == SOCK464_SOCK_RAW && ctx->protocol == IPPROTO_ICMP &&
	       !(daemon_tgid && bpf_get_current_pid_tgid() >> 32 == daemon_tgid);
}

/*
 * A served AF_INET socket in a namespace on the kernel path gets the mark
 * now: udp_sendmsg() reads it before sendmsg4 runs.  An AF_INET6 socket
 * gets no state here: most only ever talk IPv6, which sock464 leaves
 * alone, and the hooks that take one to ::ffff: (connect6, sendmsg4)
 * make its state then (sk_state()).  Storage made for every socket cost
 * about 0.65 µs of each one's creation (docs/benchmarks.md).
 */
static __always_inline void sock_create(struct bpf_sock *ctx)
{
	struct sock464_sk *st;
	struct sock464_netns *ns;
	__u64 cookie;

	if (ctx->family == SOCK464_AF_INET6)
		return;
	st = bpf_sk_storage_get(&sock464_sk, ctx, NULL,
				BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return;
	st->state = decide(ctx->family, ctx->type);
	/* sockopt programs have no bpf_get_netns_cookie() before 5.15 (Debian 11: 5.10) */
	st->netns = bpf_get_netns_cookie(ctx);
	if (!markable(ctx, st->state))
		return;
	cookie = st->netns;
	ns = bpf_map_lookup_elem(&sock464_netns, &cookie);
	if (!ns || !(ns->flags & SOCK464_NS_KERNEL) || ctx->mark)
		return;
	ctx->mark = SOCK464_XLAT_MARK;
	st->flags |= SOCK464_SKF_MARKED;
}

/* The link SO_BINDTODEVICE names, if the daemon listed it. */
static __always_inline struct sock464_uplink *uplink_by_name(struct bpf_sockopt *ctx, __u64 netns)
{
	struct sock464_uplink_key key = { .netns = netns };
	char *p = ctx->optval, *end = ctx->optval_end;
	int i;

	/* the name as the kernel reads it: up to 15 bytes, to the first NUL */
	for (i = 0; i < SOCK464_IFNAMSIZ - 1; i++) {
		if (i >= ctx->optlen || p + i + 1 > end || !p[i])
			break;
		key.name[i] = p[i];
	}
	return bpf_map_lookup_elem(&sock464_uplinks, &key);
}

/* The link SO_BINDTOIFINDEX names, if the daemon listed it. */
static __always_inline struct sock464_uplink *uplink_by_index(struct bpf_sockopt *ctx, __u64 netns)
{
	struct sock464_uplink_id key = { .netns = netns };
	__u32 *p = ctx->optval;

	if (ctx->optlen != sizeof(*p) || (void *)(p + 1) > ctx->optval_end)
		return NULL;
	key.ifindex = *p;
	return bpf_map_lookup_elem(&sock464_uplink_ids, &key);
}

/*
 * SO_BINDTODEVICE (or SO_BINDTOIFINDEX) on a socket sock464 may translate
 * (served, or a marked ping socket).  An uplink that routes PREF64 is
 * remembered and the socket bound to no device instead, so that its IPv4
 * route is the marked one to lo (kernel path) or the relays' on lo, and
 * the translator's socket lookups on the uplink find it (a socket bound to
 * lo matches only lo): the translated packets (bpf/sock464_xlat.bpf.c) and
 * the relays' sockets leave through the uplink.  Another device is left
 * bound, and a translated destination then fails with ENETUNREACH
 * (device_check()).
 */
static __always_inline void setsockopt_dev(struct bpf_sockopt *ctx)
{
	struct sock464_uplink *up;
	struct bpf_sock *sk = ctx->sk;
	struct sock464_sk *st;
	__u8 *p = ctx->optval;

	if (ctx->level != SOL_SOCKET || !sk || sk->family != SOCK464_AF_INET ||
	    (ctx->optname != SO_BINDTODEVICE && ctx->optname != SO_BINDTOIFINDEX))
		return;
	st = bpf_sk_storage_get(&sock464_sk, sk, NULL, 0);
	if (!st || (st->state == SOCK464_SK_IGNORED && !(st->flags & SOCK464_SKF_MARKED)))
		return;
	st->dev_ifindex = 0;
	/* st->netns, set where st was made: no bpf_get_netns_cookie() here before 5.15 */
	up = ctx->optname == SO_BINDTODEVICE ? uplink_by_name(ctx, st->netns) :
					       uplink_by_index(ctx, st->netns);
	if (!up || !(up->flags & SOCK464_UPLINK_PREF64) || (void *)(p + 4) > ctx->optval_end)
		return;
	st->dev_ifindex = up->ifindex;
	/* bound to no device: "" or index 0 (optlen 0 would mean unchanged) */
	p[0] = p[1] = p[2] = p[3] = 0;
	if (ctx->optname == SO_BINDTODEVICE)
		ctx->optlen = 1;
	count(SOCK464_CNT_DEVICE_UPLINK);
}

SEC("cgroup/setsockopt")
int sock464_setsockopt(struct bpf_sockopt *ctx)
{
	setsockopt_dev(ctx);
	/* past a page the kernel must use the application's own buffer */
	if (ctx->optlen > SOCKOPT_PAGE)
		ctx->optlen = 0;
	return SOCK464_PROCEED;
}

SEC("cgroup/sock_create")
int sock464_sock_create(struct bpf_sock *ctx)
{
	sock_create(ctx);
	return SOCK464_PROCEED;
}

SEC("cgroup/connect4")
int sock464_connect4(struct bpf_sock_addr *ctx)
{
	struct decision d;

	decision_init(&d, ctx->family, ctx->type, ctx->user_ip4, ctx->user_port);
	return finish(&d, verdict(connect4(ctx, &d)));
}

SEC("cgroup/sendmsg4")
int sock464_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct decision d;

	decision_init(&d, ctx->family, ctx->type, ctx->user_ip4, ctx->user_port);
	return finish(&d, verdict(sendmsg4(ctx, &d)));
}

SEC("cgroup/recvmsg4")
int sock464_recvmsg4(struct bpf_sock_addr *ctx)
{
	return recvmsg4(ctx);
}

/* A filed UDP socket closes: the relay stops taking its port's datagrams. */
static __always_inline void udp_src_release(struct bpf_sock *sk, __u16 port)
{
	struct sock464_udp_src_key key = { .netns = bpf_get_netns_cookie(sk), .port = port };
	struct sock464_udp_src *v = bpf_map_lookup_elem(&sock464_udp_src, &key);

	if (v && v->cookie == bpf_get_socket_cookie(sk))
		v->released_ns = bpf_ktime_get_ns();
}

SEC("cgroup/sock_release")
int sock464_sock_release(struct bpf_sock *ctx)
{
	struct sock464_sk *st;

	/* what follows is UDP's: a TCP socket skips the storage lookup
	 * (about 0.5 us of every short connection's CPU, docs/benchmarks.md) */
	if (ctx->type != SOCK464_SOCK_DGRAM)
		return SOCK464_PROCEED;
	st = bpf_sk_storage_get(&sock464_sk, ctx, NULL, 0);
	if (st && st->state == SOCK464_SK_UDP_ALIAS)
		alias_put(bpf_get_netns_cookie(ctx), st);
	if (st && st->udp_src_port)
		udp_src_release(ctx, st->udp_src_port);
	return SOCK464_PROCEED;
}

SEC("cgroup/connect6")
int sock464_connect6(struct bpf_sock_addr *ctx)
{
	struct decision d;

	decision_init(&d, ctx->family, ctx->type, 0, ctx->user_port);
	return finish(&d, verdict(connect6(ctx, &d)));
}

SEC("cgroup/getpeername4")
int sock464_getpeername4(struct bpf_sock_addr *ctx)
{
	return getpeername4(ctx);
}

SEC("cgroup/getsockname4")
int sock464_getsockname4(struct bpf_sock_addr *ctx)
{
	return getsockname4(ctx);
}

SEC("cgroup/getpeername6")
int sock464_getpeername6(struct bpf_sock_addr *ctx)
{
	return unmap6(ctx);
}

SEC("cgroup/recvmsg6")
int sock464_recvmsg6(struct bpf_sock_addr *ctx)
{
	return unmap6(ctx);
}

SEC("sockops")
int sock464_sockops(struct bpf_sock_ops *skops)
{
	if (skops->op == BPF_SOCK_OPS_TCP_CONNECT_CB)
		sockops_connect(skops);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
