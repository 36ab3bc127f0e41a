// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel data path (datapath.h): AF_INET TCP, UDP and ICMP echo of
 * served cgroups translated per packet by the TC programs of
 * bpf/sock464_xlat.bpf.c, set up in each served namespace by xlat.c
 * (rules, table, sysctls) and attached through tc_attach() with the mode
 * probe.c chose (tcx or clsact).  The relays (datapath_relay.c) run beside
 * it as the fallback the hooks use for sockets it cannot take: those made
 * before the daemon started (unmarked) and those of a namespace that left
 * the kernel path.  docs/architecture.md tells the path of a packet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "log.h"
#include "netns_svc.h"
#include "options.h"
#include "probe.h"
#include "xlat.h"
#include "xlat_pin.h"

/* Per namespace: the relays' state and the translator's set-up. */
struct kernel_dp {
	void *relay;			/* datapath_relay's dp_priv */
	struct xlat_ns xns;
};

/* Shared by every namespace: the first copy of the programs (counters). */
static struct xlat shared;
static unsigned int users;
static struct probe_result probed;
static bool have_probe;

/* The kernel's features, probed once; the attachment the settings allow. */
static bool kernel_usable(const struct options *o)
{
	char feats[400];

	if (!have_probe) {
		probe_kernel(&probed);
		have_probe = true;
		log_debug("kernel probes: %s", probe_format(&probed, feats, sizeof(feats)));
	}
	probe_choose(&probed, o->tc_attach);
	log_info("kernel data path: %s", probed.reason);
	return probed.mode != TC_MODE_NONE;
}

/* Run the relay data path's @op with its own private state. */
#define WITH_RELAY(ns, k, call) do {		\
	(ns)->dp_priv = (k)->relay;		\
	call;					\
	(k)->relay = (ns)->dp_priv;		\
	(ns)->dp_priv = (k);			\
} while (0)

/* The relays' view of a namespace, for their read-only ops. */
static struct netns_svc relay_view(const struct netns_svc *ns)
{
	struct netns_svc v = *ns;

	v.dp_priv = ((const struct kernel_dp *)ns->dp_priv)->relay;
	return v;
}

static void kernel_stop(struct netns_svc *ns)
{
	struct kernel_dp *k = ns->dp_priv;

	if (!k)
		return;
	if (k->xns.running) {
		xlat_stop(&k->xns);
		if (!--users)
			xlat_destroy(&shared);
	}
	WITH_RELAY(ns, k, datapath_relay.stop(ns));
	free(k);
	ns->dp_priv = NULL;
}

static int kernel_start(struct netns_svc *ns, char *why, size_t whylen)
{
	struct kernel_dp *k = calloc(1, sizeof(*k));
	char state[OPT_PATH_MAX + 48];
	int err;

	if (!k) {
		snprintf(why, whylen, "starting the kernel data path: out of memory");
		return -ENOMEM;
	}
	ns->dp_priv = k;
	WITH_RELAY(ns, k, err = datapath_relay.start(ns, why, whylen));
	if (err)
		return err;
	shared.no_fib_src = !(probed.have & (1u << PROBE_FIB_SRC));
	shared.no_check_mtu = !(probed.have & (1u << PROBE_CHECK_MTU));
	if (!users && xlat_load(&shared, ns->env->hooks, ns->env->opt->verbose))
		err = -EOPNOTSUPP;	/* logged */
	if (!err) {
		users++;
		/* its state file (the sysctls' old values) goes beside the control socket */
		xlat_state_path(state, sizeof(state), ns->env->opt->control, ns->cookie);
		/* only the daemon's own is kept: a restart forgets the containers */
		err = xlat_start(&k->xns, &shared, ns->nsfd, ns->cookie, state, probed.mode,
				 ns->nsfd < 0 && shared.pin_dir[0]);
		if (err && !--users)
			xlat_destroy(&shared);
	}
	if (!err)
		return 0;
	if (strcmp(ns->env->opt->data_path, "kernel")) {	/* auto: the relays alone */
		log_warn("%sdata path: the relays (the kernel path (%s) cannot run here: %s)",
			 ns->label, tc_mode_name(probed.mode), strerror(-err));
		return 0;
	}
	snprintf(why, whylen, "setting up the kernel data path (%s) failed: %s",
		 tc_mode_name(probed.mode), strerror(-err));
	return err;
}

/* The relays' ports for the fallback, and the flag that sends marked sockets to TC. */
static void kernel_fill(const struct netns_svc *ns, struct sock464_netns *entry)
{
	struct kernel_dp *k = ns->dp_priv;
	struct netns_svc v = relay_view(ns);

	datapath_relay.fill(&v, entry);
	if (k->xns.running)
		entry->flags |= SOCK464_NS_KERNEL;
	/* before 6.8: the source for this prefix, before the hooks see it */
	xlat_source_update(&k->xns, entry->pref64, entry->plen);
}

static void kernel_describe(const struct netns_svc *ns, char *buf, size_t len)
{
	const struct kernel_dp *k = ns->dp_priv;
	struct netns_svc v = relay_view(ns);
	char relays[120];

	datapath_relay.describe(&v, relays, sizeof(relays));
	if (!k->xns.running) {
		snprintf(buf, len, "data path: relay (kernel path not running); %s", relays);
		return;
	}
	snprintf(buf, len, "data path: kernel (%s on lo egress and %u uplinks, route mtu %u); "
		 "fallback %s", tc_mode_name(k->xns.mode), k->xns.nlinks, k->xns.mtu, relays);
}

/* The relays' sections, then "kernel: ..." and the translator's counters. */
static void kernel_status(const struct netns_svc *ns, FILE *out, bool json)
{
#define XC_NAME(id, name) name,
	static const char *const names[] = { SOCK464_XLAT_COUNTERS(XC_NAME) };
#undef XC_NAME
	const struct kernel_dp *k = ns->dp_priv;
	struct netns_svc v = relay_view(ns);
	__u64 c[SOCK464_XC_MAX];
	unsigned int i;

	datapath_relay.status(&v, out, json);
	if (!k->xns.running) {
		fputs(json ? ",\"data_path\":{\"kind\":\"relay\"}" : "data path: relay\n", out);
		return;
	}
	xlat_counters(&shared, c);
	if (json)
		fprintf(out, ",\"data_path\":{\"kind\":\"kernel\",\"attach\":\"%s\","
			"\"uplinks\":%u,\"route_mtu\":%u,\"kept_at_stop\":%s,\"counters\":{",
			tc_mode_name(k->xns.mode), k->xns.nlinks, k->xns.mtu,
			xlat_keeps(&k->xns) ? "true" : "false");
	else
		fprintf(out, "data path: kernel (%s on lo egress and %u uplinks, route mtu %u%s; %s)\n"
			"xlat counters:", tc_mode_name(k->xns.mode), k->xns.nlinks, k->xns.mtu,
			xlat_keeps(&k->xns) ? ", kept at stop (--pin)" : "", probed.reason);
	for (i = 0; i < SOCK464_XC_MAX; i++) {
		if (json)
			fprintf(out, "%s\"%s\":%llu", i ? "," : "", names[i],
				(unsigned long long)c[i]);
		else
			fprintf(out, " %s=%llu", names[i], (unsigned long long)c[i]);
	}
	fputs(json ? "}}" : "\n", out);
}

static void kernel_after_batch(struct netns_svc *ns)
{
	struct kernel_dp *k = ns->dp_priv;

	WITH_RELAY(ns, k, datapath_relay.after_batch(ns));
}

/* Links came or went (not routes, -1): translate on every uplink there is now. */
static void kernel_net_changed(struct netns_svc *ns, int ifindex)
{
	struct kernel_dp *k = ns->dp_priv;

	if (ifindex >= 0)
		xlat_links_changed(&k->xns);
	xlat_source_update(&k->xns, ns->entry.pref64, ns->entry.plen);
}

/* With --pin, the daemon's own namespace keeps translating after it. */
static bool kernel_keeps(const struct netns_svc *ns)
{
	const struct kernel_dp *k = ns->dp_priv;

	return k && xlat_keeps(&k->xns);
}

static void kernel_settings_changed(struct netns_svc *ns)
{
	struct kernel_dp *k = ns->dp_priv;

	WITH_RELAY(ns, k, datapath_relay.settings_changed(ns));
}

const struct datapath_ops datapath_kernel = {
	.name = "kernel",
	.usable = kernel_usable,
	.start = kernel_start,
	.stop = kernel_stop,
	.fill = kernel_fill,
	.describe = kernel_describe,
	.status = kernel_status,
	.after_batch = kernel_after_batch,
	.net_changed = kernel_net_changed,
	.settings_changed = kernel_settings_changed,
	.keeps = kernel_keeps,
};
