// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464-load: the composition root.  Parse the settings, start the
 * parts (BPF hooks, the daemon's own served namespace, the control socket,
 * the cgroups), run the loop, stop them in reverse.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "daemon.h"
#include "datapath.h"
#include "fdlimit.h"
#include "log.h"
#include "netns.h"
#include "notify.h"
#include "privs.h"
#include "xlat_pin.h"

#define PRUNE_MS 10000

static void on_prune(struct timer *t)
{
	struct daemon *d = container_of(t, struct daemon, prune);

	hooks_prune(&d->hooks);
	timer_arm(&d->loop, &d->prune, on_prune, PRUNE_MS);
}

/*
 * Every --cgroup must be a cgroup v2 directory before anything is loaded;
 * one cgroup spelt twice is served once, nested ones are refused.
 */
static int check_cgroups(struct options *o)
{
	return hooks_check_cgroups(o->cgroups[0], sizeof(o->cgroups[0]), &o->ncgroups);
}

/*
 * The hooks recognise the daemon's sockets by the tgid the kernel sees,
 * which is the getpid() of the initial PID namespace only.
 */
static void check_pid_namespace(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	bool nested = false;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "NSpid:", 6))
			nested = strchr(line + 7, '\t') || strchr(line + 7, ' ');
	fclose(f);
	if (nested)
		log_warn("running in a nested PID namespace: the daemon's own sockets "
			 "cannot be told apart; do not serve a cgroup that contains it");
}

/* The settings, checked; the process set up for them.  An exit status, or -1. */
static int configure(struct daemon *d)
{
	unsigned long long limit;
	unsigned int fit;

	cli_parse_mode(d);
	if (cli_load_settings(d, &d->opt))
		return d->check_only ? 1 : 2;
	if (d->purge) {	/* what --pin left, for good; the containers filed */
		int r = xlat_purge(d->opt.pin[0] ? d->opt.pin : NULL, d->opt.control);

		return !r && containers_forget(d->opt.control) ? 1 : r;
	}
	if (check_cgroups(&d->opt))
		return 1;
	if (d->check_only) {
		printf("%s and the command line: valid (%u cgroups, %u include/exclude rules, "
		       "PREF64 %s)\n", d->config_given ? d->config : "defaults",
		       d->opt.ncgroups, d->opt.nrules, d->opt.have_pref64 ? "static" : "auto");
		return 0;
	}
	if (d->opt.verbose)
		log_threshold = LOG_DEBUG;
	if (!d->opt.ncgroups)
		log_info("no cgroup given (--cgroup, or 'cgroup' in %s): serving only what is "
			 "attached later (sock464ctl attach, containers)", d->config);
	check_pid_namespace();
	fit = fdlimit_raise(&d->opt, &limit);
	if (fit < d->opt.max_conns && d->opt.max_conns_set)
		log_warn("open files limited to %llu: --max-connections lowered to %u", limit, fit);
	d->opt.max_conns = fit;
	return fdlimit_check(&d->opt) ? 1 : -1;
}

/* The daemon's own network namespace, served like a container's. */
static int serve_own_netns(struct daemon *d)
{
	const char *names[OPT_MAX_INTERFACES];
	const struct options *o = &d->opt;
	struct netns_svc_spec spec = {
		.nsfd = -1, .prefix = o->have_pref64 ? &o->pref64 : NULL,
		.dns64_servers = o->dns64_servers[0] ? o->dns64_servers : NULL,
		.interfaces = names, .ninterfaces = o->ninterfaces, .kernel_ra_options = true,
	};
	char why[256];
	unsigned int i;

	for (i = 0; i < o->ninterfaces; i++)
		names[i] = o->interfaces[i];
	d->env = (struct netns_env){ .loop = &d->loop, .hooks = &d->hooks, .opt = &d->opt };
	d->env.dp = datapath_select(o, why, sizeof(why));
	if (!d->env.dp || !netns_svc_new(&d->env, &spec, why, sizeof(why))) {
		log_err("serving the daemon's network namespace failed: %s", why);
		return -EINVAL;
	}
	d->loop.after_batch = netns_svc_after_batch;
	d->loop.after_batch_arg = &d->env;
	return 0;
}

static int start(struct daemon *d)
{
	char where[160];
	unsigned int i;
	int err;

	d->started_ms = loop_now_ms();
	err = loop_init(&d->loop);
	if (!err)
		err = signals_start(&d->signals, &d->loop, daemon_reload, d);
	if (err) {
		log_err("setting up the event loop failed: %s", strerror(-err));
		return err;
	}
	err = hooks_load(&d->hooks, d->opt.verbose, d->opt.pin[0] ? d->opt.pin : NULL);
	if (err)
		return err;
	err = netns_init();
	if (err) {
		log_err("opening the daemon's network namespace failed: %s", strerror(-err));
		return err;
	}
	d->control.handle = daemon_request;
	d->control.subscribers = daemon_subscribers;
	d->control.arg = d;
	err = control_start(&d->control, &d->loop, d->opt.control);
	if (!err)
		err = trace_start(&d->trace, &d->loop, &d->hooks, &d->control);
	if (!err)
		err = hooks_set_pass_unserved(&d->hooks, d->opt.pass_unserved);
	if (!err)
		err = serve_own_netns(d);
	for (i = 0; !err && i < d->opt.ncgroups; i++) {
		err = hooks_attach(&d->hooks, d->opt.cgroups[i], HOOKS_ALL);
		if (!err)
			log_info("serving cgroup %s", d->opt.cgroups[i]);
	}
	if (!err)
		containers_restore(d);	/* before privs_drop(): it opens their namespaces */
	if (!err)
		err = privs_drop(d->opt.user);	/* loaded and attached: keep only what is used */
	if (err)
		return err;
	d->env.dp->describe(d->env.own, where, sizeof(where));
	log_info("%s", where);
	return 0;
}

/* At exit: the status (counters included), line by line, into the log. */
static void log_counters(struct daemon *d)
{
	char *buf = NULL, *line, *save = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (!out)
		return;
	status_write(d, out, false);
	fclose(out);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_info("%s", line);
	free(buf);
}

/*
 * Withdraw our namespace's entry first, so that no new connection is sent
 * to a closing data path; programs others attached from the pins now
 * refuse (ENETUNREACH).  The kernel path with --pin leaves its translation
 * running for established connections (netns_svc_withdraw()).  Safe on
 * partial state.
 */
static void stop(struct daemon *d)
{
	netns_svc_withdraw(d->env.own);
	trace_stop(&d->trace);
	containers_stop(d);
	netns_svc_put(d->env.own);
	hooks_destroy(&d->hooks);
	control_stop(&d->control);
	signals_stop(&d->signals);
	loop_fini(&d->loop);
}

int main(int argc, char **argv)
{
	static struct daemon d = {
		.signals.src.fd = -1, .control.listener.fd = -1,
	};
	int err;

	d.argc = argc;
	d.argv = argv;
	err = configure(&d);
	if (err >= 0)
		return err;
	for (unsigned int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		d.control.clients[i].src.fd = -1;
	err = start(&d);
	if (!err) {
		notify("READY=1");	/* hooks attached, a prefix known or sought */
		timer_arm(&d.loop, &d.prune, on_prune, PRUNE_MS);
		err = loop_run(&d.loop);
		if (err)
			log_err("event loop failed: %s", strerror(-err));
		notify("STOPPING=1");
		log_counters(&d);
	}
	stop(&d);
	return err ? 1 : 0;
}
