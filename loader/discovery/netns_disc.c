// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A served namespace's PREF64 sources (netns_disc.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netns_disc.h"
#include "netns_svc.h"
#include "options.h"

#define DISC_REF(n) &disc_##n,
static const struct disc_source_ops *const sources[] = { DISC_SOURCES(DISC_REF) };
#undef DISC_REF

int netns_disc_init(struct netns_svc *ns)
{
	unsigned int i;

	for (i = 0; i < NETNS_DISC_SOURCES; i++) {
		ns->src[i] = calloc(1, sources[i]->size);
		if (!ns->src[i])
			return -ENOMEM;
		if (sources[i]->init)
			sources[i]->init(ns->src[i]);
	}
	return 0;
}

/* "Router Advertisements and DNS64 (ipv4only.arpa)": the sources started. */
static void log_started(struct netns_svc *ns, const bool *started)
{
	char what[256] = "";
	size_t used = 0;
	unsigned int i;

	for (i = 0; i < NETNS_DISC_SOURCES; i++)
		if (started[i] && used < sizeof(what))
			used += snprintf(what + used, sizeof(what) - used, "%s%s",
					 used ? " and " : "", sources[i]->what);
	log_info("%sdiscovering PREF64 from %s; until one is known, translated connects "
		 "fail with ENETUNREACH", ns->label, what);
}

int netns_disc_start(struct netns_svc *ns, const struct netns_svc_spec *spec,
		     char *why, size_t whylen)
{
	bool started[NETNS_DISC_SOURCES] = { false }, any = false;
	unsigned int i;
	int err;

	if (spec->prefix) {
		discovery_learn(&ns->disc, spec->prefix, PREF64_STATIC, 0, PREF64_NEVER_S);
		return 0;
	}
	for (i = 0; i < NETNS_DISC_SOURCES; i++) {
		if (!sources[i]->wanted(ns->env->opt))
			continue;
		err = sources[i]->start(ns, ns->src[i], spec);
		if (err && !spec->discovery_optional) {
			snprintf(why, whylen, "starting PREF64 discovery (%s): %s",
				 sources[i]->what, strerror(-err));
			return err;
		}
		started[i] = !err;
		any |= !err;
	}
	if (spec->discovery_optional)
		return 0;
	if (any)
		log_started(ns, started);
	else
		log_warn("no PREF64 configured and discovery off: translated connects fail "
			 "with ENETUNREACH");
	return 0;
}

void netns_disc_stop(struct netns_svc *ns)
{
	unsigned int i;

	for (i = 0; i < NETNS_DISC_SOURCES; i++) {
		if (!ns->src[i])
			continue;
		sources[i]->stop(ns->src[i]);
		free(ns->src[i]);
		ns->src[i] = NULL;
	}
	if (ns->disc.loop)
		discovery_fini(&ns->disc);
}

void netns_disc_net_changed(struct netns_svc *ns, int ifindex)
{
	unsigned int i;

	for (i = 0; i < NETNS_DISC_SOURCES; i++)
		if (sources[i]->net_changed)
			sources[i]->net_changed(ns->src[i], ifindex);
}

void netns_disc_nd_options(struct netns_svc *ns, int ifindex, const void *opts, size_t len)
{
	unsigned int i;

	for (i = 0; i < NETNS_DISC_SOURCES; i++)
		if (sources[i]->nd_options)
			sources[i]->nd_options(ns->src[i], ifindex, opts, len);
}

void netns_disc_status(const struct netns_svc *ns, struct sw *w, bool asked)
{
	unsigned int i;

	for (i = 0; i < NETNS_DISC_SOURCES; i++)
		sources[i]->status(ns->src[i], w, asked && sources[i]->wanted(ns->env->opt));
}
