/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The UDP relay's flows (relay_udp_flow.c): one per application socket and
 * alias, each with its own connected IPv6 socket.  Private to the relay
 * (relay_udp.c), which takes the datagrams from applications.
 */
#ifndef SOCK464_RELAY_UDP_FLOW_H
#define SOCK464_RELAY_UDP_FLOW_H

#include <netinet/in.h>
#include <stdint.h>

#include "flow_quota.h"
#include "hooks.h"
#include "loop.h"
#include "relay_udp.h"

#define DGRAM_MAX	65535
#define RECV_BATCH	64	/* datagrams per wake-up, for fairness */
#define MMSG		16	/* datagrams per recvmmsg() */

/* One batch, either way (the loop runs one handler at a time). */
extern unsigned char relay_udp_dgrams[MMSG][DGRAM_MAX];

struct udp_flow {
	struct ev_source up;		/* connected to dst.dst6, dst.port */
	struct relay_udp *relay;
	struct udp_flow *next;		/* hash chain */
	struct sockaddr_in app;		/* the application socket's address */
	__u32 alias;			/* network order */
	struct sock464_alias_dst dst;
	struct fq_node q;		/* its cgroup's share; last use */
	uint64_t cookie;		/* the application socket's */
	unsigned int ifindex;		/* the uplink it was bound to; 0: none */
};

/* The flow of application address @app to @alias, or NULL. */
struct udp_flow *flow_find(struct relay_udp *r, const struct sockaddr_in *app, __u32 alias);
/*
 * A new flow for the socket the hooks filed as @src: its destination read
 * from the alias, room made under the bounds, its IPv6 socket connected.
 * NULL if not (counted and logged).
 */
struct udp_flow *flow_new(struct relay_udp *r, const struct sockaddr_in *app,
			  __u32 alias, const struct sock464_udp_src *src);
void flow_free(struct relay_udp *r, struct udp_flow *f);
/* Tell the application its destination refused (ECONNREFUSED). */
void pass_refusal(struct relay_udp *r, const struct udp_flow *f);
/* 1 if a flow of relay @arg uses @alias (for hooks_alias_expire()). */
int flow_alias_busy(__u32 alias, void *arg);

#endif
