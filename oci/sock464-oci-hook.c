// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464-oci-hook: an OCI runtime hook that has a running sock464-load
 * serve a container's network namespace and cgroup.
 *
 *   createRuntime:  sock464-oci-hook [OPTIONS] create
 *                   -> "serve-container ID PID CGROUP [PREFIX/LEN] [dns=ADDR,...]"
 *   poststop:       sock464-oci-hook [OPTIONS] delete
 *                   -> "unserve-container ID"
 *
 * The runtime passes the container's state on stdin (OCI runtime spec,
 * "State"): {"ociVersion", "id", "status", "pid", "bundle", "annotations"}.
 * Annotations come from the state, or from BUNDLE/config.json when the
 * state has none:
 *
 *   io.sock464.enable  = false|no|0   leave this container alone (exit 0)
 *   io.sock464.pref64  = PREFIX/LEN   the container network's NAT64 prefix
 *                                     (wins over --pref64)
 *
 * dns= names the resolvers of the container's own /etc/resolv.conf, read
 * from the bundle (the file config.json mounts there, else the one in
 * root.path): at createRuntime the container's root is not in place yet,
 * so /proc/PID/root still shows the host's.
 *
 * The container's cgroup is the "0::" line of /proc/PID/cgroup, joined to
 * the cgroup2 mount point this hook sees (/proc/self/mountinfo: the hook
 * runs in the runtime's mount namespace, not the container's).
 *
 * Exit status: 0 done, or nothing to do (opted out; the daemon not running
 * at create with --fail-open; at delete, the daemon not running or not
 * serving the container); 1 the daemon refused, or it is not running at
 * create with --fail-closed, or the state is unusable; 2 bad usage.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#include <json-c/json.h>

#include "control.h"

#define PROG "sock464-oci-hook"
#define STATE_MAX (1 << 20)		/* bytes of OCI state (and config.json) read */
#define ANSWER_MAX 4096
#define ANSWER_TIMEOUT_MS 8000		/* below the hooks.d files' "timeout": 10 */
#define DIAL_ATTEMPTS 3			/* a full daemon closes new clients unanswered */
/* The longest request line the daemon reads whole (it keeps line[] and a NUL). */
#define REQUEST_MAX (sizeof(((struct control_client *)0)->line) - 2)

static const char usage_text[] =
"Usage: " PROG " [--control PATH] [--fail-open|--fail-closed] [--pref64 PREFIX/LEN] create|delete\n"
"\n"
"An OCI runtime hook: reads the container's state (JSON) on stdin and has\n"
"sock464-load serve the container's network namespace and cgroup.\n"
"\n"
"  create            at createRuntime: serve the container\n"
"  delete            at poststop: stop serving it and free its relays\n"
"  --control PATH    sock464-load's control socket (default " CONTROL_DEFAULT_PATH ")\n"
"  --fail-open       the default: when sock464-load is not running, warn and\n"
"                    let the container start without translation (exit 0)\n"
"  --fail-closed     when sock464-load is not running, exit 1 (the runtime\n"
"                    fails the container); delete never fails for that\n"
"  --pref64 P/L      the NAT64 prefix of containers that do not name one\n"
"                    (default: the daemon discovers it in the container's\n"
"                    network, else uses its own)\n"
"\n"
"Annotations: io.sock464.enable=false|no|0 opts a container out;\n"
"io.sock464.pref64=PREFIX/LEN gives its prefix (wins over --pref64).\n"
"\n"
"Exit status: 0 done or nothing to do; 1 failed (the message says why);\n"
"2 bad usage.\n";

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * One line on stderr and in the system log: runtimes often throw a hook's
 * stderr away (crun keeps it only with the annotation run.oci.hooks.stderr)
 * and report just its exit status.
 */
static void complain(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": %s\n", msg);
	openlog(PROG, LOG_PID, LOG_DAEMON);
	syslog(strncmp(msg, "warning:", 8) ? LOG_ERR : LOG_WARNING, "%s", msg);
	closelog();
}

/* Read all of @fd (at most STATE_MAX bytes) into a NUL-terminated buffer. */
static char *read_all(int fd, size_t *lenp)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size), *p;
	ssize_t n;

	if (!buf)
		return NULL;
	for (;;) {
		if (len + 1 >= size) {
			if (size >= STATE_MAX) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			size *= 2;
			p = realloc(buf, size);
			if (!p) {
				free(buf);
				return NULL;
			}
			buf = p;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* Parse @text as one JSON object; NULL with *@why set otherwise. */
static json_object *parse_object(const char *text, size_t len, const char **why)
{
	static char desc[128];
	json_tokener *tok = json_tokener_new();
	json_object *obj;
	enum json_tokener_error jerr;

	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!obj && jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	else if (obj && tok->char_offset < (int)len &&
		 strspn(text + tok->char_offset, " \t\r\n") != len - tok->char_offset) {
		json_object_put(obj);
		obj = NULL;
		*why = "not valid JSON (data after the object)";
		json_tokener_free(tok);
		return NULL;
	}
	if (!obj) {
		snprintf(desc, sizeof(desc), "not valid JSON (%s)", json_tokener_error_desc(jerr));
		*why = desc;
	}
	else if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
		*why = "not a JSON object";
	}
	json_tokener_free(tok);
	return obj;
}

/* The annotations object of @root, or NULL if it has none (or an empty one). */
static json_object *annotations_of(json_object *root)
{
	json_object *a;

	if (!json_object_object_get_ex(root, "annotations", &a) ||
	    !json_object_is_type(a, json_type_object) || json_object_object_length(a) == 0)
		return NULL;
	return a;
}

/*
 * The annotations of BUNDLE/config.json (a new reference in *@config, to
 * put by the caller), or NULL.  A bundle without a readable config.json is
 * no error: the runtime matched the hook already, so annotations only
 * refine; a config.json that is not JSON is warned about.
 */
static json_object *bundle_annotations(const char *bundle, json_object **config)
{
	char path[PATH_MAX];
	const char *why;
	size_t len;
	char *text;
	int fd;

	*config = NULL;
	if (!bundle || !*bundle)
		return NULL;
	if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path))
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	text = read_all(fd, &len);
	close(fd);
	if (!text) {
		complain("warning: reading %s: %s; ignoring its annotations", path, strerror(errno));
		return NULL;
	}
	*config = parse_object(text, len, &why);
	free(text);
	if (!*config) {
		complain("warning: %s: %s; ignoring its annotations", path, why);
		return NULL;
	}
	return annotations_of(*config);
}

#define MAX_RESOLVERS 3	/* glibc's MAXNS: the rest of resolv.conf is unused */

/* The resolv.conf the container will see: a file config.json mounts on /etc/resolv.conf. */
static const char *resolv_mount(json_object *config)
{
	json_object *mounts, *m, *v;
	const char *src = NULL;
	size_t i;

	if (!json_object_object_get_ex(config, "mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(mounts); i++) {	/* the last one wins */
		m = json_object_array_get_idx(mounts, i);
		if (json_object_object_get_ex(m, "destination", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    !strcmp(json_object_get_string(v), "/etc/resolv.conf") &&
		    json_object_object_get_ex(m, "source", &v) &&
		    json_object_is_type(v, json_type_string))
			src = json_object_get_string(v);
	}
	return src;
}

/*
 * Open the container's /etc/resolv.conf from the bundle: the file mounted
 * there, else etc/resolv.conf under root.path with its symbolic links
 * resolved inside the root (openat2 RESOLVE_IN_ROOT).  A regular file only
 * (O_NONBLOCK: a FIFO cannot hang the hook).  -1 with errno.
 */
static int open_resolv(const char *bundle, json_object *config)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	const char *src = resolv_mount(config), *root;
	json_object *r, *v;
	int dirfd, fd;
	struct stat st;

	if (src) {
		dirfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);	/* relative sources */
		fd = dirfd < 0 ? -1 : openat(dirfd, src, how.flags);
	} else {
		if (!json_object_object_get_ex(config, "root", &r) ||
		    !json_object_object_get_ex(r, "path", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			errno = ENOENT;
			return -1;
		}
		root = json_object_get_string(v);
		fd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
		dirfd = fd < 0 ? -1 : openat(fd, root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		fd = dirfd < 0 ? -1 : (int)syscall(SYS_openat2, dirfd, "etc/resolv.conf",
						   &how, sizeof(how));
	}
	if (dirfd >= 0)
		close(dirfd);
	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/*
 * " dns=A,B" for the request: the resolvers of the container's own
 * /etc/resolv.conf (" dns=" when it has none), or "" when the bundle
 * cannot say (then the daemon looks in /proc/PID/root itself).
 */
static void bundle_resolvers(const char *id, const char *bundle, json_object *config,
			     char *out, size_t len)
{
	char *text, *line, *save = NULL, addr[INET6_ADDRSTRLEN + 1];
	unsigned char buf[sizeof(struct in6_addr)];
	size_t n, used;
	int fd, found = 0;

	out[0] = '\0';
	if (!bundle || !config)
		return;
	fd = open_resolv(bundle, config);
	if (fd < 0) {
		if (errno == ENOENT)
			snprintf(out, len, " dns=");	/* it has none */
		else
			complain("warning: create %s: the container's resolv.conf: %s", id,
				 strerror(errno));
		return;
	}
	text = read_all(fd, &n);
	close(fd);
	if (!text)
		return;
	used = snprintf(out, len, " dns=");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, " nameserver %46s", addr) == 1 && found < MAX_RESOLVERS &&
		    (inet_pton(AF_INET6, addr, buf) == 1 || inet_pton(AF_INET, addr, buf) == 1) &&
		    used + strlen(addr) + 2 < len)
			used += snprintf(out + used, len - used, "%s%s", found++ ? "," : "", addr);
	free(text);
}

/* The string value of annotation @key, or NULL. */
static const char *annotation(json_object *ann, const char *key)
{
	json_object *v;

	if (!ann || !json_object_object_get_ex(ann, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool opted_out(const char *v)
{
	char s[16];
	size_t n;

	if (!v)
		return false;
	n = strlen(v);
	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	while (n && isspace((unsigned char)*v)) {
		v++;
		n--;
	}
	if (n >= sizeof(s))
		return false;
	memcpy(s, v, n);
	s[n] = '\0';
	return !strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0");
}

/*
 * A first check of a PREFIX/LEN (an IPv6 address and an RFC 6052 length),
 * so that a typo fails with a message naming where it came from; the daemon
 * checks the rest (bits past the length, the u-octet, reserved ranges).
 */
static bool prefix_ok(const char *p, const char **why)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(p, '/');
	struct in6_addr a;
	char *end;
	long len;

	if (!slash) {
		*why = "no prefix length (PREFIX/LEN, for example 64:ff9b::/96)";
		return false;
	}
	if ((size_t)(slash - p) >= sizeof(addr)) {
		*why = "not an IPv6 address";
		return false;
	}
	memcpy(addr, p, slash - p);
	addr[slash - p] = '\0';
	if (inet_pton(AF_INET6, addr, &a) != 1) {
		*why = "not an IPv6 address";
		return false;
	}
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end ||
	    (len != 32 && len != 40 && len != 48 && len != 56 && len != 64 && len != 96)) {
		*why = "the length must be 32, 40, 48, 56, 64 or 96 (RFC 6052)";
		return false;
	}
	return true;
}

/* A word the one-line control protocol can carry: no spaces, no controls. */
static bool is_word(const char *s)
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

static bool is_cgroup2_dir(const char *path)
{
	struct statfs sfs;
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode) && !statfs(path, &sfs) &&
	       sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/*
 * The absolute path, in this mount namespace, of the cgroup v2 directory
 * @pid is in.  Returns 0, or 1 with a message printed.
 */
static int container_cgroup(long pid, char *out, size_t outlen)
{
	char path[64], line[PATH_MAX * 2 + 256], rel[PATH_MAX] = "", mounts[512] = "";
	char cand[PATH_MAX], *root, *mnt, *sep, *fstype, *save, *f;
	const char *tail;
	bool found = false, any = false;
	size_t rl;
	FILE *fp;
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
	fp = fopen(path, "re");
	if (!fp) {
		complain("pid %ld: cannot read %s: %s%s", pid, path, strerror(errno),
			errno == ENOENT ? " (has the container's process exited?)" : "");
		return 1;
	}
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			if (strlen(line + 3) < sizeof(rel))
				memcpy(rel, line + 3, strlen(line + 3) + 1);
			break;
		}
	fclose(fp);
	if (rel[0] != '/') {
		complain("pid %ld: no cgroup v2 entry (\"0::/path\") in %s: is cgroup v2 mounted?",
			pid, path);
		return 1;
	}

	/*
	 * mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE ...
	 * A cgroup2 mount shows the subtree ROOT at MOUNTPOINT; later lines
	 * are mounted over earlier ones, so the last that shows the
	 * directory wins (a cgroup2 mounted over /sys/fs/cgroup hides an
	 * earlier one at /sys/fs/cgroup/unified).
	 */
	fp = fopen("/proc/self/mountinfo", "re");
	if (!fp) {
		complain("cannot read /proc/self/mountinfo: %s", strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		fstype = strtok_r(sep + 3, " ", &save);
		if (!fstype || strcmp(fstype, "cgroup2"))
			continue;
		root = mnt = NULL;
		for (i = 0, f = strtok_r(line, " ", &save); f; f = strtok_r(NULL, " ", &save), i++)
			if (i == 3)
				root = f;
			else if (i == 4)
				mnt = f;
		if (!root || !mnt)
			continue;
		unescape_mount(root);
		unescape_mount(mnt);
		any = true;
		if (strlen(mounts) + strlen(mnt) + 2 < sizeof(mounts))
			strcat(strcat(mounts, mounts[0] ? " " : ""), mnt);
		rl = strcmp(root, "/") ? strlen(root) : 0;
		if (rl && (strncmp(rel, root, rl) || (rel[rl] && rel[rl] != '/')))
			continue;	/* the cgroup is outside this mount's subtree */
		tail = rel + rl;
		if (!strcmp(tail, "/"))
			tail = "";
		if (snprintf(cand, sizeof(cand), "%s%s", strcmp(mnt, "/") ? mnt : "", tail) >=
		    (int)sizeof(cand))
			continue;
		if (!cand[0])
			strcpy(cand, "/");
		if (is_cgroup2_dir(cand)) {
			snprintf(out, outlen, "%s", cand);
			found = true;
		}
	}
	fclose(fp);
	if (!found) {
		if (any)
			complain("pid %ld is in cgroup %s, which no cgroup2 mount of this mount "
				"namespace shows (cgroup2 mounted at: %s)", pid, rel, mounts);
		else
			complain("pid %ld is in cgroup %s, but cgroup2 is not mounted in this "
				"mount namespace", pid, rel);
		return 1;
	}
	if (!is_word(out)) {
		complain("pid %ld: cgroup path '%s' has spaces or control characters, which the "
			"control socket's requests cannot carry", pid, out);
		return 1;
	}
	return 0;
}

enum dial_result { DIAL_ANSWERED, DIAL_UNREACHABLE };

/*
 * Send @req to the daemon at @path and read its answer into @answer.
 * DIAL_UNREACHABLE (with @why filled) when it cannot be reached or gave no
 * answer at all.
 */
static enum dial_result ask(const char *path, const char *req, char *answer, size_t alen,
			    char *why, size_t wlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timespec start, now;
	size_t len = 0, rlen = strlen(req);
	int fd, attempt, left;
	ssize_t n;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, wlen, "--control %s: path too long", path);
		return DIAL_UNREACHABLE;
	}
	strcpy(sun.sun_path, path);
	for (attempt = 0; attempt < DIAL_ATTEMPTS; attempt++) {
		if (attempt)
			usleep(200000 * attempt);
		len = 0;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(why, wlen, "socket: %s", strerror(errno));
			return DIAL_UNREACHABLE;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
			int e = errno;

			close(fd);
			snprintf(why, wlen, "cannot reach sock464-load at %s: %s%s", path,
				 strerror(e),
				 e == ENOENT || e == ECONNREFUSED ? " (is it running?)" :
				 e == EACCES ? " (only root may use it)" : "");
			if (e == ENOENT || e == ECONNREFUSED || e == EACCES || e == ENOTDIR)
				return DIAL_UNREACHABLE;
			continue;
		}
		if (send(fd, req, rlen, MSG_NOSIGNAL) != (ssize_t)rlen ||
		    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
			snprintf(why, wlen, "sending to sock464-load at %s: %s", path,
				 strerror(errno));
			close(fd);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &start);
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			clock_gettime(CLOCK_MONOTONIC, &now);
			left = ANSWER_TIMEOUT_MS - (int)((now.tv_sec - start.tv_sec) * 1000 +
							 (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0) {
				snprintf(why, wlen, "sock464-load at %s did not answer within %d s",
					 path, ANSWER_TIMEOUT_MS / 1000);
				close(fd);
				return DIAL_UNREACHABLE;	/* not worth another try */
			}
			n = poll(&p, 1, left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				continue;
			n = read(fd, answer + len, alen - 1 - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += n;
			if (len >= alen - 1)
				break;
		}
		close(fd);
		answer[len] = '\0';
		if (len)
			return DIAL_ANSWERED;
		snprintf(why, wlen, "sock464-load at %s closed the connection without an "
			 "answer (too many control clients?)", path);
	}
	return DIAL_UNREACHABLE;
}

/* The first line of @s, without its newline (in place). */
static char *first_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
	return s;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, 'C' },
		{ "fail-open", no_argument, NULL, 'o' },
		{ "fail-closed", no_argument, NULL, 'c' },
		{ "pref64", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *control = CONTROL_DEFAULT_PATH, *pref64 = NULL, *cmd, *id, *bundle = NULL;
	const char *why, *ann_pref64, *enable;
	json_object *state, *config = NULL, *ann, *v;
	char cgroup[PATH_MAX], *req = NULL, answer[ANSWER_MAX], reason[PATH_MAX + 128];
	char dns[MAX_RESOLVERS * (INET6_ADDRSTRLEN + 1) + 8];
	bool fail_closed = false, create;
	size_t len;
	long pid = 0;
	char *text;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			control = optarg;
			break;
		case 'o':
			fail_closed = false;
			break;
		case 'c':
			fail_closed = true;
			break;
		case 'p':
			pref64 = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind + 1 != argc ||
	    (strcmp(argv[optind], "create") && strcmp(argv[optind], "delete"))) {
		fputs(usage_text, stderr);
		return 2;
	}
	cmd = argv[optind];
	create = !strcmp(cmd, "create");
	if (pref64 && !prefix_ok(pref64, &why)) {
		complain("--pref64 %s: %s", pref64, why);
		return 2;
	}

	text = read_all(STDIN_FILENO, &len);
	if (!text) {
		complain("%s: reading the OCI state on stdin: %s", cmd, strerror(errno));
		return 1;
	}
	if (!len || strspn(text, " \t\r\n") == len) {
		free(text);
		complain("%s: no OCI state on stdin (the runtime passes it as JSON)", cmd);
		return 1;
	}
	state = parse_object(text, len, &why);
	free(text);
	if (!state) {
		complain("%s: the OCI state on stdin is %s", cmd, why);
		return 1;
	}

	if (!json_object_object_get_ex(state, "id", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		complain("%s: the OCI state has no \"id\" string", cmd);
		goto out;
	}
	id = json_object_get_string(v);
	if (!is_word(id)) {
		complain("%s: container id '%s' is empty or has spaces or control characters",
			cmd, id);
		goto out;
	}
	if (json_object_object_get_ex(state, "pid", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > INT_MAX) {
			complain("%s %s: \"pid\" in the OCI state is not a process ID", cmd, id);
			goto out;
		}
		pid = (long)json_object_get_int64(v);
	}
	if (create && pid <= 0) {
		complain("create %s: the OCI state has no \"pid\" (run this hook at "
			"createRuntime, once the container's process exists)", id);
		goto out;
	}
	if (json_object_object_get_ex(state, "bundle", &v) &&
	    json_object_is_type(v, json_type_string))
		bundle = json_object_get_string(v);

	ann = annotations_of(state);
	if (!ann)
		ann = bundle_annotations(bundle, &config);
	enable = annotation(ann, "io.sock464.enable");
	if (opted_out(enable)) {
		ret = 0;	/* opted out: nothing to serve, nothing to free */
		goto out;
	}
	ann_pref64 = create ? annotation(ann, "io.sock464.pref64") : NULL;
	if (ann_pref64) {
		if (!prefix_ok(ann_pref64, &why)) {
			complain("%s %s: annotation io.sock464.pref64 '%s': %s", cmd, id,
				ann_pref64, why);
			goto out;
		}
		pref64 = ann_pref64;
	}

	if (create) {
		if (container_cgroup(pid, cgroup, sizeof(cgroup)))
			goto out;
		if (!config)
			bundle_annotations(bundle, &config);
		bundle_resolvers(id, bundle, config, dns, sizeof(dns));
		if (asprintf(&req, "serve-container %s %ld %s%s%s%s", id, pid, cgroup,
			     pref64 ? " " : "", pref64 ? pref64 : "", dns) < 0)
			req = NULL;
	} else if (asprintf(&req, "unserve-container %s", id) < 0) {
		req = NULL;
	}
	if (!req) {
		complain("%s %s: out of memory", cmd, id);
		goto out;
	}
	if (strlen(req) > REQUEST_MAX) {
		complain("%s %s: the request is %zu bytes, longer than the %zu sock464-load "
			"reads (container id or cgroup path too long): %s", cmd, id,
			strlen(req), (size_t)REQUEST_MAX, req);
		goto out;
	}

	if (ask(control, req, answer, sizeof(answer), reason, sizeof(reason)) ==
	    DIAL_UNREACHABLE) {
		if (!create) {	/* a daemon that is not running serves nothing */
			complain("warning: delete %s: %s; nothing to free", id, reason);
			ret = 0;
		} else if (fail_closed) {
			complain("create %s: %s; failing the container (--fail-closed)", id,
				reason);
		} else {
			complain("warning: create %s: %s; the container runs without sock464 "
				"(--fail-open)", id, reason);
			ret = 0;
		}
		goto out;
	}
	if (!strncmp(answer, "error:", 6)) {
		char *msg = first_line(answer) + 6;

		msg += strspn(msg, " ");
		/*
		 * Nothing to free: the container was started while the daemon
		 * was down (--fail-open), or the daemon restarted since.
		 */
		if (!create && strstr(msg, "is not served")) {
			ret = 0;
			goto out;
		}
		complain("%s %s: sock464-load refused: %s", cmd, id, msg);
		goto out;
	}
	ret = 0;
out:
	free(req);
	if (config)
		json_object_put(config);
	json_object_put(state);
	return ret;
}
