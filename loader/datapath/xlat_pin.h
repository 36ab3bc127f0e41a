/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the kernel data path keeps past a daemon started with --pin DIR
 * (docs/architecture.md, "Restarts"), and how it is all removed for good:
 *   DIR/xlat/xlat_counters, xlat_echo, xlat_frags, xlat_bound   the translator's maps
 *   DIR/xlat/link_COOKIE_lo_egress, link_COOKIE_IFINDEX_ingress   its tcx links
 *                                   (COOKIE: the network namespace's)
 * besides the rules, tables 464 and 465, the sysctls and their state file
 * (xlat.COOKIE.state beside the control socket), and clsact filters.
 */
#ifndef SOCK464_XLAT_PIN_H
#define SOCK464_XLAT_PIN_H

#include <stddef.h>
#include <linux/types.h>
#include "tc_attach.h"

struct sock464_xlat;

/* @out = PIN/xlat, created if missing.  0 or -errno (logged). */
int xlat_pin_dir(char *out, size_t len, const char *pin);
/*
 * Pin the translator's maps in @dir, reusing those a previous daemon
 * pinned; one that does not fit this version (another map definition) is
 * replaced.  Before loading.  0 or -errno.
 */
int xlat_pin_maps(struct sock464_xlat *skel, const char *dir);
/* The pin of the tcx link on (@ifindex, @tdir) of netns @cookie in @buf; NULL if @dir is "". */
const char *xlat_pin_link(char *buf, size_t len, const char *dir, __u64 cookie,
			  int ifindex, enum tc_dir tdir);
/* Remove the pins of netns @cookie's tcx links in @dir whose device is gone. */
void xlat_pin_prune(const char *dir, __u64 cookie);
/* Where the sysctls' original values of namespace @cookie are kept. */
void xlat_state_path(char *buf, size_t len, const char *control, __u64 cookie);
/*
 * sock464-load --purge: in the current network namespace, remove what a
 * daemon (stopped with --pin, or killed) left: its TC attachments (tcx
 * links, clsact filters), rules and route, the sysctls restored from the
 * state file for @control; then every pin under @pin (NULL: none), which
 * must be on a bpffs.  Refused while a daemon answers on @control.  An
 * exit status: 0 done, 1 not (logged).
 */
int xlat_purge(const char *pin, const char *control);

#endif
