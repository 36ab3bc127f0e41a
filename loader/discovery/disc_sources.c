// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The PREF64 sources of a served namespace (netns_disc.h): Router
 * Advertisements (ra_listen.c) and DNS64 (dns64_query.c), started inside it.
 */
#include <errno.h>

#include "dns64_query.h"
#include "log.h"
#include "netns_disc.h"
#include "netns_svc.h"
#include "options.h"
#include "ra_listen.h"
#include "sw.h"

static void ra_init(void *state)
{
	struct ra_listen *ra = state;

	ra->src.fd = -1;
}

static bool ra_wanted(const struct options *o)
{
	return !o->no_ra;
}

/* RAs heard in the namespace, on spec->interfaces or every link. */
static int ra_start(struct netns_svc *ns, void *state, const struct netns_svc_spec *spec)
{
	struct ra_listen *ra = state;
	int err = ra_listen_set_interfaces(ra, spec->interfaces, spec->ninterfaces);

	if (!err)
		err = ra_listen_start(ra, ns->env->loop, &ns->disc, ns->nsfd);
	if (err && spec->discovery_optional)
		log_warn("%sno RA discovery", ns->label);
	return err;
}

static void ra_stop(void *state)
{
	ra_listen_stop(state);
}

/* A new link: ask its routers at once. */
static void ra_net_changed(void *state, int ifindex)
{
	if (ifindex)
		ra_listen_solicit(state, ifindex);
}

static void ra_nd_options(void *state, int ifindex, const void *opts, size_t len)
{
	ra_listen_kernel_options(state, ifindex, opts, len);
}

static void ra_status(const void *state, struct sw *w, bool text)
{
	const struct ra_listen *ra = state;

	sw_begin_if(w, "ra", "RA: ", ", ", text);
	sw_u64(w, "heard", "%llu heard", ra->heard);
	sw_u64(w, "ignored", "%llu ignored", ra->ignored);
	sw_end(w);
}

const struct disc_source_ops disc_ra = {
	.name = "ra",
	.what = "Router Advertisements",
	.size = sizeof(struct ra_listen),
	.init = ra_init,
	.wanted = ra_wanted,
	.start = ra_start,
	.stop = ra_stop,
	.net_changed = ra_net_changed,
	.nd_options = ra_nd_options,
	.status = ra_status,
};

static bool dns64_wanted(const struct options *o)
{
	return !o->no_dns64;
}

/* DNS64 (RFC 7050) through the namespace's resolvers. */
static int dns64_start(struct netns_svc *ns, void *state, const struct netns_svc_spec *spec)
{
	const char *servers = spec->dns64_servers;
	int err;

	if (servers && !servers[0]) {
		log_info("%sno resolver in its /etc/resolv.conf: no DNS64 discovery", ns->label);
		return -ENOENT;
	}
	err = dns64_query_start(state, ns->env->loop, &ns->disc, servers, ns->nsfd);
	if (err && spec->discovery_optional)
		log_warn("%sno DNS64 discovery", ns->label);
	else if (!err && spec->discovery_optional)
		log_info("%sasking %s for ipv4only.arpa", ns->label, servers);
	return err;
}

static void dns64_stop(void *state)
{
	dns64_query_stop(state);
}

/* The network changed: ask again soon. */
static void dns64_net_changed(void *state, int ifindex)
{
	(void)ifindex;
	dns64_query_kick(state);
}

static void dns64_status(const void *state, struct sw *w, bool text)
{
	const struct dns64_query *q = state;

	sw_begin_if(w, "dns64", "DNS64: ", ", ", text);
	sw_u64(w, "answers", "%llu answers", q->answers);
	sw_u64(w, "failures", "%llu failures", q->failures);
	sw_str(w, "last_error", q->last_error[0] ? "last: %s" : NULL, q->last_error);
	sw_end(w);
}

const struct disc_source_ops disc_dns64 = {
	.name = "dns64",
	.what = "DNS64 (ipv4only.arpa)",
	.size = sizeof(struct dns64_query),
	.wanted = dns64_wanted,
	.start = dns64_start,
	.stop = dns64_stop,
	.net_changed = dns64_net_changed,
	.status = dns64_status,
};
