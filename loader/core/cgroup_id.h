/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A cgroup known by its id (cgroup v2 ids are inode numbers) and those of
 * its ancestors, not by how its path is spelt: X, X//, a/../X and a
 * symbolic link to X are one cgroup, and a cgroup below another is seen
 * as such, so that the hooks are never attached twice on one socket's way.
 */
#ifndef SOCK464_CGROUP_ID_H
#define SOCK464_CGROUP_ID_H

#include <stddef.h>
#include <linux/types.h>

/* Deepest cgroup tree walked; deeper ancestors are not compared. */
#define CGROUP_MAX_DEPTH 64

/*
 * The id of the cgroup open as @fd and those of its ancestors up to the
 * root of its cgroup v2 mount, found by following "..".  Returns how many
 * ids were written to @ids (@ids[0] is @fd's own), or -errno.
 */
int cgroup_chain(int fd, __u64 *ids, unsigned int max);
/*
 * How the cgroup @a (@aids: its id, then its ancestors') relates to @b:
 * 0 unrelated, -EEXIST the same, -EBUSY one below the other; @why says
 * which, naming the paths.
 */
int cgroup_relation(const char *a, const __u64 *aids, unsigned int an,
		    const char *b, const __u64 *bids, unsigned int bn,
		    char *why, size_t len);

#endif
