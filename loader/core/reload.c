// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SIGHUP: read the settings again.  A file with errors changes nothing.
 * What the settings table (options.c) marks live changes at once, without
 * touching established connections: policy, a static prefix, the cgroups
 * served, the UDP idle timeout, verbose.  The rest takes a restart, and
 * the log names what changed of it (nothing, if nothing did).
 */
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "fdlimit.h"
#include "log.h"
#include "notify.h"

static bool cgroup_listed(const struct options *o, const char *path)
{
	unsigned int i;

	for (i = 0; i < o->ncgroups; i++)
		if (!strcmp(o->cgroups[i], path))
			return true;
	return false;
}

/* Attach to the cgroups @n adds, detach from those it drops. */
static void cgroups_apply(struct daemon *d, const struct options *n)
{
	const struct options *o = &d->opt;
	unsigned int i;

	for (i = 0; i < o->ncgroups; i++)
		if (!cgroup_listed(n, o->cgroups[i]) && !hooks_detach(&d->hooks, o->cgroups[i]))
			log_info("no longer serving cgroup %s", o->cgroups[i]);
	for (i = 0; i < n->ncgroups; i++)
		if (!cgroup_listed(o, n->cgroups[i]) &&
		    !hooks_attach(&d->hooks, n->cgroups[i], HOOKS_ALL))
			log_info("serving cgroup %s", n->cgroups[i]);
}

/* Another static prefix: learned at once, the old one withdrawn. */
static void pref64_apply(struct daemon *d, const struct options *n)
{
	const struct options *o = &d->opt;
	struct discovery *disc = &d->env.own->disc;

	if (!o->have_pref64 || !n->have_pref64 || (o->pref64.plen == n->pref64.plen &&
	    !memcmp(o->pref64.addr, n->pref64.addr, sizeof(n->pref64.addr))))
		return;
	discovery_learn(disc, &n->pref64, PREF64_STATIC, 0, PREF64_NEVER_S);
	discovery_learn(disc, &o->pref64, PREF64_STATIC, 0, 0);
}

void daemon_reload(void *arg)
{
	static struct options n;
	struct daemon *d = arg;
	unsigned long long limit;
	char names[512];
	int err;

	log_info("SIGHUP: reading %s and the command line again", d->config);
	notify("RELOADING=1");
	if (cli_load_settings(d, &n)) {
		log_err("the new settings have errors: keeping the running ones");
		notify("READY=1");
		return;
	}
	n.max_conns = fdlimit_raise(&n, &limit);	/* what the running limit became */
	if (options_restart_changes(&d->opt, &n, names, sizeof(names)))
		log_warn("changes to %s take effect after a restart", names);
	cgroups_apply(d, &n);
	pref64_apply(d, &n);
	options_keep_restart(&n, &d->opt);
	d->opt = n;
	log_threshold = d->opt.verbose ? LOG_DEBUG : LOG_INFO;
	err = hooks_set_pass_unserved(&d->hooks, d->opt.pass_unserved);
	err = netns_svc_settings_changed(&d->env) ?: err;
	if (!err)
		log_info("settings applied: %u include/exclude rules, wkp-strict %s",
			 d->opt.nrules, d->opt.wkp_strict ? "yes" : "no");
	notify("READY=1");
}
