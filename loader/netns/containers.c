// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Containers (containers.h): the namespace each runs in is served by
 * netns_svc.c with its own data path, route mirror and PREF64 (the one the
 * container was started with, or the one its network's RAs or DNS64
 * announce, else the daemon's own); this file keeps the containers, and
 * files them for the next daemon (containers_restore()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "containers.h"
#include "control.h"
#include "daemon.h"
#include "datapath.h"
#include "log.h"
#include "netns.h"
#include "netns_svc.h"
#include "protocol.h"

#define CONTAINERS_FILE	"containers"	/* beside the control socket */
#define NO_VALUE	"-"

/*
 * The file of the containers served (containers_save()), opened at the
 * start while the daemon may still create it and kept open, so that it is
 * written after privs_drop() too (--user); -1: none.
 */
static int file_fd = -1;

/*
 * The resolvers in the container's own /etc/resolv.conf, comma-separated
 * for c-ares; "" if none can be read.
 */
static void container_resolvers(int pid, char *out, size_t len)
{
	char path[64], line[256], addr[INET6_ADDRSTRLEN];
	unsigned char buf[sizeof(struct in6_addr)];
	size_t used = 0;
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/root/etc/resolv.conf", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " nameserver %45s", addr) == 1 &&
		    (inet_pton(AF_INET6, addr, buf) == 1 || inet_pton(AF_INET, addr, buf) == 1) &&
		    used + strlen(addr) + 2 < len)
			used += snprintf(out + used, len - used, "%s%s", used ? "," : "", addr);
	fclose(f);
}

/*
 * The container's cgroup as the daemon sees it (its /proc/PID/cgroup under
 * the daemon's cgroup2 mount), which is right whatever mount namespace the
 * hook ran in; @given if that cannot be found.
 */
static void container_cgroup(int pid, const char *given, char *out, size_t len)
{
	char why[PATH_MAX + 640];

	if (client_cgroup_of(pid, out, len, why, sizeof(why)))
		snprintf(out, len, "%s", given);
}

/* Open process @pid's network namespace (its path into @path): an fd, or -1. */
static int open_netns_of(int pid, char path[64])
{
	snprintf(path, 64, "/proc/%d/ns/net", pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The served namespace of process @pid: found, or served now.  NULL: *@err. */
static struct netns_svc *namespace_of(struct daemon *d, const char *name, int pid,
				      const struct pref64 *prefix, const char *dns, FILE *out,
				      int *err)
{
	char path[64], label[160], servers[512], why[256];
	struct netns_svc_spec spec = { .name = label, .prefix = prefix, .dns64_servers = servers,
				       .discovery_optional = true };
	struct netns_svc *ns;

	spec.nsfd = open_netns_of(pid, path);
	if (spec.nsfd < 0) {
		*err = -errno;
		fprintf(out, "error: container %s: opening %s failed: %s%s\n", name, path,
			strerror(-*err), *err == -EACCES ? " (the daemon needs CAP_SYS_PTRACE)" : "");
		return NULL;
	}
	ns = netns_svc_find(&d->env, netns_cookie(spec.nsfd));
	if (ns) {	/* a pod's, or the host network: served already */
		close(spec.nsfd);
		if (prefix && ns != d->env.own)
			log_warn("container %s: its namespace is served already; prefix not "
				 "applied", name);
		ns->refs++;
		return ns;
	}
	snprintf(label, sizeof(label), "container %s", name);
	if (dns)	/* from the bundle: at createRuntime /proc/PID/root is not its root */
		snprintf(servers, sizeof(servers), "%s", dns);
	else
		container_resolvers(pid, servers, sizeof(servers));
	ns = netns_svc_new(&d->env, &spec, why, sizeof(why));
	if (!ns) {
		fprintf(out, "error: container %s: %s\n", name, why);
		*err = -EIO;
	}
	return ns;
}

static void container_log(struct daemon *d, const struct container *c, const char *prefix)
{
	char where[160];

	if (c->ns == d->env.own) {
		log_info("serving container %s: cgroup %s, in the daemon's network namespace",
			 c->name, c->cgroup);
		return;
	}
	d->env.dp->describe(c->ns, where, sizeof(where));
	log_info("serving container %s: cgroup %s, %s in its network namespace (%u "
		 "container%s), PREF64 %s", c->name, c->cgroup, where, c->ns->refs,
		 c->ns->refs == 1 ? "" : "s", prefix ? prefix : "from its RAs, else the daemon's");
}

/* When process @pid started (field 22 of /proc/PID/stat), or 0 if it is gone. */
static unsigned long long proc_started(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold anything */
	for (i = 3; p && i <= 22; i++)	/* p is before field i */
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

/*
 * The file of the containers served, one line each: "NAME PID STARTED
 * COOKIE CGROUP PREFIX|- dns=LIST|-" (no field holds a space: the request
 * line's are split at them).  Rewritten whole at every change; a line cut
 * short by a crash is refused at the next start (restore_one()).
 */
static void containers_save(struct daemon *d)
{
	struct container *c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err = 0;

	if (file_fd < 0)
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	for (c = d->containers; c; c = c->next)
		fprintf(f, "%s %d %llu %llu %s %s %s%s\n", c->name, c->pid, c->started,
			(unsigned long long)c->netns, c->cgroup, c->prefix[0] ? c->prefix : NO_VALUE,
			c->has_dns ? ARG_DNS : "", c->has_dns ? c->dns : NO_VALUE);
	errno = 0;
	if (fclose(f))
		err = ENOMEM;
	else if (ftruncate(file_fd, 0) || pwrite(file_fd, buf, len, 0) != (ssize_t)len)
		err = errno ? errno : EIO;	/* a short write sets none */
	if (err)
		log_warn("filing the containers for a restart failed: %s", strerror(err));
	free(buf);
}

int container_serve(struct daemon *d, const char *name, int pid,
		    const char *cgroup, const char *prefix, const char *dns, FILE *out)
{
	struct container *c;
	char why[160];
	struct pref64 p;
	int err = 0;

	for (c = d->containers; c; c = c->next)
		if (!strcmp(c->name, name)) {
			fprintf(out, "error: container %s is served already\n", name);
			return -EEXIST;
		}
	if (strlen(name) >= sizeof(c->name)) {
		fprintf(out, "error: container name too long\n");
		return -ENAMETOOLONG;
	}
	if (prefix && pref64_parse(prefix, &p, why, sizeof(why))) {
		fprintf(out, "error: prefix %s: %s\n", prefix, why);
		return -EINVAL;
	}
	if ((prefix && strlen(prefix) >= sizeof(c->prefix)) ||
	    (dns && strlen(dns) >= sizeof(c->dns))) {
		fprintf(out, "error: container %s: %s too long\n", name,
			dns && strlen(dns) >= sizeof(c->dns) ? "dns= list" : "prefix");
		return -ENAMETOOLONG;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(c->name, sizeof(c->name), "%s", name);
	container_cgroup(pid, cgroup, c->cgroup, sizeof(c->cgroup));
	c->ns = namespace_of(d, name, pid, prefix ? &p : NULL, dns, out, &err);
	if (c->ns)
		err = hooks_attach(&d->hooks, c->cgroup, HOOKS_ALL);
	if (err) {
		if (c->ns)
			fprintf(out, "error: container %s: attaching to %s failed: %s\n", name,
				c->cgroup, err == -EEXIST || err == -EBUSY ? d->hooks.refused :
				strerror(-err));
		netns_svc_put(c->ns);
		free(c);
		return err;
	}
	c->pid = pid;
	c->started = proc_started(pid);
	c->netns = c->ns->cookie;
	snprintf(c->prefix, sizeof(c->prefix), "%s", prefix ? prefix : "");
	snprintf(c->dns, sizeof(c->dns), "%s", dns ? dns : "");
	c->has_dns = dns;
	c->next = d->containers;
	d->containers = c;
	container_log(d, c, prefix);
	containers_save(d);
	fprintf(out, "serving %s\n", name);
	return 0;
}

static void container_free(struct daemon *d, struct container *c)
{
	hooks_detach(&d->hooks, c->cgroup);
	netns_svc_put(c->ns);
	free(c);
}

int container_unserve(struct daemon *d, const char *name, FILE *out)
{
	struct container **pp, *c;

	for (pp = &d->containers; (c = *pp); pp = &c->next)
		if (!strcmp(c->name, name)) {
			*pp = c->next;
			container_free(d, c);
			containers_save(d);
			log_info("no longer serving container %s", name);
			fprintf(out, "unserved %s\n", name);
			return 0;
		}
	fprintf(out, "error: container %s is not served\n", name);
	return -ENOENT;
}

void containers_stop(struct daemon *d)
{
	struct container *c;

	while ((c = d->containers)) {	/* the file keeps them, for the next daemon */
		d->containers = c->next;
		container_free(d, c);
	}
	if (file_fd >= 0)
		close(file_fd);
	file_fd = -1;
}

/* The cookie of process @pid's network namespace now; 0 if it is gone. */
static uint64_t netns_of_pid(int pid)
{
	char path[64];
	uint64_t cookie;
	int fd = open_netns_of(pid, path);

	if (fd < 0)
		return 0;
	cookie = netns_cookie(fd);
	close(fd);
	return cookie;
}

/* A number field of the file: 0 if it is not one. */
static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	return errno || *end || *s == '-' ? 0 : v;
}

/* Serve again the container of one line of the file; true if it is. */
static bool restore_one(struct daemon *d, char *line, const char *path, unsigned int lineno)
{
	char *save = NULL, *f[7], *buf = NULL;
	unsigned long long pid = 0, started = 0, cookie = 0;
	size_t size = 0, i;
	FILE *out;
	int err;

	for (i = 0; i < 7; i++)
		if (!(f[i] = strtok_r(i ? NULL : line, " \n", &save)))
			break;
	if (i == 7) {
		pid = number(f[1]);
		started = number(f[2]);
		cookie = number(f[3]);
	}
	if (!pid || pid > INT_MAX || !started || !cookie ||
	    (strcmp(f[6], NO_VALUE) && strncmp(f[6], ARG_DNS, strlen(ARG_DNS)))) {
		log_warn("%s:%u: not a container (NAME PID STARTED COOKIE CGROUP PREFIX "
			 "dns=LIST): ignored", path, lineno);
		return false;
	}
	if (proc_started(pid) != started || netns_of_pid(pid) != cookie) {
		log_info("container %s: not served again: its process %llu is gone, or in "
			 "another network namespace", f[0], pid);
		return false;
	}
	out = open_memstream(&buf, &size);
	if (!out)
		return false;
	err = container_serve(d, f[0], pid, f[4], strcmp(f[5], NO_VALUE) ? f[5] : NULL,
			      strcmp(f[6], NO_VALUE) ? f[6] + strlen(ARG_DNS) : NULL, out);
	fclose(out);
	if (err && buf)
		buf[strcspn(buf, "\n")] = '\0';
	if (err)
		log_warn("container %s: serving it again failed: %s", f[0],
			 buf && *buf ? buf : strerror(-err));
	free(buf);
	return !err;
}

void containers_restore(struct daemon *d)
{
	char path[OPT_PATH_MAX + 32], line[CONTROL_LINE_MAX + OPT_PATH_MAX];
	unsigned int lineno = 0, kept = 0;
	FILE *f;

	control_beside(path, sizeof(path), d->opt.control, CONTAINERS_FILE);
	f = fopen(path, "re");	/* read whole before file_fd is open: nothing saved meanwhile */
	if (f) {
		while (fgets(line, sizeof(line), f))
			kept += restore_one(d, line, path, ++lineno);
		fclose(f);
	} else if (errno != ENOENT) {
		log_warn("the containers of the last daemon: reading %s failed: %s", path,
			 strerror(errno));
	}
	file_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (file_fd < 0)
		log_warn("the containers served cannot be kept for a restart: opening %s "
			 "failed: %s", path, strerror(errno));
	containers_save(d);	/* without those not served again */
	if (lineno)
		log_info("containers of the last daemon: %u of %u served again (%s)", kept,
			 lineno, path);
}

int containers_forget(const char *control)
{
	char path[OPT_PATH_MAX + 32];

	control_beside(path, sizeof(path), control, CONTAINERS_FILE);
	if (unlink(path) && errno != ENOENT) {
		log_err("--purge: removing %s failed: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}
