// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A served namespace's PREF64 sources (netns_svc.h): its static prefix, or
 * the RAs heard and the DNS64 asked inside it.  A new source starts here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "netns_svc.h"
#include "options.h"

int netns_disc_start(struct netns_svc *ns, const struct netns_svc_spec *spec,
		     char *why, size_t whylen);
void netns_disc_stop(struct netns_svc *ns);

/* RAs heard in the namespace, on spec->interfaces or every link. */
static int ra_start(struct netns_svc *ns, const struct netns_svc_spec *spec)
{
	int err = ra_listen_set_interfaces(&ns->ra, spec->interfaces, spec->ninterfaces);

	if (!err)
		err = ra_listen_start(&ns->ra, ns->env->loop, &ns->disc, ns->nsfd);
	if (err && spec->discovery_optional) {
		log_warn("%sno RA discovery", ns->label);
		return 0;
	}
	return err;
}

/* DNS64 (RFC 7050) through the namespace's resolvers. */
static int dns64_start(struct netns_svc *ns, const struct netns_svc_spec *spec)
{
	const char *servers = spec->dns64_servers;
	int err;

	if (servers && !servers[0]) {
		log_info("%sno resolver in its /etc/resolv.conf: no DNS64 discovery", ns->label);
		return 0;
	}
	err = dns64_query_start(&ns->dns, ns->env->loop, &ns->disc, servers, ns->nsfd);
	if (err && spec->discovery_optional) {
		log_warn("%sno DNS64 discovery", ns->label);
		return 0;
	}
	if (!err && spec->discovery_optional)
		log_info("%sasking %s for ipv4only.arpa", ns->label, servers);
	return err;
}

int netns_disc_start(struct netns_svc *ns, const struct netns_svc_spec *spec,
		     char *why, size_t whylen)
{
	const struct options *o = ns->env->opt;
	int err = 0;

	if (spec->prefix) {
		discovery_learn(&ns->disc, spec->prefix, PREF64_STATIC, 0, PREF64_NEVER_S);
		return 0;
	}
	if (o->no_ra && o->no_dns64) {
		if (!spec->discovery_optional)
			log_warn("no PREF64 configured and discovery off: translated connects "
				 "fail with ENETUNREACH");
		return 0;
	}
	if (!o->no_ra)
		err = ra_start(ns, spec);
	if (!err && !o->no_dns64)
		err = dns64_start(ns, spec);
	if (err)
		snprintf(why, whylen, "starting PREF64 discovery: %s", strerror(-err));
	else if (!spec->discovery_optional)
		log_info("%sdiscovering PREF64 from %s%s%s; until one is known, translated "
			 "connects fail with ENETUNREACH", ns->label,
			 o->no_ra ? "" : "Router Advertisements",
			 !o->no_ra && !o->no_dns64 ? " and " : "",
			 o->no_dns64 ? "" : "DNS64 (ipv4only.arpa)");
	return err;
}

void netns_disc_stop(struct netns_svc *ns)
{
	ra_listen_stop(&ns->ra);
	dns64_query_stop(&ns->dns);
	if (ns->disc.loop)
		discovery_fini(&ns->disc);
}
