/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The open-file limit, raised to fit the relays' connections and flows. */
#ifndef SOCK464_FDLIMIT_H
#define SOCK464_FDLIMIT_H

struct options;

/*
 * Raise RLIMIT_NOFILE for o->max_conns and o->max_udp_flows, as far as
 * the hard limit allows.  Returns the connections that fit (o->max_conns,
 * or fewer; it lowers nothing itself), and the limit in *@limit.
 */
unsigned int fdlimit_raise(const struct options *o, unsigned long long *limit);

#endif
