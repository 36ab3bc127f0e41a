// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"
#include "probe.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static int home_fd = -1;

int netns_init(void)
{
	home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return home_fd < 0 ? -errno : 0;
}

int netns_enter(int nsfd)
{
	if (nsfd < 0)
		return 0;
	return setns(nsfd, CLONE_NEWNET) ? -errno : 0;
}

void netns_leave(int nsfd)
{
	if (nsfd >= 0 && setns(home_fd, CLONE_NEWNET))
		log_err("returning to the daemon's network namespace failed: %m");
}

int netns_socket(int nsfd, int domain, int type, int protocol)
{
	int fd, err;

	err = netns_enter(nsfd);
	if (err) {
		errno = -err;
		return -1;
	}
	fd = socket(domain, type, protocol);
	err = errno;
	netns_leave(nsfd);
	errno = err;
	return fd;
}

/* SO_NETNS_COOKIE on a socket in @nsfd; 0 with errno if unreadable. */
static uint64_t cookie_sockopt(int nsfd)
{
	socklen_t len = sizeof(uint64_t);
	uint64_t cookie = 0;
	int fd, err;

	if (probe_disabled("so_netns_cookie")) {
		errno = ENOPROTOOPT;	/* as a kernel before 5.14 answers */
		return 0;
	}
	fd = netns_socket(nsfd, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	err = errno;
	close(fd);
	errno = err;
	return cookie;
}

uint64_t netns_cookie(int nsfd)
{
	static bool told_sockopt, told_bpf;
	uint64_t cookie = cookie_sockopt(nsfd);

	if (cookie) {
		if (!told_sockopt)
			log_info("network namespace cookies: from SO_NETNS_COOKIE");
		told_sockopt = true;
		return cookie;
	}
	if (errno != ENOPROTOOPT)
		return 0;
	cookie = netns_cookie_bpf(nsfd);
	if (cookie && !told_bpf)
		log_info("network namespace cookies: no SO_NETNS_COOKIE (Linux 5.14)%s, "
			 "read by a cgroup/connect4 program (bpf_get_netns_cookie) instead "
			 "(the first: %llu)", probe_disabled("so_netns_cookie") ?
			 ": disabled by " PROBE_DISABLE_ENV : "", (unsigned long long)cookie);
	told_bpf |= cookie != 0;
	return cookie;
}

int netns_socket_as(int nsfd, unsigned int uid, bool *as_uid, int domain, int type,
		    int protocol)
{
	static int home_fsuid = -1;
	unsigned int now;
	int old, fd, err;

	if (home_fsuid < 0)
		home_fsuid = setfsuid(-1);	/* an invalid uid: only reads it */
	*as_uid = true;
	if (uid == (unsigned int)home_fsuid)
		return netns_socket(nsfd, domain, type, protocol);
	/* two calls: setfsuid() returns the fsuid it found, not whether it changed it */
	old = setfsuid(uid);
	fd = netns_socket(nsfd, domain, type, protocol);
	err = errno;
	now = setfsuid(old);
	*as_uid = now == uid;
	errno = err;
	return fd;
}
