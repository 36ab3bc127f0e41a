/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The UDP relay: datagrams that the hooks sent to a destination's alias
 * (127.46.x.y, one per IPv4 destination and port) arrive on one socket;
 * each (application socket, alias) flow gets an IPv6 socket connected to
 * the synthesized destination, and replies go back from the alias.
 */
#ifndef SOCK464_RELAY_UDP_H
#define SOCK464_RELAY_UDP_H

#include <stdint.h>
#include "flow_quota.h"
#include "loop.h"
#include "ratelog.h"

struct hooks;
struct udp_flow;

#define RELAY_UDP_BUCKETS 4096

struct relay_udp_stats {
	uint64_t datagrams_out;	/* application -> IPv6 */
	uint64_t datagrams_in;	/* IPv6 -> application */
	uint64_t flows;		/* flows created */
	uint64_t expired;	/* flows closed after the idle timeout */
	uint64_t over_limit;	/* datagrams dropped: --max-udp-flows reached */
	uint64_t over_cgroup_limit; /* dropped: --max-udp-flows-per-cgroup reached */
	uint64_t evicted;	/* quiet flows closed to make room for new ones */
	uint64_t foreign;	/* datagrams from sockets the hooks did not file: dropped */
	uint64_t unknown;	/* datagrams to no alias of ours: dropped */
	uint64_t failed;	/* datagrams dropped: their flow could not be opened */
	uint64_t send_failed;	/* datagrams the IPv6 side refused (firewall, buffers) */
	uint64_t replies_dropped; /* replies the application's socket did not take */
	uint64_t errors;	/* ICMPv6 errors passed back to applications */
	uint64_t aliases_freed;	/* aliases returned after the idle timeout */
};

struct relay_udp {
	struct loop *loop;
	struct hooks *hooks;
	struct ev_source sock;	/* receives for every alias */
	int icmp_fd;		/* raw ICMP, to pass errors back */
	int netns_fd;		/* the namespace it serves; -1: the daemon's */
	uint64_t netns_cookie;
	uint16_t port;		/* network order */
	unsigned int nflows, max_flows;
	struct flow_quota quota;	/* flows per cgroup, least recently used */
	/* one log line a minute for each reason datagrams are dropped */
	struct ratelog log_foreign, log_unknown, log_over, log_over_cg, log_failed,
		       log_send, log_replies, log_uid;
	uint64_t idle_ms;
	struct timer sweep;
	struct udp_flow *buckets[RELAY_UDP_BUCKETS];
	/* aliases taken off the destination map last sweep, freed this one */
	struct sock464_alias_key *retiring;
	unsigned int nretiring, aliases;
	struct relay_udp_stats stats;
};

int relay_udp_start(struct relay_udp *r, struct loop *l, struct hooks *h,
		    uint64_t netns_cookie, unsigned int max_flows,
		    unsigned int idle_s, int netns_fd);
void relay_udp_stop(struct relay_udp *r);
/* At most @n flows for the sockets of one cgroup, in every relay started after. */
void relay_udp_cgroup_limit(unsigned int n);
/* A flow this quiet (or idle for the idle timeout, if shorter) may be evicted. */
#define RELAY_UDP_QUIET_MS 1000

#endif
