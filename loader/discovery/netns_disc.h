/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A served namespace's PREF64 sources besides a static prefix: each an
 * ops table, started inside the namespace by netns_disc.c when the
 * settings want it.  Today Router Advertisements and DNS64
 * (disc_sources.c).  Adding one: its own file defining `disc_NAME`, one
 * line in DISC_SOURCES below, and a setting to turn it off (options.c).
 */
#ifndef SOCK464_NETNS_DISC_H
#define SOCK464_NETNS_DISC_H

#include <stdbool.h>
#include <stddef.h>

struct netns_svc;
struct netns_svc_spec;
struct options;
struct sw;

struct disc_source_ops {
	const char *name;		/* its status section: "ra" */
	const char *what;		/* for the log: "Router Advertisements" */
	size_t size;			/* its state, zeroed, in ns->src[] */
	void (*init)(void *state);	/* before any start (descriptors -1); NULL: none */
	bool (*wanted)(const struct options *o);
	/* Start inside ns (ns->nsfd), reporting to ns->disc.  0 or -errno. */
	int (*start)(struct netns_svc *ns, void *state, const struct netns_svc_spec *spec);
	void (*stop)(void *state);	/* safe when not started */
	/* Optional: links or addresses changed (ifindex 0: addresses). */
	void (*net_changed)(void *state, int ifindex);
	/* Optional: the ND options of an RA, as the kernel forwarded them. */
	void (*nd_options)(void *state, int ifindex, const void *opts, size_t len);
	/* Its status section (sw.h); in the text only if @text. */
	void (*status)(const void *state, struct sw *w, bool text);
};

#define DISC_SOURCES(X) \
	X(ra) \
	X(dns64)

#define DISC_DECLARE(n) extern const struct disc_source_ops disc_##n;
DISC_SOURCES(DISC_DECLARE)
#undef DISC_DECLARE
#define DISC_COUNT(n) + 1
enum { NETNS_DISC_SOURCES = 0 DISC_SOURCES(DISC_COUNT) };
#undef DISC_COUNT

/* The states of @ns's sources, allocated; 0 or -ENOMEM. */
int netns_disc_init(struct netns_svc *ns);
/* A static prefix, or every source the settings want; 0 or -errno with @why. */
int netns_disc_start(struct netns_svc *ns, const struct netns_svc_spec *spec,
		     char *why, size_t whylen);
/* Stop every source and free the states; safe on partial state. */
void netns_disc_stop(struct netns_svc *ns);
void netns_disc_net_changed(struct netns_svc *ns, int ifindex);
void netns_disc_nd_options(struct netns_svc *ns, int ifindex, const void *opts, size_t len);
/* Every source's status section; in the text only while it is asked. */
void netns_disc_status(const struct netns_svc *ns, struct sw *w, bool asked);

#endif
