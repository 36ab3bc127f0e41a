// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Serving one network namespace (netns_svc.h): the same code for the
 * daemon's own and for each container's.  Its PREF64 sources are started
 * by netns_disc.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datapath.h"
#include "hooks.h"
#include "log.h"
#include "netns.h"
#include "netns_svc.h"
#include "notify.h"
#include "options.h"
#include "policy.h"

const struct pref64 *netns_svc_prefix(const struct netns_svc *ns, struct pref64 *buf)
{
	const struct discovery *own = &ns->disc, *host = &ns->env->own->disc;

	if (own->have_best)
		*buf = own->best.p;
	else if (ns != ns->env->own && host->have_best && ns->env->opt->container_fallback)
		*buf = host->best.p;
	else
		return NULL;
	return buf;
}

/* The include/exclude rules, into the policy trie for this namespace. */
static int publish_rules(struct netns_svc *ns)
{
	static struct hooks_lpm_entry e[OPT_MAX_RULES];
	const struct options *o = ns->env->opt;
	char buf[128];
	unsigned int i;
	int err;

	for (i = 0; i < o->nrules; i++)
		if (!policy_rule_entry(o, i, &e[i]))
			log_warn("%s: more than %d port ranges with the broader excludes; the "
				 "rest are not applied to it",
				 policy_rule_format(&o->rules[i], buf, sizeof(buf)),
				 SOCK464_RULE_PORTS);
	err = hooks_set_rules(ns->env->hooks, ns->cookie, e, o->nrules);
	if (err)
		log_err("%supdating the include/exclude rules failed: %s", ns->label,
			strerror(-err));
	return err;
}

/*
 * The prefix @was used before, as @e's previous one if @e has another (or
 * none): the kernel data path's flows under it keep going (include/sock464.h).
 */
static void keep_prev_prefix(struct sock464_netns *e, const struct sock464_netns *was)
{
	const struct sock464_netns *from = was;

	if (!was->plen || (was->plen == e->plen && !memcmp(was->pref64, e->pref64, 16)))
		from = NULL;	/* no change: the one before stays the previous one */
	if (from) {
		memcpy(e->prev_pref64, from->pref64, sizeof(e->prev_pref64));
		e->prev_plen = from->plen;
	} else if (was->prev_plen &&
		   (was->prev_plen != e->plen || memcmp(was->prev_pref64, e->pref64, 16))) {
		memcpy(e->prev_pref64, was->prev_pref64, sizeof(e->prev_pref64));
		e->prev_plen = was->prev_plen;
	}
}

/* The entry the hooks find by the cookie: prefix, flags, the data path's fields. */
static int publish_entry(struct netns_svc *ns)
{
	struct pref64 buf;
	const struct pref64 *p = netns_svc_prefix(ns, &buf);
	struct sock464_netns was = ns->entry;
	int err;

	memset(&ns->entry, 0, sizeof(ns->entry));
	if (p) {
		memcpy(ns->entry.pref64, p->addr, sizeof(ns->entry.pref64));
		ns->entry.plen = p->plen;
	}
	keep_prev_prefix(&ns->entry, &was);
	ns->entry.flags = ns->env->opt->wkp_strict ? SOCK464_NS_WKP_STRICT : 0;
	ns->env->dp->fill(ns, &ns->entry);
	err = hooks_set_netns(ns->env->hooks, ns->cookie, &ns->entry);
	if (err)
		log_err("%supdating the network namespace map failed: %s", ns->label,
			strerror(-err));
	return err;
}

int netns_svc_publish(struct netns_svc *ns)
{
	int err = publish_rules(ns);

	return publish_entry(ns) ?: err;
}

/* Its discovery chose another prefix (or none). */
static void on_prefix(const struct pref64 *chosen, void *arg)
{
	struct netns_svc *ns = arg, *other;
	struct pref64 buf;
	const struct pref64 *p;
	char text[PREF64_STRLEN];

	(void)chosen;
	publish_entry(ns);
	uplinks_changed(&ns->uplinks);
	if (ns->env->dp->prefix_changed)
		ns->env->dp->prefix_changed(ns, netns_svc_prefix(ns, &buf));
	if (ns != ns->env->own)
		return;
	for (other = ns->env->all; other; other = other->next)
		if (other != ns && !other->disc.have_best)
			on_prefix(NULL, other);	/* those using ours */
	p = netns_svc_prefix(ns, &buf);
	notify("STATUS=PREF64 %s", p ? pref64_format(p, text, sizeof(text)) :
	       "none: translated connects fail with ENETUNREACH");
}

static void on_nd_options(int ifindex, const void *opts, size_t len, void *arg)
{
	struct netns_svc *ns = arg;

	netns_disc_nd_options(ns, ifindex, opts, len);
}

/* Links or addresses changed: its sources look again (RS, DNS64 query). */
static void on_link(int ifindex, void *arg)
{
	struct netns_svc *ns = arg;

	netns_disc_net_changed(ns, ifindex);
	uplinks_changed(&ns->uplinks);
	if (ns->env->dp->net_changed)
		ns->env->dp->net_changed(ns, ifindex);
}

static void on_routes(void *arg)
{
	struct netns_svc *ns = arg;

	routes_changed(&ns->routes);
	uplinks_changed(&ns->uplinks);
	if (ns->env->dp->net_changed)
		ns->env->dp->net_changed(ns, -1);
}

static void on_routes6(void *arg)
{
	struct netns_svc *ns = arg;

	uplinks_changed(&ns->uplinks);
}

static const struct pref64 *uplinks_prefix(const void *arg, struct pref64 *buf)
{
	return netns_svc_prefix(arg, buf);
}

/* Its routes mirrored and followed, its rules: the policy before any connect. */
static int policy_start(struct netns_svc *ns, const struct netns_svc_spec *spec)
{
	int err;

	ns->routes = (struct routes){ .loop = ns->env->loop, .hooks = ns->env->hooks,
				      .netns = ns->cookie, .netns_fd = ns->nsfd };
	ns->nl.on_nd_options = spec->kernel_ra_options ? on_nd_options : NULL;
	ns->nl.on_change = on_link;
	ns->nl.on_routes = on_routes;
	ns->nl.on_routes6 = on_routes6;
	ns->uplinks = (struct uplinks){ .loop = ns->env->loop, .hooks = ns->env->hooks,
					.netns = ns->cookie, .netns_fd = ns->nsfd,
					.prefix = uplinks_prefix, .arg = ns,
					.native_default = &ns->routes.has_default };
	ns->nl.arg = ns;
	err = netns_enter(ns->nsfd);	/* its netlink socket watches its namespace */
	if (!err) {
		err = nl_watch_start(&ns->nl, ns->env->loop);
		netns_leave(ns->nsfd);
	}
	if (!err)
		err = routes_sync(&ns->routes);
	if (!err)
		err = uplinks_sync(&ns->uplinks);
	if (!err)
		err = publish_rules(ns);
	return err;
}

/*
 * Its entry goes, so that no new connection is sent to a closing data path;
 * one that keeps translating established flows after the daemon (the
 * kernel path with --pin) keeps the prefix for its TC programs, with
 * SOCK464_NS_XLAT_ONLY and no relay, which the hooks refuse (ENETUNREACH).
 */
static void withdraw_entry(struct netns_svc *ns)
{
	struct sock464_netns kept = ns->entry;

	if (!ns->env->dp->keeps || !ns->env->dp->keeps(ns)) {
		hooks_del_netns(ns->env->hooks, ns->cookie);
		return;
	}
	kept.tcp_port = 0;
	kept.udp_port = 0;
	kept.relay_ip4 = 0;
	kept.flags = (kept.flags & SOCK464_NS_WKP_STRICT) | SOCK464_NS_XLAT_ONLY;
	if (hooks_set_netns(ns->env->hooks, ns->cookie, &kept))
		hooks_del_netns(ns->env->hooks, ns->cookie);
}

static void netns_svc_free(struct netns_svc *ns)
{
	struct hooks *h = ns->env->hooks;
	struct netns_svc **pp;

	for (pp = &ns->env->all; *pp; pp = &(*pp)->next)
		if (*pp == ns) {
			*pp = ns->next;
			break;
		}
	withdraw_entry(ns);
	/*
	 * A container's namespace leaves no trace.  The daemon's own keeps its
	 * rules and routes for programs others attached from the pins, so
	 * that native destinations stay native while the daemon restarts.
	 */
	if (ns->nsfd >= 0) {
		hooks_set_rules(h, ns->cookie, NULL, 0);
		hooks_set_routes(h, ns->cookie, NULL, 0);
		hooks_alias_flush(h, ns->cookie);
	}
	netns_disc_stop(ns);
	nl_watch_stop(&ns->nl);
	routes_stop(&ns->routes);
	uplinks_stop(&ns->uplinks, ns->nsfd >= 0);
	ns->env->dp->stop(ns);
	if (ns->nsfd >= 0)
		close(ns->nsfd);
	free(ns);
}

static int netns_svc_start(struct netns_svc *ns, const struct netns_svc_spec *spec,
			   char *why, size_t whylen)
{
	int err = netns_disc_init(ns);

	if (err) {
		snprintf(why, whylen, "out of memory");
		return err;
	}
	ns->cookie = netns_cookie(ns->nsfd);
	if (!ns->cookie) {
		err = errno;
		snprintf(why, whylen, "cannot read its network namespace's cookie: %s (the "
			 "daemon needs CAP_SYS_ADMIN; before Linux 5.14 also CAP_BPF and "
			 "CAP_NET_ADMIN, see the error before)", strerror(err));
		return err ? -err : -EINVAL;
	}
	err = ns->env->dp->start(ns, why, whylen);
	if (err)
		return err;
	err = policy_start(ns, spec);
	if (err) {
		snprintf(why, whylen, "policy: %s", strerror(-err));
		return err;
	}
	/*
	 * Discovery has not chosen a prefix yet.  An entry a daemon stopped
	 * with --pin left (its flows still translated) counts as the one
	 * before, so that its prefix stays the previous one until discovery
	 * chooses: published without it, those flows' packets would not be
	 * translated for that while (the IPv6 stack would reset them).
	 */
	if (hooks_get_netns(ns->env->hooks, ns->cookie, &ns->entry))
		memset(&ns->entry, 0, sizeof(ns->entry));
	err = publish_entry(ns);
	if (err) {
		snprintf(why, whylen, "publishing its entry: %s", strerror(-err));
		return err;
	}
	return netns_disc_start(ns, spec, why, whylen);
}

struct netns_svc *netns_svc_new(struct netns_env *env, const struct netns_svc_spec *spec,
				char *why, size_t whylen)
{
	struct netns_svc *ns = calloc(1, sizeof(*ns));

	if (!ns) {
		if (spec->nsfd >= 0)
			close(spec->nsfd);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	ns->env = env;
	ns->nsfd = spec->nsfd;
	ns->refs = 1;
	if (spec->name)
		snprintf(ns->label, sizeof(ns->label), "%s: ", spec->name);
	discovery_init(&ns->disc, env->loop, on_prefix, ns);
	snprintf(ns->disc.label, sizeof(ns->disc.label), "%s", ns->label);
	ns->next = env->all;
	env->all = ns;
	if (spec->nsfd < 0)
		env->own = ns;
	if (netns_svc_start(ns, spec, why, whylen)) {
		if (env->own == ns)
			env->own = NULL;
		netns_svc_free(ns);
		return NULL;
	}
	return ns;
}

struct netns_svc *netns_svc_find(struct netns_env *env, uint64_t cookie)
{
	struct netns_svc *ns;

	for (ns = env->all; ns && ns->cookie != cookie; ns = ns->next)
		;
	return ns;
}

void netns_svc_put(struct netns_svc *ns)
{
	if (ns && !--ns->refs) {
		if (ns->env->own == ns)
			ns->env->own = NULL;
		netns_svc_free(ns);
	}
}

void netns_svc_withdraw(struct netns_svc *ns)
{
	if (ns)
		withdraw_entry(ns);
}

int netns_svc_settings_changed(struct netns_env *env)
{
	struct netns_svc *ns;
	int err = 0, e;

	for (ns = env->all; ns; ns = ns->next) {
		if (env->dp->settings_changed)
			env->dp->settings_changed(ns);
		e = netns_svc_publish(ns);
		err = err ?: e;
	}
	return err;
}

void netns_svc_after_batch(void *arg)
{
	struct netns_env *env = arg;
	struct netns_svc *ns;

	for (ns = env->all; ns; ns = ns->next)
		if (env->dp->after_batch)
			env->dp->after_batch(ns);
}
