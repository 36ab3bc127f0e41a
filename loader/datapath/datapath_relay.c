// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The relay data path (datapath.h): a TCP relay (relay_tcp.c) and a UDP
 * relay (relay_udp.c) inside each served namespace, on 127.46.0.0/16 of
 * its loopback; the hooks send AF_INET connects and datagrams there.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "netns_svc.h"
#include "options.h"
#include "relay_tcp.h"
#include "relay_udp.h"
#include "status.h"

struct relays {
	struct relay_tcp tcp;
	struct relay_udp udp;
};

static void relay_stop(struct netns_svc *ns)
{
	struct relays *r = ns->dp_priv;

	if (!r)
		return;
	relay_udp_stop(&r->udp);
	relay_tcp_stop(&r->tcp);
	free(r);
	ns->dp_priv = NULL;
}

static int relay_start(struct netns_svc *ns, char *why, size_t whylen)
{
	const struct options *o = ns->env->opt;
	struct relays *r = calloc(1, sizeof(*r));
	int err;

	if (!r) {
		snprintf(why, whylen, "starting its relays: out of memory");
		return -ENOMEM;
	}
	r->tcp.listener.fd = -1;
	r->udp.sock.fd = -1;
	r->udp.icmp_fd = -1;
	ns->dp_priv = r;
	err = relay_tcp_start(&r->tcp, ns->env->loop, ns->env->hooks, o->max_conns, ns->nsfd,
			      ns->cookie);
	relay_udp_cgroup_limit(o->max_udp_flows_cg);
	if (!err)
		err = relay_udp_start(&r->udp, ns->env->loop, ns->env->hooks, ns->cookie,
				      o->max_udp_flows, o->udp_idle_s, ns->nsfd);
	if (err)
		snprintf(why, whylen, "starting its relays failed: %s", strerror(-err));
	return err;
}

static void relay_fill(const struct netns_svc *ns, struct sock464_netns *entry)
{
	const struct relays *r = ns->dp_priv;

	entry->tcp_port = r->tcp.port;
	entry->relay_ip4 = r->tcp.addr;
	entry->udp_port = r->udp.port;
}

static void relay_describe(const struct netns_svc *ns, char *buf, size_t len)
{
	const struct relays *r = ns->dp_priv;

	/* The kernel path's fallback relays are described by kernel_describe(). */
	snprintf(buf, len, "%sTCP relay on 127.46.0.1:%u, UDP relay on 127.46.0.0/16 port %u",
		 ns->env->dp == &datapath_relay ? "data path: relay; " : "",
		 ntohs(r->tcp.port), ntohs(r->udp.port));
}

static void relay_status(const struct netns_svc *ns, FILE *out, bool json)
{
	const struct relays *r = ns->dp_priv;
	const struct relay_tcp_stats *t = &r->tcp.stats;
	const struct relay_udp_stats *u = &r->udp.stats;
	const struct figure tcp[] = {
		{ "port", NULL, ntohs(r->tcp.port) },
		{ "netns_cookie", NULL, r->tcp.netns_cookie },
		{ "open", "open", r->tcp.nconns },
		{ "accepted", "accepted", t->accepted },
		{ "completed", "completed", t->completed },
		{ "reset", "reset", t->reset },
		{ "upstream_failed", "upstream failed", t->upstream_failed },
		{ "unknown", "unknown", t->unknown },
		{ "over_limit", "over limit", t->over_limit },
		{ "accept_failed", "accept failed", t->accept_failed },
	};
	const struct figure udp[] = {
		{ "port", NULL, ntohs(r->udp.port) },
		{ "open", "flows open", r->udp.nflows },
		{ "destinations", "destinations mapped", r->udp.aliases },
		{ "flows", "flows", u->flows },
		{ "expired", "expired", u->expired },
		{ "datagrams_out", "datagrams out", u->datagrams_out },
		{ "datagrams_in", "in", u->datagrams_in },
		{ "errors", "errors passed back", u->errors },
		{ "unknown", "unknown", u->unknown },
		{ "over_limit", "over limit", u->over_limit },
		{ "over_cgroup_limit", "over cgroup limit", u->over_cgroup_limit },
		{ "evicted", "evicted", u->evicted },
		{ "foreign", "foreign", u->foreign },
		{ "failed", "failed", u->failed },
		{ "send_failed", "send failed", u->send_failed },
		{ "replies_dropped", "replies dropped", u->replies_dropped },
	};
	char head[32];

	snprintf(head, sizeof(head), "127.46.0.1:%u", ntohs(r->tcp.port));
	figures_write(out, json, "relay", head, tcp, sizeof(tcp) / sizeof(tcp[0]));
	snprintf(head, sizeof(head), "port %u", ntohs(r->udp.port));
	figures_write(out, json, "udp", head, udp, sizeof(udp) / sizeof(udp[0]));
	if (ns->env->dp == &datapath_relay)	/* not the kernel path's fallback */
		fputs(json ? ",\"data_path\":{\"kind\":\"relay\"}" : "data path: relay\n", out);
}

static void relay_after_batch(struct netns_svc *ns)
{
	struct relays *r = ns->dp_priv;

	relay_tcp_reap(&r->tcp);
}

/* The UDP idle timeout applies at once; the limits take a restart. */
static void relay_settings_changed(struct netns_svc *ns)
{
	struct relays *r = ns->dp_priv;

	r->udp.idle_ms = (uint64_t)ns->env->opt->udp_idle_s * 1000;
}

const struct datapath_ops datapath_relay = {
	.name = "relay",
	.start = relay_start,
	.stop = relay_stop,
	.fill = relay_fill,
	.describe = relay_describe,
	.status = relay_status,
	.after_batch = relay_after_batch,
	.settings_changed = relay_settings_changed,
};
