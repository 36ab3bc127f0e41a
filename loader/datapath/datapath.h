/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A data path: how the translated connections of one served network
 * namespace travel: the relays (loader/datapath/datapath_relay.c) or the kernel
 * path (loader/datapath/datapath_kernel.c, TC programs; relays beside it); each is
 * an ops table, and netns_svc.c runs the one the settings choose for
 * every namespace it serves, the daemon's own and each container's alike.
 *
 * Adding one: its own datapath_NAME.c defining `datapath_NAME`, one line
 * in DATAPATHS below, and its name in the data-path setting (options.c).
 */
#ifndef SOCK464_DATAPATH_H
#define SOCK464_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct netns_svc;
struct options;
struct sock464_netns;
struct pref64;

struct datapath_ops {
	const char *name;			/* "relay": the data-path setting */
	/* Whether this kernel can run it with settings @o; NULL: always. */
	bool (*usable)(const struct options *o);
	/*
	 * Serve namespace @ns (ns->nsfd, ns->cookie, ns->env): private state
	 * goes in ns->dp_priv.  0, or -errno with @why saying what failed.
	 */
	int (*start)(struct netns_svc *ns, char *why, size_t whylen);
	/* Stop, and free ns->dp_priv; safe after a failed start. */
	void (*stop)(struct netns_svc *ns);
	/* Its fields of the namespace's entry for the hooks, before publishing. */
	void (*fill)(const struct netns_svc *ns, struct sock464_netns *entry);
	/* Where it serves, for logs and status ("TCP relay on ..."). */
	void (*describe)(const struct netns_svc *ns, char *buf, size_t len);
	/* Its figures as status sections (figures_write(), loader/control/status.h). */
	void (*status)(const struct netns_svc *ns, FILE *out, bool json);
	/* Optional (NULL: nothing to do): */
	/* After each batch of events: free what the batch retired. */
	void (*after_batch)(struct netns_svc *ns);
	/* Links or addresses (@ifindex, 0: addresses) or routes (-1) changed. */
	void (*net_changed)(struct netns_svc *ns, int ifindex);
	/* The namespace's prefix changed (netns_svc_prefix(); NULL: none). */
	void (*prefix_changed)(struct netns_svc *ns, const struct pref64 *p);
	/* SIGHUP applied new settings (ns->env->opt). */
	void (*settings_changed)(struct netns_svc *ns);
	/*
	 * Whether stop() will leave its translation running (--pin, the
	 * daemon's own namespace): the entry then stays, SOCK464_NS_XLAT_ONLY.
	 */
	bool (*keeps)(const struct netns_svc *ns);
};

/*
 * Every data path, the preferred first: "auto" takes the first usable, so
 * the kernel path wherever this kernel can run it (kernel_usable(): the
 * probes in probe.c), the relay otherwise.
 */
#define DATAPATHS(X) \
	X(kernel) \
	X(relay)

#define DATAPATH_DECLARE(n) extern const struct datapath_ops datapath_##n;
DATAPATHS(DATAPATH_DECLARE)
#undef DATAPATH_DECLARE

/* The data path named o->data_path ("auto": the first usable); NULL with @why. */
const struct datapath_ops *datapath_select(const struct options *o, char *why, size_t whylen);

#endif
