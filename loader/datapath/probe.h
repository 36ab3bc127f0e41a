/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the running kernel can do for the kernel data path, probed at start
 * the way libbpf-tools probe (libbpf_probe_bpf_prog_type(),
 * a helper probe of our own, and small programs where libbpf has no
 * probe), and which TC attachment follows from it: tcx, clsact, or none
 * (the relay).  docs/kernels.md lists the probes and the kernels.
 */
#ifndef SOCK464_PROBE_H
#define SOCK464_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "tc_attach.h"

enum probe_feature {
	PROBE_PROG_SCHED_CLS,	/* program types */
	PROBE_PROG_CGROUP_SOCK,
	PROBE_PROG_SOCK_ADDR,
	PROBE_REDIRECT_NEIGH,	/* sched_cls helpers */
	PROBE_CHANGE_PROTO,
	PROBE_FIB_LOOKUP,
	PROBE_SKC_LOOKUP_TCP,
	PROBE_SK_LOOKUP_UDP,
	PROBE_SOCK_MARK,	/* ctx->mark writable in cgroup/sock_create */
	/* optional from here: a fallback without them (docs/kernels.md) */
	PROBE_SET_RETVAL,	/* cgroup/connect4: without it, refusals are EPERM */
	PROBE_FIB_SRC,		/* bpf_fib_lookup(BPF_FIB_LOOKUP_SRC): else the daemon's source */
	PROBE_CHECK_MTU,	/* bpf_check_mtu: else ICMP over 1280 bytes is sent in fragments */
	PROBE_NETNS_COOKIE_TC,	/* bpf_get_netns_cookie in sched_cls: reported only */
	PROBE_TCX,		/* tcx links: tcx rather than clsact */
	PROBE_COUNT
};

/* The features the kernel path cannot do without, whatever the attachment. */
#define PROBE_REQUIRED	((1u << PROBE_SET_RETVAL) - 1)

/*
 * SOCK464_PROBE_DISABLE="name,name": probes of these names answer no, so
 * that the fallbacks of older kernels can be tested on a new one.
 */
#define PROBE_DISABLE_ENV "SOCK464_PROBE_DISABLE"

/* Is @name in SOCK464_PROBE_DISABLE?  (Also "so_netns_cookie": core/netns.c.) */
bool probe_disabled(const char *name);

struct probe_result {
	unsigned int have;		/* bit (1 << enum probe_feature) per feature */
	enum tc_mode mode;		/* the choice; TC_MODE_NONE: the relay */
	char reason[200];		/* one line, for the log and the status */
};

/* Short name of a feature ("bpf_redirect_neigh", "tcx", ...). */
const char *probe_name(enum probe_feature f);

/* Run every probe into r->have (needs CAP_BPF and CAP_NET_ADMIN). */
void probe_kernel(struct probe_result *r);

/* Run the probe of one feature (for the hooks' fallbacks): has the kernel it? */
bool probe_one(enum probe_feature f);

/* Choose r->mode and r->reason from r->have and the tc-attach setting. Pure. */
void probe_choose(struct probe_result *r, enum opt_tc_attach want);

/* "tcx=no bpf_redirect_neigh=yes ..." for the log; returns @buf. */
char *probe_format(const struct probe_result *r, char *buf, size_t len);

#endif
