// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_id.h"

/*
 * The id of the cgroup open as @fd (cgroup v2 ids are inode numbers) and
 * those of its ancestors up to the root of its cgroup v2 mount, found by
 * following "..", so that no spelling of the path matters.  Returns how
 * many ids were written to @ids (@ids[0] is @fd's own), or -errno.
 */
int cgroup_chain(int fd, __u64 *ids, unsigned int max)
{
	struct stat st, up;
	unsigned int n = 0;
	int cur = fd, next;

	if (fstat(fd, &st))
		return -errno;
	ids[n++] = st.st_ino;
	while (n < max) {
		next = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cur != fd)
			close(cur);
		if (next < 0)
			return -errno;
		cur = next;
		if (fstat(cur, &up) || up.st_dev != st.st_dev || up.st_ino == st.st_ino)
			break;	/* left the cgroup v2 mount, or at its root */
		ids[n++] = up.st_ino;
		st = up;
	}
	if (cur != fd)
		close(cur);
	return n;
}

static int id_in(__u64 id, const __u64 *ids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/*
 * How the cgroup @a (ids[0] and ancestors) relates to @b: 0 unrelated,
 * -EEXIST the same, -EBUSY one below the other.  @why says which.
 */
int cgroup_relation(const char *a, const __u64 *aids, unsigned int an,
			   const char *b, const __u64 *bids, unsigned int bn,
			   char *why, size_t len)
{
	if (aids[0] == bids[0]) {
		snprintf(why, len, "%s is the cgroup %s (the same directory)", a, b);
		return -EEXIST;
	}
	if (id_in(bids[0], aids + 1, an - 1)) {
		snprintf(why, len, "%s is below %s, which is served: the hooks would run "
			 "twice for its sockets (%s's already serve it)", a, b, b);
		return -EBUSY;
	}
	if (id_in(aids[0], bids + 1, bn - 1)) {
		snprintf(why, len, "%s is above %s, which is served: the hooks would run "
			 "twice for its sockets (detach %s first)", a, b, b);
		return -EBUSY;
	}
	return 0;
}
