// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Containers (containers.h): the namespace each runs in is served by
 * netns_svc.c with its own data path, route mirror and PREF64 (the one the
 * container was started with, or the one its network's RAs or DNS64
 * announce, else the daemon's own); this file keeps the containers.
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
#include "daemon.h"
#include "datapath.h"
#include "log.h"
#include "netns.h"

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

/* The served namespace of process @pid: found, or served now.  NULL: *@err. */
static struct netns_svc *namespace_of(struct daemon *d, const char *name, int pid,
				      const struct pref64 *prefix, const char *dns, FILE *out,
				      int *err)
{
	char path[64], label[160], servers[512], why[256];
	struct netns_svc_spec spec = { .name = label, .prefix = prefix, .dns64_servers = servers,
				       .discovery_optional = true };
	struct netns_svc *ns;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	spec.nsfd = open(path, O_RDONLY | O_CLOEXEC);
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
	c->next = d->containers;
	d->containers = c;
	container_log(d, c, prefix);
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

	while ((c = d->containers)) {
		d->containers = c->next;
		container_free(d, c);
	}
}
