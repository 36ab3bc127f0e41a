/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attach a loaded sched_cls program to one side (ingress or egress) of one
 * interface of the CURRENT network namespace (callers enter a namespace
 * themselves, see netns.h), in one of two ways:
 *
 *  - tcx: a bpf_link (Linux 6.6+).  It lives as long as a file descriptor
 *    or a bpffs pin holds it.
 *  - clsact: a cls_bpf filter in direct-action mode on the clsact qdisc
 *    (created if missing, never deleted), at the priority and handle
 *    sock464 owns, named "sock464:<name>".  It outlives the process.
 *
 * Taking over after a restart or a crash, without a gap and without a
 * duplicate: a pinned tcx link is updated in place (bpf_link_update), a
 * clsact filter is replaced in place (same priority and handle); leftovers
 * of the other mode on the same hook are removed after the new attachment
 * is in place.  The whole story is in docs/kernels.md.
 */
#ifndef SOCK464_TC_ATTACH_H
#define SOCK464_TC_ATTACH_H

#include <stdbool.h>
#include <linux/types.h>

enum tc_mode { TC_MODE_NONE, TC_MODE_TCX, TC_MODE_CLSACT };
enum tc_dir { TC_INGRESS, TC_EGRESS };

/* The cls_bpf filter slot sock464 owns on each hook, and its name prefix. */
#define TC_SOCK464_PRIO		0x464
#define TC_SOCK464_HANDLE	0x464
#define TC_NAME_PREFIX		"sock464:"

struct tc_attachment {
	enum tc_mode mode;		/* TC_MODE_NONE: not attached */
	int ifindex;
	enum tc_dir dir;
	__u32 prog_id;			/* what we attached: detach checks it */
	int link_fd;			/* tcx: our link, else -1 */
	char pin[256];			/* tcx: the link's bpffs pin, or "" */
};

/* One cls_bpf filter of sock464 on a hook, as tc_clsact_list() sees it. */
struct tc_filter {
	__u16 prio;
	__u32 handle;
	__u32 prog_id;
	char name[64];
};

const char *tc_mode_name(enum tc_mode mode);	/* "tcx", "clsact", "none" */
const char *tc_dir_name(enum tc_dir dir);	/* "ingress", "egress" */

/*
 * Attach @prog_fd (a loaded BPF_PROG_TYPE_SCHED_CLS program) to @dir of
 * @ifindex with @mode.  @name (at most 40 characters) names the clsact
 * filter.  @pin: a bpffs path for the tcx link ("" or NULL: none); a link
 * already pinned there for the same hook is taken over, one for another
 * hook is detached.  Leftover sock464 attachments of the other mode on the
 * hook are removed once the new one is in place.  0 or -errno (logged).
 */
int tc_attach(struct tc_attachment *a, enum tc_mode mode, int ifindex,
	      enum tc_dir dir, int prog_fd, const char *name, const char *pin);

/*
 * Undo tc_attach(), or with @keep (a daemon with --pin stopping) leave the
 * attachment in place for the next daemon to take over.  Removes only what
 * still runs the program we attached: if another daemon took the hook over
 * since, it is left alone.  Safe on a zeroed or already detached @a.
 */
int tc_detach(struct tc_attachment *a, bool keep);

/*
 * Remove sock464's cls_bpf filters (named "sock464:...") from @dir of
 * @ifindex, except the one at sock464's priority with handle @keep_handle
 * (0: keep none).  Other software's filters and the qdisc stay.  The
 * number removed, or -errno.
 */
int tc_clsact_sweep(int ifindex, enum tc_dir dir, __u32 keep_handle);

/*
 * Remove every sock464 attachment from @dir of @ifindex: the tcx links whose
 * program's name starts with @prog_prefix, and sock464's clsact filters
 * (--purge).  The number removed, or -errno.
 */
int tc_sweep(int ifindex, enum tc_dir dir, const char *prog_prefix);

/* sock464's filters on @dir of @ifindex into @out (at most @max); count or -errno. */
int tc_clsact_list(int ifindex, enum tc_dir dir, struct tc_filter *out, int max);

/*
 * The tcx links on @dir of @ifindex whose program's name starts with @prog_name
 * (BPF_PROG_QUERY), their ids into @links (at most @max; NULL for none);
 * the count, or -errno.  For status and tests.
 */
int tc_tcx_list(int ifindex, enum tc_dir dir, const char *prog_name, __u32 *links, int max);

/* Is @fd a tcx link whose device is gone? */
bool tc_tcx_defunct(int fd);

/* Internal to tc_attach.c and tc_clsact.c. */
int tc_clsact_add(int ifindex, enum tc_dir dir, int prog_fd, const char *name);
int tc_clsact_del_own(int ifindex, enum tc_dir dir, __u32 prog_id);

#endif
