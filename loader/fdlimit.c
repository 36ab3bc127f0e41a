// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <sys/resource.h>

#include "fdlimit.h"
#include "options.h"

/* Descriptors per relayed connection: two sockets, two pipes. */
#define FDS_PER_CONN 6

unsigned int fdlimit_raise(const struct options *o, unsigned long long *limit)
{
	rlim_t want = (rlim_t)o->max_conns * FDS_PER_CONN + o->max_udp_flows + 64;
	struct rlimit rl;

	*limit = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return o->max_conns;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	*limit = rl.rlim_cur;
	if (rl.rlim_cur >= want)
		return o->max_conns;
	return rl.rlim_cur > 64 + o->max_udp_flows ?
	       (rl.rlim_cur - 64 - o->max_udp_flows) / FDS_PER_CONN : 1;
}
