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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* The container's entry: its relays, its prefix or else the daemon's. */
void container_publish(struct container *c)
{
	const struct discovery *own = &c->disc, *host = &c->d->disc;
	const struct pref64 *p = own->have_best ? &own->best.p :
				 host->have_best ? &host->best.p : NULL;
	int err;

	memset(c->cfg.pref64, 0, sizeof(c->cfg.pref64));
	c->cfg.plen = 0;
	if (p) {
		memcpy(c->cfg.pref64, p->addr, sizeof(c->cfg.pref64));
		c->cfg.plen = p->plen;
	}
	c->cfg.flags = c->d->opt.wkp_strict ? SOCK464_NS_WKP_STRICT : 0;
	err = hooks_set_netns(&c->d->hooks, c->cookie, &c->cfg);
	if (err)
		log_err("container %s: updating its namespace entry failed: %s", c->name,
			strerror(-err));
}

static void on_prefix(const struct pref64 *p, void *arg)
{
	(void)p;
	container_publish(arg);
}

static void on_routes(void *arg)
{
	struct container *c = arg;

	routes_changed(&c->routes);
}

static void on_link(int ifindex, void *arg)
{
	struct container *c = arg;

	if (ifindex)
		ra_listen_solicit(&c->ra, ifindex);
}

static void container_free(struct container *c)
{
	struct daemon *d = c->d;

	if (c->attached)
		hooks_detach(&d->hooks, c->cgroup);
	hooks_del_netns(&d->hooks, c->cookie);
	hooks_set_rules(&d->hooks, c->cookie, NULL, 0);
	hooks_set_routes(&d->hooks, c->cookie, NULL, 0);
	ra_listen_stop(&c->ra);
	nl_watch_stop(&c->nl);
	routes_stop(&c->routes);
	discovery_fini(&c->disc);
	relay_udp_stop(&c->udp);
	relay_tcp_stop(&c->tcp);
	if (c->nsfd >= 0)
		close(c->nsfd);
	free(c);
}

int container_serve(struct daemon *d, const char *name, int pid,
		    const char *cgroup, const char *prefix, FILE *out)
{
	struct container *c;
	char path[64], why[160];
	struct pref64 p;
	int err;

	for (c = d->containers; c; c = c->next)
		if (!strcmp(c->name, name)) {
			fprintf(out, "error: container %s is served already\n", name);
			return -EEXIST;
		}
	if (strlen(name) >= sizeof(c->name) || strlen(cgroup) >= sizeof(c->cgroup)) {
		fprintf(out, "error: container name or cgroup path too long\n");
		return -ENAMETOOLONG;
	}
	if (prefix && pref64_parse(prefix, &p, why, sizeof(why))) {
		fprintf(out, "error: prefix %s: %s\n", prefix, why);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	c->ra.src.fd = -1;
	c->tcp.listener.fd = -1;
	c->udp.sock.fd = -1;
	c->udp.icmp_fd = -1;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->cgroup, sizeof(c->cgroup), "%s", cgroup);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	c->nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->nsfd < 0) {
		err = -errno;
		fprintf(out, "error: container %s: opening %s failed: %s\n", name, path,
			strerror(-err));
		goto fail;
	}
	c->cookie = netns_cookie(c->nsfd);
	if (!c->cookie || c->cookie == d->relay.netns_cookie) {
		err = -EINVAL;
		fprintf(out, "error: container %s: %s\n", name, c->cookie ?
			"it shares the daemon's network namespace; that one is served already" :
			"cannot read its network namespace");
		goto fail;
	}
	err = relay_tcp_start(&c->tcp, &d->loop, &d->hooks, d->opt.max_conns, c->nsfd);
	if (!err)
		err = relay_udp_start(&c->udp, &d->loop, &d->hooks, c->cookie,
				      d->opt.max_udp_flows, d->opt.udp_idle_s, c->nsfd);
	if (err) {
		fprintf(out, "error: container %s: starting its relays failed: %s\n", name,
			strerror(-err));
		goto fail;
	}
	c->cfg.tcp_port = c->tcp.port;
	c->cfg.relay_ip4 = c->tcp.addr;
	c->cfg.udp_port = c->udp.port;
	c->routes = (struct routes){ .loop = &d->loop, .hooks = &d->hooks,
				     .netns = c->cookie, .netns_fd = c->nsfd };
	discovery_init(&c->disc, &d->loop, on_prefix, c);
	snprintf(c->disc.label, sizeof(c->disc.label), "container %s: ", name);
	c->nl.on_routes = on_routes;
	c->nl.on_change = on_link;
	c->nl.arg = c;
	err = netns_enter(c->nsfd);	/* its netlink socket watches its namespace */
	if (!err) {
		err = nl_watch_start(&c->nl, &d->loop);
		netns_leave(c->nsfd);
	}
	if (!err)
		err = routes_sync(&c->routes);
	if (!err)
		err = publish_rules_for(d, c->cookie);
	if (err) {
		fprintf(out, "error: container %s: policy: %s\n", name, strerror(-err));
		goto fail;
	}
	if (prefix)
		discovery_learn(&c->disc, &p, PREF64_STATIC, 0, PREF64_NEVER_S);
	else if (!d->opt.no_ra && ra_listen_start(&c->ra, &d->loop, &c->disc, c->nsfd))
		log_warn("container %s: no RA discovery; using the daemon's prefix", name);
	container_publish(c);
	err = hooks_attach(&d->hooks, cgroup, HOOKS_ALL);
	if (err) {
		fprintf(out, "error: container %s: attaching to %s failed: %s\n", name,
			cgroup, strerror(-err));
		goto fail;
	}
	c->attached = true;
	c->next = d->containers;
	d->containers = c;
	log_info("serving container %s: cgroup %s, relays on 127.46.0.1:%u and UDP port %u "
		 "in its network namespace, PREF64 %s", name, cgroup, ntohs(c->tcp.port),
		 ntohs(c->udp.port), prefix ? prefix : "from its RAs, else the daemon's");
	fprintf(out, "serving %s\n", name);
	return 0;
fail:
	container_free(c);
	return err;
}

int container_unserve(struct daemon *d, const char *name, FILE *out)
{
	struct container **pp, *c;

	for (pp = &d->containers; (c = *pp); pp = &c->next)
		if (!strcmp(c->name, name)) {
			*pp = c->next;
			container_free(c);
			log_info("no longer serving container %s", name);
			fprintf(out, "unserved %s\n", name);
			return 0;
		}
	fprintf(out, "error: container %s is not served\n", name);
	return -ENOENT;
}

void containers_reap(struct daemon *d)
{
	struct container *c;

	for (c = d->containers; c; c = c->next)
		relay_tcp_reap(&c->tcp);
}

void containers_stop(struct daemon *d)
{
	struct container *c;

	while ((c = d->containers)) {
		d->containers = c->next;
		container_free(c);
	}
}
