// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "client.h"

const char *const client_systemd_hooks[] = {
	"sock_create", "sock_ops", "connect4", "connect6", "sendmsg4",
	"recvmsg4", "recvmsg6",
};
const size_t client_nsystemd_hooks = sizeof(client_systemd_hooks) /
				     sizeof(client_systemd_hooks[0]);

bool client_systemd_can_attach(const char *name)
{
	size_t i;

	for (i = 0; i < client_nsystemd_hooks; i++)
		if (!strcmp(name, client_systemd_hooks[i]))
			return true;
	return false;
}

int client_request(const char *path, const char *req, char *why, size_t whylen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(req);
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "--control %s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = errno;
		snprintf(why, whylen, "cannot reach sock464-load at %s: %s%s", path,
			 strerror(err), err == ENOENT || err == ECONNREFUSED ?
			 " (is it running?)" : err == EACCES ? " (only root may use it)" : "");
		if (fd >= 0)
			close(fd);
		return -err;
	}
	/* MSG_NOSIGNAL: a daemon that closed on us is answered below, not a SIGPIPE. */
	if ((send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len ||
	     send(fd, "\n", 1, MSG_NOSIGNAL) != 1) && errno != EPIPE && errno != ECONNRESET) {
		err = errno;
		snprintf(why, whylen, "sending to sock464-load at %s: %s", path, strerror(err));
		close(fd);
		return -err;
	}
	return fd;
}

void client_no_answer(const char *path, char *why, size_t whylen)
{
	snprintf(why, whylen, "no answer from sock464-load at %s (it closed the connection "
		 "without one, or said nothing in time: too many control clients?)", path);
}

static int ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - start->tv_sec) * 1000 +
		     (now.tv_nsec - start->tv_nsec) / 1000000);
}

ssize_t client_read_answer(int fd, char *answer, size_t alen, int timeout_ms)
{
	struct timespec start;
	size_t len = 0;
	ssize_t n;
	int left;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (len < alen - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		left = timeout_ms - ms_since(&start);
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left);
		if (n <= 0)
			continue;	/* EINTR, or the timeout checked above */
		n = read(fd, answer + len, alen - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	answer[len] = '\0';
	return len;
}

bool client_is_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* Undo the octal escapes (\040 and the like) of /proc/self/mountinfo. */
static void unescape_mount(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

/*
 * One cgroup2 line of mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT
 * OPTIONS [TAGS...] - FSTYPE ...".  Its ROOT and MOUNTPOINT, unescaped, in
 * place; false for other file systems.
 */
static bool cgroup2_line(char *line, char **root, char **mnt)
{
	char *sep = strstr(line, " - "), *fstype, *save, *f;
	int i;

	if (!sep)
		return false;
	*sep = '\0';
	fstype = strtok_r(sep + 3, " \n", &save);
	if (!fstype || strcmp(fstype, "cgroup2"))
		return false;
	*root = *mnt = NULL;
	for (i = 0, f = strtok_r(line, " ", &save); f; f = strtok_r(NULL, " ", &save), i++)
		if (i == 3)
			*root = f;
		else if (i == 4)
			*mnt = f;
	if (!*root || !*mnt)
		return false;
	unescape_mount(*root);
	unescape_mount(*mnt);
	return true;
}

void client_cgroup2_mount(char *buf, size_t len)
{
	char line[PATH_MAX * 2 + 256], *root, *mnt;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (cgroup2_line(line, &root, &mnt)) {
			snprintf(buf, len, "%s", mnt);
			break;
		}
	fclose(f);
}

static bool is_cgroup2_dir(const char *path)
{
	struct statfs sfs;
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode) && !statfs(path, &sfs) &&
	       sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* The "0::" path of /proc/PID/cgroup (PID 0: self) into @rel. */
static int cgroup_rel(long pid, char *rel, size_t len, char *why, size_t whylen)
{
	char path[64], line[PATH_MAX + 8];
	FILE *fp;
	int err;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	fp = fopen(path, "re");
	if (!fp) {
		err = errno;
		snprintf(why, whylen, "cannot read %s: %s%s", path, strerror(err),
			 err == ENOENT ? " (has the process exited?)" : "");
		return -err;
	}
	rel[0] = '\0';
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			if (strlen(line + 3) < len)
				memcpy(rel, line + 3, strlen(line + 3) + 1);
			break;
		}
	fclose(fp);
	if (rel[0] != '/') {
		snprintf(why, whylen, "no cgroup v2 entry (\"0::/path\") in %s: is cgroup v2 "
			 "mounted?", path);
		return -ENOENT;
	}
	return 0;
}

/* @mnt showing subtree @root, joined to the cgroup @rel: "" if outside. */
static void join_mount(const char *root, const char *mnt, const char *rel,
		       char *cand, size_t len)
{
	size_t rl = strcmp(root, "/") ? strlen(root) : 0;
	const char *tail;

	cand[0] = '\0';
	if (rl && (strncmp(rel, root, rl) || (rel[rl] && rel[rl] != '/')))
		return;		/* the cgroup is outside this mount's subtree */
	tail = rel + rl;
	if (!strcmp(tail, "/"))
		tail = "";
	if (snprintf(cand, len, "%s%s", strcmp(mnt, "/") ? mnt : "", tail) >= (int)len)
		cand[0] = '\0';
	else if (!cand[0])
		snprintf(cand, len, "/");
}

int client_cgroup_of(long pid, char *out, size_t outlen, char *why, size_t whylen)
{
	char line[PATH_MAX * 2 + 256], rel[PATH_MAX], cand[PATH_MAX], mounts[512] = "";
	char *root, *mnt;
	bool found = false, any = false;
	FILE *fp;
	int err;

	err = cgroup_rel(pid, rel, sizeof(rel), why, whylen);
	if (err)
		return err;
	/* Later mounts hide earlier ones: the last that shows the directory wins. */
	fp = fopen("/proc/self/mountinfo", "re");
	if (!fp) {
		err = errno;
		snprintf(why, whylen, "cannot read /proc/self/mountinfo: %s", strerror(err));
		return -err;
	}
	while (fgets(line, sizeof(line), fp)) {
		if (!cgroup2_line(line, &root, &mnt))
			continue;
		any = true;
		if (strlen(mounts) + strlen(mnt) + 2 < sizeof(mounts))
			strcat(strcat(mounts, mounts[0] ? " " : ""), mnt);
		join_mount(root, mnt, rel, cand, sizeof(cand));
		if (cand[0] && is_cgroup2_dir(cand) && strlen(cand) < outlen) {
			snprintf(out, outlen, "%s", cand);
			found = true;
		}
	}
	fclose(fp);
	if (found)
		return 0;
	if (any)
		snprintf(why, whylen, "in cgroup %s, which no cgroup2 mount of this mount "
			 "namespace shows (cgroup2 mounted at: %s)", rel, mounts);
	else
		snprintf(why, whylen, "in cgroup %s, but cgroup2 is not mounted in this "
			 "mount namespace", rel);
	return -ENOENT;
}
