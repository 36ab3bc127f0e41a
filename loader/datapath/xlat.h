/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel data path as the daemon sees it (bpf/sock464_xlat.bpf.c does the
 * work): load the TC translator once, and for each served network
 * namespace set up what it needs there and take it down again:
 *   - the policy routing rule for marked sockets and sock464's table
 *     (`default dev lo src 127.0.0.1 mtu M`), through rtnetlink;
 *   - lo's route_localnet and src_valid_mark, IPv6 forwarding on lo (for
 *     bpf_fib_lookup), old values remembered and restored;
 *   - the TC programs, through tc_attach() (a tcx link or a clsact
 *     filter, tc_attach.h): lo egress, and ingress on every other link,
 *     following link changes; sock464's stale clsact filters are swept at
 *     start.
 * With --pin (the daemon's own namespace), a stop leaves all of it in place
 * for the established flows, tcx links pinned in PIN/xlat (xlat_pin.h), and
 * the next start adopts it without a gap: links taken over, filters
 * replaced in place, rules added only where missing, the sysctls' original
 * values kept in the state file.
 * The daemon keeps no per-connection state: the kernel's socket table is
 * the flow table.
 */
#ifndef SOCK464_XLAT_H
#define SOCK464_XLAT_H

#include <stdbool.h>
#include <linux/types.h>
#include "sock464.h"
#include "tc_attach.h"

struct hooks;
struct sock464_xlat;

#define XLAT_MAX_LINKS 32
#define XLAT_NSYSCTL 3

struct xlat {
	int netns_map_fd;		/* the hooks' sock464_netns */
	int sk_map_fd;			/* the hooks' sock464_sk (bound uplinks) */
	int uplinks_map_fd;		/* the hooks' sock464_uplink_ids */
	struct sock464_xlat *skel;	/* the first copy: owns the counters */
	char pin_dir[256];		/* PIN/xlat for its maps and links, or "" */
	bool no_fib_src;	/* set before xlat_load(): no BPF_FIB_LOOKUP_SRC (< 6.8) */
	bool no_check_mtu;	/* and no bpf_check_mtu (< 5.12) */
};

struct xlat_link {
	int ifindex;
	struct tc_attachment a;	/* ingress */
};

struct xlat_ns {
	struct xlat *x;
	int nsfd;		/* -1: the daemon's own namespace */
	__u64 cookie;		/* its netns cookie */
	struct sock464_xlat *skel;	/* the copy of the programs it runs */
	bool running;
	enum tc_mode mode;	/* how its programs are attached */
	char state_path[256];	/* originals of the sysctls, for after a crash */
	char pin_dir[256];	/* its tcx links pinned here, kept at stop; or "" */
	char saved[XLAT_NSYSCTL][16];	/* their values before the daemon's */
	unsigned int mtu;	/* of the IPv4 route */
	__u8 src6[16];		/* x->no_fib_src: the source the programs use */
	int src_err;		/* and why there is none (-errno), for the log */
	struct tc_attachment lo;	/* lo egress */
	unsigned int nlinks;
	struct xlat_link links[XLAT_MAX_LINKS];
};

/*
 * Load the translator, sharing the namespace map with the hooks; with the
 * hooks' pin directory, its maps pinned (and reused) in PIN/xlat.  0, or
 * -errno (logged): the kernel cannot run the kernel path.
 */
int xlat_load(struct xlat *x, struct hooks *h, bool verbose);
void xlat_destroy(struct xlat *x);

/*
 * Set the kernel path up in namespace @nsfd (-1: the daemon's own), whose
 * cookie is @cookie, with a copy of the programs of its own, attached
 * with @mode (TC_MODE_TCX or TC_MODE_CLSACT).
 * @state_path (or NULL) keeps the sysctls' old values across a crash.
 * @keep (the daemon's own namespace with --pin): its tcx links are pinned
 * in x->pin_dir, and xlat_stop() leaves everything running.  What a
 * previous daemon left is adopted (taken over or replaced in place, no
 * gap), a killed one's stale attachments removed.  0 or -errno (logged,
 * and nothing left behind).
 */
int xlat_start(struct xlat_ns *n, struct xlat *x, int nsfd, __u64 cookie,
	       const char *state_path, enum tc_mode mode, bool keep);
/*
 * Take it down: links, rule, route; the sysctls as they were.  Or, if it
 * was started with @keep, leave all of that for the established flows and
 * the next daemon (the state file stays).
 */
void xlat_stop(struct xlat_ns *n);
/* Whether xlat_stop() will leave it running. */
bool xlat_keeps(const struct xlat_ns *n);
/*
 * In the current namespace: remove sock464's rules and route, and restore
 * the sysctls from @state_path (then removed) if it is there.  For --purge.
 */
void xlat_forget(const char *state_path);
/*
 * x->no_fib_src (kernels before 6.8): give the programs the IPv6 source
 * the namespace uses towards @pref64/@plen (0: none known yet); again
 * whenever the prefix, links or addresses change.  Otherwise nothing.
 */
void xlat_source_update(struct xlat_ns *n, const __u8 pref64[16], unsigned int plen);
/* The same for a new copy of @x's programs, from the entry for @cookie, before it is attached. */
void xlat_source_preset(struct xlat *x, __u64 cookie, struct sock464_xlat *skel);
/* Links came or went: translate on every uplink there is now. */
void xlat_links_changed(struct xlat_ns *n);
/* The translator's counters, summed over the CPUs. */
int xlat_counters(struct xlat *x, __u64 out[SOCK464_XC_MAX]);

#endif
