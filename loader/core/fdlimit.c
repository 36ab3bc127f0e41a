// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <sys/resource.h>

#include "fdlimit.h"
#include "log.h"
#include "options.h"

/* The soft limit the daemon was started with, before anything raised it. */
static rlim_t started_with = RLIM_INFINITY;

__attribute__((constructor)) static void remember_start_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl))
		started_with = rl.rlim_cur;
}

static unsigned long long ull(rlim_t v)
{
	return (unsigned long long)v;
}

/* The relayed connections that fit in @fds beside @o's UDP flows. */
static unsigned long long conns_fitting(const struct options *o, rlim_t fds)
{
	if (fds <= (rlim_t)FDLIMIT_FDS_SPARE + o->max_udp_flows)
		return 0;
	return (fds - FDLIMIT_FDS_SPARE - o->max_udp_flows) / FDLIMIT_FDS_PER_CONN;
}

unsigned int fdlimit_raise(const struct options *o, unsigned long long *limit)
{
	rlim_t want = (rlim_t)o->max_conns * FDLIMIT_FDS_PER_CONN + o->max_udp_flows +
		      FDLIMIT_FDS_SPARE;
	unsigned long long fit;
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
	fit = conns_fitting(o, rl.rlim_cur);
	return fit ? fit : 1;
}

int fdlimit_check(const struct options *o)
{
	unsigned long long fit;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		log_err("reading the open-file limit (RLIMIT_NOFILE) failed: %m");
		return -errno;
	}
	fit = conns_fitting(o, rl.rlim_cur);
	if (fit < FDLIMIT_MIN_CONNS) {
		log_err("the open-file limit (RLIMIT_NOFILE) is %llu (hard limit %llu): room for "
			"%llu relayed TCP connections beside %u UDP flows (%d descriptors a "
			"connection, 1 a flow, %d spare), fewer than the %d needed; raise the "
			"limit (ulimit -n, prlimit, systemd's LimitNOFILE=) or lower "
			"--max-udp-flows", ull(rl.rlim_cur), ull(rl.rlim_max), fit,
			o->max_udp_flows, FDLIMIT_FDS_PER_CONN, FDLIMIT_FDS_SPARE,
			FDLIMIT_MIN_CONNS);
		return -EMFILE;
	}
	if (rl.rlim_cur != started_with)
		log_info("open-file limit raised from %llu to %llu (hard limit %llu)",
			 ull(started_with), ull(rl.rlim_cur), ull(rl.rlim_max));
	else
		log_info("open-file limit %llu (hard limit %llu)", ull(rl.rlim_cur),
			 ull(rl.rlim_max));
	log_info("limits: %u relayed TCP connections, %u UDP flows, %u UDP flows per cgroup",
		 o->max_conns, o->max_udp_flows, o->max_udp_flows_cg);
	return 0;
}
