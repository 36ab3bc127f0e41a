/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The open-file limit: raised to fit the relays' connections and flows,
 * and the limits it allows stated at start-up.
 */
#ifndef SOCK464_FDLIMIT_H
#define SOCK464_FDLIMIT_H

struct options;

/* Fewer relayed TCP connections than this is refused at start-up. */
#define FDLIMIT_MIN_CONNS	64
/* Descriptors: per relayed connection (two sockets, two pipes), spare. */
#define FDLIMIT_FDS_PER_CONN	6
#define FDLIMIT_FDS_SPARE	64

/*
 * Raise RLIMIT_NOFILE for o->max_conns and o->max_udp_flows, as far as
 * the hard limit allows.  Returns the connections that fit (o->max_conns,
 * or fewer; it lowers nothing itself), and the limit in *@limit.
 */
unsigned int fdlimit_raise(const struct options *o, unsigned long long *limit);

/*
 * Once the limit is raised (and o->max_conns lowered to what fits): log
 * the connection and flow limits and the open-file limit, or fail
 * (-EMFILE, logged, naming the limit) if it leaves room for fewer than
 * FDLIMIT_MIN_CONNS connections.
 */
int fdlimit_check(const struct options *o);

#endif
