/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Everything the BPF programs (bpf/sock464.bpf.c) and the daemon
 * (loader/) both use: map keys and values, counter indexes, constants.
 *
 * Rules for this file: fixed-width types only, explicit padding so that
 * both compilers agree on every layout, no libc and no kernel-internal
 * headers.  Addresses and ports are in network byte order unless a field
 * name says otherwise.
 */
#ifndef SOCK464_H
#define SOCK464_H

#include <linux/types.h>

/*
 * The loopback block the daemon's relays use inside every network
 * namespace it serves: 127.46.0.0/16 ("464").  The TCP relay listens on
 * 127.46.0.1; 127.46.1.0 to 127.46.255.255 are UDP aliases, one for each
 * IPv4 destination (address and port) that AF_INET UDP sockets send to, so
 * that the UDP relay knows from the address a datagram arrived on where it
 * was going.  Like all of 127.0.0.0/8 it is local without configuration.
 */
#define SOCK464_RELAY_IP4_HOST	0x7f2e0001U	/* 127.46.0.1, host order */
#define SOCK464_ALIAS_FIRST	0x7f2e0100U	/* 127.46.1.0, host order */
#define SOCK464_ALIAS_COUNT	0xff00U		/* up to 127.46.255.255 */

/* Socket families and types, as in <sys/socket.h> (no libc on the BPF side). */
#define SOCK464_AF_INET		2
#define SOCK464_AF_INET6	10
#define SOCK464_SOCK_STREAM	1
#define SOCK464_SOCK_DGRAM	2
#define SOCK464_SOCK_RAW	3

/* Sizes of the maps; every map is bounded. */
#define SOCK464_MAX_NETNS	1024	/* network namespaces served at once */
#define SOCK464_MAX_PENDING	65536	/* relayed TCP connects not yet accepted */
#define SOCK464_MAX_ALIASES	SOCK464_ALIAS_COUNT	/* UDP destinations mapped */
#define SOCK464_MAX_RULES	4096	/* include/exclude rules, all namespaces */
#define SOCK464_MAX_ROUTES	16384	/* mirrored IPv4 routes, all namespaces */
#define SOCK464_RULE_PORTS	8	/* port ranges in one exclude rule */
#define SOCK464_MAX_CGROUPS	4096	/* cgroups counted apart (LRU) */
#define SOCK464_MAX_UDP_SRC	65536	/* UDP sockets filed for the relay (LRU) */
#define SOCK464_MAX_UPLINKS	4096	/* links of served namespaces, all together */
#define SOCK464_IFNAMSIZ	16	/* IFNAMSIZ, with its NUL */

/*
 * The links of a served namespace, by name, for sockets bound to a device
 * (SO_BINDTODEVICE: curl --interface, ping -I).  The daemon writes one
 * entry per link but lo (loader/netns/uplinks.c) and keeps them current;
 * SOCK464_UPLINK_PREF64: the kernel routes PREF64 out of that link, so the
 * cgroup/setsockopt hook binds the socket to no device instead (so that the
 * marked route and the relays on lo apply) and remembers the link in sock464_sk; the
 * translated packets and the relay's sockets then leave through it.  A
 * socket bound to any other device gets ENETUNREACH for a translated
 * destination.
 */
struct sock464_uplink_key {
	__u64 netns;			/* netns cookie */
	char  name[SOCK464_IFNAMSIZ];	/* NUL-padded */
};

struct sock464_uplink {
	__u32 ifindex;
	__u32 flags;			/* SOCK464_UPLINK_* */
	__u8  src6[16];			/* the kernel's source for PREF64 out of it */
	__u8  gw6[16];			/* and the next hop; :: for on-link */
};

/*
 * The same entries by interface index (sock464_uplink_ids), for the TC
 * translator: bpf_fib_lookup() answers for an output device only if it
 * forwards, so a bound socket's packets take the source the daemon asked
 * the kernel for, and bpf_redirect_neigh() routes them out of the link.
 */
struct sock464_uplink_id {
	__u64 netns;			/* netns cookie */
	__u32 ifindex;
	__u32 pad;
};

#define SOCK464_UPLINK_PREF64	0x1	/* PREF64 is routed out of it */

/*
 * The uplink of each flow of a bound socket, kept by the TC translator
 * (LRU, xlat_bound) from the packets that carry their socket, for those
 * that do not: a time-wait socket's ACK must leave through the same link.
 */
#define SOCK464_MAX_BOUND	65536

struct sock464_bound_key {
	__u64 netns;		/* netns cookie */
	__u32 ip4;		/* the IPv4 destination */
	__u16 sport;		/* as on the wire */
	__u16 dport;
	__u8  proto;
	__u8  pad[7];
};

/*
 * Per-socket state (sk_storage, so it dies with the socket).
 * Decided once, at socket creation (cgroup/sock_create), or at the first
 * hook call for sockets that existed before the programs were attached.
 */
enum sock464_sk_state {
	SOCK464_SK_IGNORED = 0,	/* never touched: the daemon's own, raw, ... */
	SOCK464_SK_SERVED,	/* may be translated; not translated (yet) */
	SOCK464_SK_RELAYED,	/* AF_INET TCP, connected to the relay */
	SOCK464_SK_NATIVE6,	/* AF_INET6, ::ffff:a.b.c.d became PREF64::a.b.c.d */
	SOCK464_SK_UDP_ALIAS,	/* UDP, connected to a destination's alias */
	SOCK464_SK_KERNEL,	/* AF_INET, connected; translated per packet (xlat) */
};

struct sock464_sk {
	__u8  dst6[16];		/* the synthesized IPv6 destination */
	__u32 orig_ip4;		/* the IPv4 destination the application asked for */
	__u16 orig_port;	/* and its port */
	__u8  state;		/* enum sock464_sk_state */
	__u8  flags;		/* SOCK464_SKF_* */
	__u16 udp_src_port;	/* UDP: the port it is filed under (sock464_udp_src) */
	__u16 pad2;
	__u32 dev_ifindex;	/* the uplink it was bound to (SO_BINDTODEVICE), now
				 * bound to none instead; 0: none (sock464_uplinks) */
	__u32 uid;		/* relayed TCP: the connecting process's uid (connect4) */
	__u64 netns;		/* its netns cookie, set at creation: for the sockops and
				 * setsockopt programs, which have no
				 * bpf_get_netns_cookie() before 5.15 */
};

/* The socket carries SOCK464_XLAT_MARK (kernel data path, set at creation). */
#define SOCK464_SKF_MARKED	0x01

/*
 * What one network namespace is served with, keyed by its netns cookie.
 * A namespace without an entry has no relay: translated connects there
 * fail with ENETUNREACH.
 */
struct sock464_netns {
	__u8  pref64[16];	/* PREF64, bits past plen zero */
	__u8  plen;		/* 32, 40, 48, 56, 64 or 96; 0: no prefix known */
	__u8  flags;		/* SOCK464_NS_* */
	__u16 tcp_port;		/* TCP relay port; 0: no relay */
	__u32 relay_ip4;	/* address the TCP relay listens on */
	__u16 udp_port;		/* UDP relay port (every alias); 0: no relay */
	__u16 pad2;
	/*
	 * The prefix in use before the last change (0: none): the kernel
	 * data path's flows that began under it keep it (their sockets
	 * carry their destination); the way in accepts it too.
	 */
	__u8  prev_pref64[16];
	__u8  prev_plen;
	__u8  pad3[3];
};

/* RFC 6052 section 3.1: no non-global IPv4 through 64:ff9b::/96. */
#define SOCK464_NS_WKP_STRICT	0x01
/* The kernel data path serves this namespace (docs/architecture.md). */
#define SOCK464_NS_KERNEL	0x02
/*
 * The daemon stopped with --pin: its TC programs, still attached, keep
 * translating the established flows (with this prefix); the hooks see no
 * relay and no kernel path, so new connects fail with ENETUNREACH.
 */
#define SOCK464_NS_XLAT_ONLY	0x04

/*
 * The kernel data path.  Sockets that may be translated carry this mark
 * (SO_MARK, set by cgroup/sock_create); one policy routing rule, after the
 * main table, sends their IPv4 traffic that has no native route to a table
 * of sock464's own: `default dev lo src 127.0.0.1 mtu M`.  Connected
 * sockets get SOCK464_XLAT_MARK_CONN from connect4 (below).  The TC program
 * on lo egress translates it to IPv6; the one on each uplink's ingress
 * translates the replies back and gives them to lo with the mark.
 */
#define SOCK464_XLAT_MARK	0x64640464U
#define SOCK464_XLAT_TABLE	464U
/* ICMP of marked sockets: a table whose route has lo's MTU (one rule earlier) */
#define SOCK464_XLAT_TABLE_ICMP	465U
#define SOCK464_XLAT_PREF	32900U	/* after main (32766) and default (32767) */
/*
 * A socket connect4 decided to translate carries this mark instead, whose
 * rule comes *before* the main table: an include rule beats a native
 * route, and an established flow keeps its route when a native IPv4 route
 * appears later.  Replies are given to lo with it too.
 */
#define SOCK464_XLAT_MARK_CONN	0x64640465U
#define SOCK464_XLAT_PREF_CONN	32700U	/* before main */
/*
 * An ICMP message too large for the uplink goes out as IPv6 fragments:
 * sock464_xlat_out() sends each but the last as a clone through lo egress
 * again, carrying this mark, and cuts it there to its fragment.
 */
#define SOCK464_XLAT_MARK_SPLIT	0x64640466U
#define SOCK464_XLAT_SRC_HOST	0x7f000001U	/* 127.0.0.1: the route's source */
/* What getsockname() shows a translated socket (RFC 7335), host order. */
#define SOCK464_XLAT_SHOWN_HOST	0xc0000002U	/* 192.0.0.2 */

/*
 * Counters of the TC translator (xlat_counters, per CPU), written once:
 * X(ID, name) gives SOCK464_XC_ID and the name status shows.
 */
#define SOCK464_XLAT_COUNTERS(X)					\
	/* IPv4 packets sent as IPv6 */					\
	X(OUT, "xlat_out")						\
	/* IPv6 packets given to a socket as IPv4 */			\
	X(IN, "xlat_in")						\
	/* marked, but the namespace is not served */			\
	X(OUT_NO_NETNS, "xlat_out_no_netns")				\
	/* no IPv6 route or source for PREF64::dst */			\
	X(OUT_NO_ROUTE, "xlat_out_no_route")				\
	/* marked, but not a translatable packet */			\
	X(OUT_PASS, "xlat_out_pass")					\
	/* translatable, but dropped (TTL, errors) */			\
	X(OUT_DROP, "xlat_out_drop")					\
	/* ours, but dropped (errors) */				\
	X(IN_DROP, "xlat_in_drop")					\
	/* IPv6 TCP/UDP in a namespace not on the kernel path */	\
	X(IN_NO_NETNS, "xlat_in_no_netns")				\
	/* from PREF64, but no translated socket: left as IPv6 */	\
	X(IN_NOT_OURS, "xlat_in_not_ours")				\
	/* ICMPv6 errors given to a socket as ICMPv4 */			\
	X(IN_ERROR, "xlat_in_error")					\
	/* a translated SYN refused: a native IPv6 socket owns its tuple */	\
	X(OUT_COLLISION, "xlat_out_collision")				\
	/* left to the native IPv6 socket that owns its tuple */	\
	X(IN_NATIVE, "xlat_in_native")

#define SOCK464_XC_ENUM(id, name) SOCK464_XC_##id,
enum sock464_xlat_counter {
	SOCK464_XLAT_COUNTERS(SOCK464_XC_ENUM)
	SOCK464_XC_MAX
};
#undef SOCK464_XC_ENUM

/*
 * ICMP echo on the kernel path has no ports and no socket to look up: an
 * echo request going out files its identifier and destination here (LRU),
 * with the message's length as the value (the ICMPv6 checksum of a reply
 * in fragments covers it, and only the first fragment's header is seen);
 * only echo replies that match go back to IPv4.
 */
#define SOCK464_MAX_ECHO	4096

struct sock464_echo_key {
	__u64 netns;		/* netns cookie */
	__u32 ip4;		/* the pinged IPv4 address */
	__u16 id;		/* the echo identifier, as on the wire */
	__u16 pad;
};

/*
 * IPv6 fragments coming in: only the first carries the ports that find
 * the flow's socket; it files the fragment identification here (LRU) for
 * the others.
 */
#define SOCK464_MAX_FRAGS	4096

struct sock464_frag_key {
	__u64 netns;		/* netns cookie */
	__u32 ip4;		/* the peer's IPv4 address */
	__u32 id;		/* the Fragment header's identification, as on the wire */
};


/*
 * Policy: per-namespace LPM tries keyed by (netns cookie, IPv4 address),
 * one for the operator's include/exclude rules, one mirroring the
 * namespace's IPv4 routes.  prefixlen counts the 64 bits of the cookie
 * too; the cookie is stored as two words so that no padding sits between
 * prefixlen and the data the trie matches on.
 */
struct sock464_lpm_key {
	__u32 prefixlen;	/* 64 + IPv4 prefix length */
	__u32 netns[2];		/* the netns cookie, as memcpy lays a __u64 */
	__u32 ip4;		/* network order */
};

#define SOCK464_RULE_EXCLUDE	1	/* always native */
#define SOCK464_RULE_INCLUDE	2	/* translated even with a native route */

struct sock464_rule {
	__u8  action;		/* SOCK464_RULE_* */
	__u8  nports;		/* exclude: 0 = every port */
	__u8  fallback;		/* for the other ports: the broader rules' action */
	__u8  pad;
	struct {
		__u16 lo, hi;	/* host order, inclusive */
	} ports[SOCK464_RULE_PORTS];
};

/*
 * UDP aliases: an IPv4 destination (address, port) in a namespace and the
 * loopback alias that stands for it, in both directions.  The hooks create
 * them; the daemon removes them once no socket is connected to the alias
 * (refs) and neither a hook nor the relay used it for the idle timeout.
 */
struct sock464_udp_dst {
	__u64 netns;
	__u32 ip4;
	__u16 port;
	__u16 pad;
};

struct sock464_udp_alias {
	__u32 alias;		/* 127.46.x.y, network order */
	__u32 refs;		/* connected sockets using it */
	__u64 last_ns;		/* bpf_ktime_get_ns() of the last send */
};

struct sock464_alias_key {
	__u64 netns;
	__u32 alias;		/* network order */
	__u32 pad;
};

struct sock464_alias_dst {
	__u8  dst6[16];		/* the synthesized destination */
	__u32 ip4;		/* the original one */
	__u16 port;
	__u16 pad;
};

/*
 * A relayed TCP connect, written by sockops at TCP_CONNECT_CB (the source
 * port is chosen and the SYN not yet sent) and consumed by the relay when
 * it accepts the connection whose peer is (src_ip4, src_port).
 */
struct sock464_pending_key {
	__u64 netns;		/* netns cookie of the client socket */
	__u32 src_ip4;		/* the client's address on the loopback */
	__u16 src_port;		/* and its port */
	__u16 pad;
};

struct sock464_pending {
	__u8  dst6[16];		/* where the relay connects to */
	__u32 orig_ip4;		/* what the application asked for (for logs) */
	__u16 port;		/* destination port */
	__u16 pad;
	__u32 uid;		/* of the process that connected */
	__u32 ifindex;		/* the uplink the application bound it to; 0: none */
};

/*
 * An AF_INET UDP socket of a served cgroup that sent to an alias (or was
 * connected to one), filed by the hooks under its netns and source port.
 * The UDP relay takes a datagram only from a filed source address and
 * port: no other local socket can use it.  sock_release marks the entry,
 * and the relay still takes what the socket sent before it closed for
 * SOCK464_UDP_SRC_GRACE_NS.
 */
struct sock464_udp_src_key {
	__u64 netns;
	__u16 port;		/* the socket's source port, network order */
	__u16 pad;
	__u32 pad2;
};

struct sock464_udp_src {
	__u64 cookie;		/* bpf_get_socket_cookie() of the socket */
	__u64 cgroup_id;	/* of the process that filed it */
	__u64 released_ns;	/* bpf_ktime_get_ns() when it closed; 0: open */
	__u32 ip4;		/* its source address on the loopback, network order */
	__u32 uid;		/* of the process that filed it */
	__u32 ifindex;		/* the uplink the application bound it to; 0: none */
	__u32 pad;
};

#define SOCK464_UDP_SRC_GRACE_NS	(2ULL * 1000000000)

/*
 * Per-CPU counters, one per decision the hooks make, written once here:
 * X(ID, name, flags, trace) gives SOCK464_CNT_ID, the name status and
 * trace show, SOCK464_CNTF_* and the words of a trace line ("" for the
 * name).  Add a counter by adding a line; every list follows.
 */
#define SOCK464_CNTF_DECISION	0x1	/* a decision: counted per cgroup too */
#define SOCK464_CNTF_TRANSLATED	0x2	/* sent somewhere: trace shows where */

#define SOCK464_COUNTERS(X)						\
	/* AF_INET TCP connect sent to the relay */				\
	X(RELAY_TCP, "relay_tcp", 3, "relay")					\
	/* ::ffff: connect rewritten to PREF64 */				\
	X(NATIVE6, "native6", 3, "native")					\
	/* destination that is never translated */				\
	X(PASS_RESERVED, "pass_reserved", 1, "pass reserved")			\
	/* socket the translator must not touch */				\
	X(PASS_IGNORED, "pass_ignored", 1, "")					\
	/* netns not served by a running relay */				\
	X(REFUSE_NO_RELAY, "refuse_no_relay", 1, "refused no-relay ENETUNREACH") \
	/* no PREF64 known */							\
	X(REFUSE_NO_PREFIX, "refuse_no_prefix", 1, "refused no-prefix ENETUNREACH") \
	/* getpeername/recvmsg showed the IPv4 peer */				\
	X(PEER_SHOWN, "peer_shown", 0, "")					\
	/* relayed connect whose state was missing */				\
	X(PENDING_LOST, "pending_lost", 0, "")					\
	/* AF_INET UDP datagram or connect sent to an alias */			\
	X(RELAY_UDP, "relay_udp", 3, "relay")					\
	/* every UDP alias in use: ENOBUFS */					\
	X(REFUSE_NO_ALIAS, "refuse_no_alias", 1, "refused no-alias ENOBUFS")	\
	/* an exclude rule: native */						\
	X(PASS_EXCLUDED, "pass_excluded", 1, "pass excluded")			\
	/* an include rule: translated despite routes */			\
	X(INCLUDED, "included", 0, "")						\
	/* the namespace has an IPv4 route there */				\
	X(PASS_NATIVE_ROUTE, "pass_native_route", 1, "pass native-route")	\
	/* non-global IPv4 with 64:ff9b::/96 */					\
	X(REFUSE_WKP, "refuse_wkp", 1, "refused wkp-strict ENETUNREACH")	\
	/* bound to a device without a route to PREF64 */			\
	X(REFUSE_DEVICE, "refuse_device", 1, "refused device ENETUNREACH")	\
	/* SO_BINDTODEVICE to an uplink: unbound, leaves through it */	\
	X(DEVICE_UPLINK, "device_uplink", 0, "")				\
	/* netns without a relay, unserved-netns pass */			\
	X(PASS_UNSERVED, "pass_unserved", 1, "")				\
	/* AF_INET TCP connect left to the kernel path */			\
	X(KERNEL_TCP, "kernel_tcp", 3, "kernel")				\
	/* AF_INET UDP connect or datagram, kernel path */			\
	X(KERNEL_UDP, "kernel_udp", 3, "kernel")

#define SOCK464_CNT_ENUM(id, name, flags, trace) SOCK464_CNT_##id,
enum sock464_counter {
	SOCK464_COUNTERS(SOCK464_CNT_ENUM)
	SOCK464_CNT_MAX
};
#undef SOCK464_CNT_ENUM

struct sock464_cg_counters {
	__u64 c[SOCK464_CNT_MAX];
};

/* Run-time settings of the hooks (sock464_config, one entry). */
struct sock464_config {
	__u32 trace;		/* 1: send decisions to sock464_events */
	__u32 pass_unserved;	/* 1: a namespace without a relay goes native */
};

/* One decision, for `sock464ctl trace`. */
struct sock464_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u64 cgroup_id;
	__u32 pid;
	__u32 counter;		/* the decision: SOCK464_CNT_* */
	__u32 ip4;		/* the IPv4 destination asked for */
	__u16 port;
	__u8  proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8  family;		/* the socket's: 2 or 10 */
	__u8  dst6[16];		/* where it went, when translated */
	char  comm[16];
};

/*
 * Destinations that are never translated: 0.0.0.0/8, 127.0.0.0/8,
 * 169.254.0.0/16, 224.0.0.0/4 (multicast) and 240.0.0.0/4 (reserved, with
 * the limited broadcast 255.255.255.255).  @ip4 is in network order.
 */
static inline int sock464_ip4_reserved(__u32 ip4)
{
	const __u8 *b = (const __u8 *)&ip4;

	return b[0] == 0 || b[0] == 127 || (b[0] == 169 && b[1] == 254) ||
	       b[0] >= 224;
}

/*
 * Not globally reachable by the IANA IPv4 special-purpose registry (RFC
 * 6890 and its updates): what RFC 6052 section 3.1 keeps away from the
 * well-known prefix.  192.0.0.9 and 192.0.0.10 are the registry's global
 * exceptions inside 192.0.0.0/24.  @ip4 is in network order.
 */
static inline int sock464_ip4_nonglobal(__u32 ip4)
{
	const __u8 *b = (const __u8 *)&ip4;

	if (b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224)
		return 1;
	if ((b[0] == 100 && (b[1] & 0xc0) == 64) ||	/* 100.64.0.0/10 */
	    (b[0] == 169 && b[1] == 254) ||
	    (b[0] == 172 && (b[1] & 0xf0) == 16) ||	/* 172.16.0.0/12 */
	    (b[0] == 192 && b[1] == 168) ||
	    (b[0] == 198 && (b[1] & 0xfe) == 18))	/* 198.18.0.0/15 */
		return 1;
	if (b[0] == 192 && b[1] == 0 && b[2] == 0)	/* 192.0.0.0/24 */
		return b[3] != 9 && b[3] != 10;
	return (b[0] == 192 && b[1] == 0 && b[2] == 2) ||	/* documentation */
	       (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
	       (b[0] == 203 && b[1] == 0 && b[2] == 113);
}

/* 1 if @pref64/@plen is the well-known prefix 64:ff9b::/96. */
static inline int sock464_is_wkp(const __u8 pref64[16], __u8 plen)
{
	return plen == 96 && pref64[0] == 0 && pref64[1] == 0x64 &&
	       pref64[2] == 0xff && pref64[3] == 0x9b && !pref64[4] &&
	       !pref64[5] && !pref64[6] && !pref64[7] && !pref64[8] &&
	       !pref64[9] && !pref64[10] && !pref64[11];
}

#endif /* SOCK464_H */
