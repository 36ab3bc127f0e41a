// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <sys/resource.h>

#include "fd_limits.h"
#include "log.h"

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

int limits_check(struct options *o)
{
	unsigned long long fit = 0;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		log_err("reading the open-file limit (RLIMIT_NOFILE) failed: %m");
		return -errno;
	}
	if (rl.rlim_cur > (rlim_t)LIMITS_FDS_SPARE + o->max_udp_flows)
		fit = (rl.rlim_cur - LIMITS_FDS_SPARE - o->max_udp_flows) / LIMITS_FDS_PER_CONN;
	if (fit < LIMITS_MIN_CONNS) {
		log_err("the open-file limit (RLIMIT_NOFILE) is %llu (hard limit %llu): room for "
			"%llu relayed TCP connections beside %u UDP flows (%d descriptors a "
			"connection, 1 a flow, %d spare), fewer than the %d needed; raise the "
			"limit (ulimit -n, prlimit, systemd's LimitNOFILE=) or lower "
			"--max-udp-flows", ull(rl.rlim_cur), ull(rl.rlim_max), fit,
			o->max_udp_flows, LIMITS_FDS_PER_CONN, LIMITS_FDS_SPARE, LIMITS_MIN_CONNS);
		return -EMFILE;
	}
	if (o->max_conns > fit)
		o->max_conns = fit;
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
