// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A network namespace's cookie on kernels without SO_NETNS_COOKIE (Linux
 * 5.14), e.g. Debian 11's 5.10: bpf/netns_cookie_probe.bpf.c, a
 * cgroup/connect4 program (bpf_get_netns_cookie() there since 5.7), is
 * attached to a private cgroup made for the purpose under the cgroup2
 * mount.  A child process enters the namespace, joins that cgroup and
 * connect()s a UDP socket to 192.0.2.1:9 (the hook runs before any route
 * lookup, and a UDP connect sends nothing); the program records the
 * cookie.  Then the link, the program and the cgroup are removed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "client.h"
#include "log.h"
#include "netns.h"
#include "netns_cookie_probe.skel.h"

/* The child: never returns; exits with 0 or the errno of the step that failed. */
static void probe_child(int nsfd, const char *procs)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(9),			/* discard */
		.sin_addr.s_addr = htonl(0xc0000201),	/* 192.0.2.1, TEST-NET-1 */
	};
	int fd;

	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET))
		_exit(errno);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(errno);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		_exit(errno);
	/* Its result does not matter: cgroup/connect4 runs before the route lookup. */
	(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	_exit(0);
}

/* Fork the child into namespace @nsfd and cgroup @cg; 0 or -errno. */
static int run_child(int nsfd, const char *cg)
{
	char procs[PATH_MAX + 128];
	int status;
	pid_t pid;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		probe_child(nsfd, procs);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

/* rmdir(2) the probe cgroup; the child, reaped, may still be leaving it. */
static void remove_cgroup(const char *cg)
{
	struct timespec ms = { .tv_nsec = 1000000 };
	int i;

	for (i = 0;; i++) {
		if (!rmdir(cg))
			return;
		if (errno != EBUSY || i == 100)
			break;
		nanosleep(&ms, NULL);
	}
	log_warn("removing the netns cookie probe cgroup %s failed: %m", cg);
}

/* Attach the program to @cg, run the child, read the cookie; 0 or -errno. */
static int probe_in(const char *cg, int nsfd, uint64_t *cookie, const char **step)
{
	struct netns_cookie_probe *skel;
	struct bpf_link *link = NULL;
	__u32 key = 0;
	int cgfd = -1, err;

	*step = "loading bpf/netns_cookie_probe.bpf.c";
	skel = netns_cookie_probe__open_and_load();
	if (!skel)
		return -errno;
	*step = "opening the probe cgroup";
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = cgfd < 0 ? -errno : 0;
	if (!err) {
		*step = "attaching cgroup/connect4 to the probe cgroup";
		link = bpf_program__attach_cgroup(skel->progs.netns_cookie_record, cgfd);
		err = link ? 0 : -errno;
	}
	if (!err) {
		*step = "running the child (setns, joining the cgroup, connect)";
		err = run_child(nsfd, cg);
	}
	if (!err) {
		*step = "reading the recorded cookie";
		if (bpf_map__lookup_elem(skel->maps.netns_cookie_seen, &key, sizeof(key),
					 cookie, sizeof(*cookie), 0))
			err = -errno;
		else if (!*cookie)
			err = -ENODATA;	/* the child's connect did not pass the hook */
	}
	bpf_link__destroy(link);
	if (cgfd >= 0)
		close(cgfd);
	netns_cookie_probe__destroy(skel);
	return err;
}

uint64_t netns_cookie_bpf(int nsfd)
{
	static unsigned int seq;
	char mnt[PATH_MAX], cg[PATH_MAX + 64];
	const char *step = "finding the cgroup2 mount";
	uint64_t cookie = 0;
	int err = -ENOENT;

	client_cgroup2_mount(mnt, sizeof(mnt));
	if (mnt[0]) {
		snprintf(cg, sizeof(cg), "%s/sock464-netns-cookie-%d-%u", mnt,
			 (int)getpid(), seq++);
		step = "creating the probe cgroup";
		err = mkdir(cg, 0700) ? -errno : 0;
	}
	if (!err) {
		err = probe_in(cg, nsfd, &cookie, &step);
		remove_cgroup(cg);
	}
	if (err) {
		log_err("reading a network namespace's cookie without SO_NETNS_COOKIE "
			"(Linux 5.14) through cgroup/connect4 failed: %s%s%s: %s", step,
			mnt[0] ? " " : "", mnt[0] ? cg : "", strerror(-err));
		errno = -err;
		return 0;
	}
	return cookie;
}
