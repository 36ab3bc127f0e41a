// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Containers: network namespaces other than the daemon's own, each served
 * with its own relays (created inside it, so 127.46.0.1 there is its
 * loopback and the IPv6 side leaves through its network), its own route
 * mirror, and its own PREF64: the one the container was started with, or
 * the one its network's RAs announce, else the daemon's own.  The hooks
 * find each namespace's entry by its netns cookie.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "containers.h"
#include "daemon.h"
#include "log.h"
#include "netns.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static uint64_t netns_cookie(int nsfd)
{
	socklen_t len = sizeof(uint64_t);
	uint64_t cookie = 0;
	int fd = netns_socket(nsfd, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	close(fd);
	return cookie;
}

/* The namespace's entry: its relays, its prefix or else the daemon's. */
void netns_svc_publish(struct netns_svc *ns)
{
	const struct discovery *own = &ns->disc, *host = &ns->d->disc;
	const struct pref64 *p = own->have_best ? &own->best.p :
				 host->have_best && ns->d->opt.container_fallback ?
				 &host->best.p : NULL;
	int err;

	memset(ns->cfg.pref64, 0, sizeof(ns->cfg.pref64));
	ns->cfg.plen = 0;
	if (p) {
		memcpy(ns->cfg.pref64, p->addr, sizeof(ns->cfg.pref64));
		ns->cfg.plen = p->plen;
	}
	ns->cfg.flags = ns->d->opt.wkp_strict ? SOCK464_NS_WKP_STRICT : 0;
	err = hooks_set_netns(&ns->d->hooks, ns->cookie, &ns->cfg);
	if (err)
		log_err("network namespace %llu: updating its entry failed: %s",
			(unsigned long long)ns->cookie, strerror(-err));
}

static void on_prefix(const struct pref64 *p, void *arg)
{
	(void)p;
	netns_svc_publish(arg);
}

static void on_routes(void *arg)
{
	struct netns_svc *ns = arg;

	routes_changed(&ns->routes);
}

static void on_link(int ifindex, void *arg)
{
	struct netns_svc *ns = arg;

	if (ifindex)
		ra_listen_solicit(&ns->ra, ifindex);
}

/* Stop serving the namespace; its relays, entries and aliases go. */
static void netns_svc_free(struct netns_svc *ns)
{
	struct hooks *h = &ns->d->hooks;

	hooks_del_netns(h, ns->cookie);
	hooks_set_rules(h, ns->cookie, NULL, 0);
	hooks_set_routes(h, ns->cookie, NULL, 0);
	hooks_alias_flush(h, ns->cookie);
	ra_listen_stop(&ns->ra);
	dns64_query_stop(&ns->dns);
	nl_watch_stop(&ns->nl);
	routes_stop(&ns->routes);
	discovery_fini(&ns->disc);
	relay_udp_stop(&ns->udp);
	relay_tcp_stop(&ns->tcp);
	close(ns->nsfd);
	free(ns);
}

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

/* Start serving the namespace @nsfd (consumed) with @cookie. */
static struct netns_svc *netns_svc_new(struct daemon *d, int nsfd, uint64_t cookie,
				       const char *name, const struct pref64 *prefix,
				       int pid, const char *dns, FILE *out)
{
	char servers[512];
	struct netns_svc *ns = calloc(1, sizeof(*ns));
	int err;

	if (!ns) {
		close(nsfd);
		fprintf(out, "error: container %s: out of memory\n", name);
		return NULL;
	}
	ns->d = d;
	ns->nsfd = nsfd;
	ns->cookie = cookie;
	ns->ra.src.fd = -1;
	discovery_init(&ns->disc, &d->loop, on_prefix, ns);
	snprintf(ns->disc.label, sizeof(ns->disc.label), "container %s: ", name);
	err = relay_tcp_start(&ns->tcp, &d->loop, &d->hooks, d->opt.max_conns, nsfd);
	if (!err)
		err = relay_udp_start(&ns->udp, &d->loop, &d->hooks, cookie,
				      d->opt.max_udp_flows, d->opt.udp_idle_s, nsfd);
	if (err) {
		fprintf(out, "error: container %s: starting its relays failed: %s\n", name,
			strerror(-err));
		goto fail;
	}
	ns->cfg.tcp_port = ns->tcp.port;
	ns->cfg.relay_ip4 = ns->tcp.addr;
	ns->cfg.udp_port = ns->udp.port;
	ns->routes = (struct routes){ .loop = &d->loop, .hooks = &d->hooks,
				      .netns = cookie, .netns_fd = nsfd };
	ns->nl.on_routes = on_routes;
	ns->nl.on_change = on_link;
	ns->nl.arg = ns;
	err = netns_enter(nsfd);	/* its netlink socket watches its namespace */
	if (!err) {
		err = nl_watch_start(&ns->nl, &d->loop);
		netns_leave(nsfd);
	}
	if (!err)
		err = routes_sync(&ns->routes);
	if (!err)
		err = publish_rules_for(d, cookie);
	if (err) {
		fprintf(out, "error: container %s: policy: %s\n", name, strerror(-err));
		goto fail;
	}
	if (prefix) {
		discovery_learn(&ns->disc, prefix, PREF64_STATIC, 0, PREF64_NEVER_S);
	} else {
		if (!d->opt.no_ra && ra_listen_start(&ns->ra, &d->loop, &ns->disc, nsfd))
			log_warn("container %s: no RA discovery", name);
		if (dns)	/* from the bundle: /proc/PID/root is not its root yet */
			snprintf(servers, sizeof(servers), "%s", dns);
		else
			container_resolvers(pid, servers, sizeof(servers));
		if (d->opt.no_dns64)
			;
		else if (!servers[0])
			log_info("container %s: no resolver in its /etc/resolv.conf: no DNS64 "
				 "discovery", name);
		else if (dns64_query_start(&ns->dns, &d->loop, &ns->disc, servers, nsfd))
			log_warn("container %s: no DNS64 discovery", name);
		else
			log_info("container %s: asking %s for ipv4only.arpa", name, servers);
	}
	netns_svc_publish(ns);
	ns->next = d->namespaces;
	d->namespaces = ns;
	return ns;
fail:
	netns_svc_free(ns);
	return NULL;
}

/*
 * The container's cgroup as the daemon sees it: /proc/PID/cgroup under the
 * daemon's cgroup v2 mount, which is right whatever mount namespace the
 * hook ran in; @given if that cannot be read.
 */
static void container_cgroup(int pid, const char *given, char *out, size_t len)
{
	char path[64], line[PATH_MAX], mnt[PATH_MAX];
	struct stat st;
	FILE *f;
	int n;

	snprintf(out, len, "%s", given);
	hooks_cgroup2_mount(mnt, sizeof(mnt));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (mnt[0] && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		n = snprintf(out, len, "%s%s", mnt, strcmp(line + 3, "/") ? line + 3 : "");
		if (n >= (int)len || stat(out, &st) || !S_ISDIR(st.st_mode))
			snprintf(out, len, "%s", given);
		break;
	}
	fclose(f);
}

int container_serve(struct daemon *d, const char *name, int pid,
		    const char *cgroup, const char *prefix, const char *dns, FILE *out)
{
	struct netns_svc *ns = NULL;
	struct container *c;
	char path[64], why[160];
	struct pref64 p;
	uint64_t cookie;
	int nsfd, err;

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
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		err = -errno;
		fprintf(out, "error: container %s: opening %s failed: %s%s\n", name, path,
			strerror(-err), err == -EACCES ? " (the daemon needs CAP_SYS_PTRACE)" : "");
		return err;
	}
	cookie = netns_cookie(nsfd);
	if (!cookie) {
		close(nsfd);
		fprintf(out, "error: container %s: cannot read its network namespace "
			"(the daemon needs CAP_SYS_ADMIN)\n", name);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(nsfd);
		return -ENOMEM;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	container_cgroup(pid, cgroup, c->cgroup, sizeof(c->cgroup));

	if (cookie == d->relay.netns_cookie) {
		close(nsfd);	/* host network: the daemon's own relays */
	} else {
		for (ns = d->namespaces; ns && ns->cookie != cookie; ns = ns->next)
			;
		if (ns) {
			close(nsfd);	/* a pod: its namespace is served already */
			if (prefix)
				log_warn("container %s: its namespace is served already; "
					 "prefix %s not applied", name, prefix);
		} else {
			ns = netns_svc_new(d, nsfd, cookie, name, prefix ? &p : NULL, pid, dns, out);
			if (!ns) {
				free(c);
				return -EIO;
			}
		}
		ns->refs++;
	}
	c->ns = ns;
	err = hooks_attach(&d->hooks, c->cgroup, HOOKS_ALL);
	if (err) {
		fprintf(out, "error: container %s: attaching to %s failed: %s\n", name,
			c->cgroup, err == -EEXIST || err == -EBUSY ? d->hooks.refused :
			strerror(-err));
		if (ns && !--ns->refs) {
			struct netns_svc **pp = &d->namespaces;

			while (*pp != ns)
				pp = &(*pp)->next;
			*pp = ns->next;
			netns_svc_free(ns);
		}
		free(c);
		return err;
	}
	c->next = d->containers;
	d->containers = c;
	if (ns)
		log_info("serving container %s: cgroup %s, relays on 127.46.0.1:%u and UDP "
			 "port %u in its network namespace (%u container%s), PREF64 %s",
			 name, c->cgroup, ntohs(ns->tcp.port), ntohs(ns->udp.port), ns->refs,
			 ns->refs == 1 ? "" : "s",
			 prefix ? prefix : "from its RAs, else the daemon's");
	else
		log_info("serving container %s: cgroup %s, in the daemon's network namespace",
			 name, c->cgroup);
	fprintf(out, "serving %s\n", name);
	return 0;
}

static void container_free(struct daemon *d, struct container *c)
{
	struct netns_svc **pp;

	hooks_detach(&d->hooks, c->cgroup);
	if (c->ns && !--c->ns->refs) {
		for (pp = &d->namespaces; *pp != c->ns; pp = &(*pp)->next)
			;
		*pp = c->ns->next;
		netns_svc_free(c->ns);
	}
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

void containers_reap(struct daemon *d)
{
	struct netns_svc *ns;

	for (ns = d->namespaces; ns; ns = ns->next)
		relay_tcp_reap(&ns->tcp);
}

void containers_stop(struct daemon *d)
{
	struct container *c;

	while ((c = d->containers)) {
		d->containers = c->next;
		container_free(d, c);
	}
}
