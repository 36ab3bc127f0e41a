// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A network namespace's cookie on kernels without SO_NETNS_COOKIE (Linux
 * 5.14), e.g. Debian 11's 5.10: bpf/netns_cookie_probe.bpf.c, a
 * cgroup/connect4 program (bpf_get_netns_cookie() there since 5.7), is
 * attached to the daemon's own cgroup for the time of one connect(): a UDP
 * socket made in the namespace connects to 192.0.2.1:9 (the hook runs
 * before any route lookup, and a UDP connect sends nothing); the program
 * records the socket's netns cookie under its SO_COOKIE.  Then the link
 * and the program go.  No cgroup is written to (the packaged unit has
 * ProtectControlGroups=yes) and no process moves, so it works after the
 * privileges are dropped and with --user.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "client.h"
#include "log.h"
#include "netns.h"
#include "netns_cookie_probe.h"
#include "netns_cookie_probe.skel.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

/* Connect a UDP socket of namespace @nsfd to the probe address; its SO_COOKIE. */
static int probe_connect(int nsfd, uint64_t *sk, const char **step)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(NETNS_COOKIE_PROBE_PORT),
		.sin_addr.s_addr = htonl(NETNS_COOKIE_PROBE_ADDR),
	};
	socklen_t len = sizeof(*sk);
	int fd, err = 0;

	*step = "creating a UDP socket in the namespace";
	fd = netns_socket(nsfd, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	*step = "reading the socket's SO_COOKIE (Linux 4.13)";
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, sk, &len))
		err = -errno;
	/* Its result does not matter: cgroup/connect4 runs before the route lookup. */
	if (!err)
		(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return err;
}

/* Attach the program to cgroup @cg, connect, read the cookie; 0 or -errno. */
static int probe_in(const char *cg, int nsfd, uint64_t *cookie, const char **step)
{
	struct netns_cookie_probe *skel;
	struct bpf_link *link = NULL;
	uint64_t sk = 0;
	int cgfd, err;

	*step = "loading bpf/netns_cookie_probe.bpf.c";
	skel = netns_cookie_probe__open_and_load();
	if (!skel)
		return -errno;
	*step = "opening the daemon's cgroup";
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = cgfd < 0 ? -errno : 0;
	if (!err) {
		*step = "attaching cgroup/connect4 to the daemon's cgroup";
		link = bpf_program__attach_cgroup(skel->progs.netns_cookie_record, cgfd);
		err = link ? 0 : -errno;
		close(cgfd);
	}
	if (!err)
		err = probe_connect(nsfd, &sk, step);
	if (!err) {
		*step = "reading the cookie the program recorded";
		if (bpf_map__lookup_elem(skel->maps.netns_cookie_seen, &sk, sizeof(sk),
					 cookie, sizeof(*cookie), 0))
			err = -errno;	/* ENOENT: the program did not see the connect */
	}
	bpf_link__destroy(link);
	netns_cookie_probe__destroy(skel);
	return err;
}

uint64_t netns_cookie_bpf(int nsfd)
{
	char cg[PATH_MAX], why[512] = "";
	const char *step = "finding the daemon's cgroup";
	uint64_t cookie = 0;
	int err;

	err = client_cgroup_of(0, cg, sizeof(cg), why, sizeof(why));
	if (!err)
		err = probe_in(cg, nsfd, &cookie, &step);
	if (!err && !cookie)
		err = -ENODATA;
	if (err) {
		log_err("reading a network namespace's cookie without SO_NETNS_COOKIE "
			"(Linux 5.14) through cgroup/connect4 failed: %s%s%s: %s", step,
			why[0] ? ": " : "", why, strerror(-err));
		errno = -err;
		return 0;
	}
	return cookie;
}
