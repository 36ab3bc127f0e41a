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
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#include <json-c/json.h>

#include "client.h"
#include "prefix.h"

#define PROG "sock464-oci-hook"
#define STATE_MAX (1 << 20)		/* bytes of OCI state (and config.json) read */
#define ANSWER_MAX 4096
#define ANSWER_TIMEOUT_MS 8000		/* below the hooks.d files' "timeout": 10 */
#define DIAL_ATTEMPTS 3			/* a full daemon closes new clients unanswered */

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
			snprintf(out, len, " " ARG_DNS);	/* it has none */
		else
			complain("warning: create %s: the container's resolv.conf: %s", id,
				 strerror(errno));
		return;
	}
	text = read_all(fd, &n);
	close(fd);
	if (!text)
		return;
	used = snprintf(out, len, " " ARG_DNS);
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

/* A PREFIX/LEN the daemon would take (pref64_parse(), loader/discovery/prefix.c). */
static bool prefix_ok(const char *p, char *why, size_t whylen)
{
	struct pref64 parsed;

	return !pref64_parse(p, &parsed, why, whylen);
}

/*
 * The absolute path, in this mount namespace, of the cgroup v2 directory
 * @pid is in.  Returns 0, or 1 with a message printed.
 */
static int container_cgroup(long pid, char *out, size_t outlen)
{
	char why[PATH_MAX + 640];

	if (client_cgroup_of(pid, out, outlen, why, sizeof(why))) {
		complain("pid %ld: %s", pid, why);
		return 1;
	}
	if (!client_is_word(out)) {
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
	int fd, attempt;
	ssize_t len;

	for (attempt = 0; attempt < DIAL_ATTEMPTS; attempt++) {
		if (attempt)
			usleep(200000 * attempt);
		fd = client_request(path, req, why, wlen);
		if (fd == -ENOENT || fd == -ECONNREFUSED || fd == -EACCES || fd == -ENOTDIR ||
		    fd == -ENAMETOOLONG)
			return DIAL_UNREACHABLE;
		if (fd < 0)
			continue;
		len = client_read_answer(fd, answer, alen, ANSWER_TIMEOUT_MS);
		close(fd);
		if (len == -ETIMEDOUT) {
			snprintf(why, wlen, "sock464-load at %s did not answer within %d s",
				 path, ANSWER_TIMEOUT_MS / 1000);
			return DIAL_UNREACHABLE;	/* not worth another try */
		}
		if (len > 0)
			return DIAL_ANSWERED;
		client_no_answer(path, why, wlen);
	}
	return DIAL_UNREACHABLE;
}

/* The first line of @s, without its newline (in place). */
static char *first_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* The command line and what the hook does. */
struct hook {
	const char *control, *pref64, *cmd, *id, *bundle;
	bool fail_closed, create;
	long pid;
	json_object *state, *config;	/* references to put */
};

/* Parse the options into @h: 0, or an exit status (--help, bad usage). */
static int parse_args(int argc, char **argv, struct hook *h)
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, 'C' },
		{ "fail-open", no_argument, NULL, 'o' },
		{ "fail-closed", no_argument, NULL, 'c' },
		{ "pref64", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char why[256];
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'C')
			h->control = optarg;
		else if (c == 'o' || c == 'c')
			h->fail_closed = c == 'c';
		else if (c == 'p')
			h->pref64 = optarg;
		else if (c == 'h') {
			fputs(usage_text, stdout);
			return 0x100;
		} else {
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind + 1 != argc ||
	    (strcmp(argv[optind], "create") && strcmp(argv[optind], "delete"))) {
		fputs(usage_text, stderr);
		return 2;
	}
	h->cmd = argv[optind];
	h->create = !strcmp(h->cmd, "create");
	if (h->pref64 && !prefix_ok(h->pref64, why, sizeof(why))) {
		complain("--pref64 %s: %s", h->pref64, why);
		return 2;
	}
	return 0;
}

/* The OCI state on stdin: h->state, h->id, h->pid, h->bundle.  0 or 1. */
static int read_state(struct hook *h)
{
	const char *why;
	json_object *v;
	size_t len;
	char *text = read_all(STDIN_FILENO, &len);

	if (!text) {
		complain("%s: reading the OCI state on stdin: %s", h->cmd, strerror(errno));
		return 1;
	}
	if (!len || strspn(text, " \t\r\n") == len) {
		free(text);
		complain("%s: no OCI state on stdin (the runtime passes it as JSON)", h->cmd);
		return 1;
	}
	h->state = parse_object(text, len, &why);
	free(text);
	if (!h->state) {
		complain("%s: the OCI state on stdin is %s", h->cmd, why);
		return 1;
	}
	if (!json_object_object_get_ex(h->state, "id", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		complain("%s: the OCI state has no \"id\" string", h->cmd);
		return 1;
	}
	h->id = json_object_get_string(v);
	if (!client_is_word(h->id)) {
		complain("%s: container id '%s' is empty or has spaces or control characters",
			 h->cmd, h->id);
		return 1;
	}
	if (json_object_object_get_ex(h->state, "pid", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > INT_MAX) {
			complain("%s %s: \"pid\" in the OCI state is not a process ID", h->cmd,
				 h->id);
			return 1;
		}
		h->pid = (long)json_object_get_int64(v);
	}
	if (h->create && h->pid <= 0) {
		complain("create %s: the OCI state has no \"pid\" (run this hook at "
			 "createRuntime, once the container's process exists)", h->id);
		return 1;
	}
	if (json_object_object_get_ex(h->state, "bundle", &v) &&
	    json_object_is_type(v, json_type_string))
		h->bundle = json_object_get_string(v);
	return 0;
}

/*
 * The annotations: -1 opted out (nothing to do), 1 a bad prefix, 0 go on
 * (h->pref64 the annotation's, if it has one).
 */
static int read_annotations(struct hook *h)
{
	json_object *ann = annotations_of(h->state);
	const char *pref64;
	char why[256];

	if (!ann)
		ann = bundle_annotations(h->bundle, &h->config);
	if (opted_out(annotation(ann, "io.sock464.enable")))
		return -1;
	pref64 = h->create ? annotation(ann, "io.sock464.pref64") : NULL;
	if (!pref64)
		return 0;
	if (!prefix_ok(pref64, why, sizeof(why))) {
		complain("%s %s: annotation io.sock464.pref64 '%s': %s", h->cmd, h->id, pref64,
			 why);
		return 1;
	}
	h->pref64 = pref64;
	return 0;
}

/* The request line for the daemon (to free), or NULL with a message printed. */
static char *make_request(struct hook *h)
{
	char cgroup[PATH_MAX], dns[MAX_RESOLVERS * (INET6_ADDRSTRLEN + 1) + 8], *req;
	int n;

	if (h->create) {
		if (container_cgroup(h->pid, cgroup, sizeof(cgroup)))
			return NULL;
		if (!h->config)
			bundle_annotations(h->bundle, &h->config);
		bundle_resolvers(h->id, h->bundle, h->config, dns, sizeof(dns));
		n = asprintf(&req, VERB_SERVE " %s %ld %s%s%s%s", h->id, h->pid, cgroup,
			     h->pref64 ? " " : "", h->pref64 ? h->pref64 : "", dns);
	} else {
		n = asprintf(&req, VERB_UNSERVE " %s", h->id);
	}
	if (n < 0) {
		complain("%s %s: out of memory", h->cmd, h->id);
		return NULL;
	}
	if (strlen(req) > REQUEST_MAX) {
		complain("%s %s: the request is %zu bytes, longer than the %zu sock464-load "
			 "reads (container id or cgroup path too long): %s", h->cmd, h->id,
			 strlen(req), (size_t)REQUEST_MAX, req);
		free(req);
		return NULL;
	}
	return req;
}

/* Ask the daemon and judge its answer: the exit status. */
static int send_request(const struct hook *h, const char *req)
{
	char answer[ANSWER_MAX], reason[PATH_MAX + 128], *msg;

	if (ask(h->control, req, answer, sizeof(answer), reason, sizeof(reason)) ==
	    DIAL_UNREACHABLE) {
		if (!h->create) {	/* a daemon that is not running serves nothing */
			complain("warning: delete %s: %s; nothing to free", h->id, reason);
			return 0;
		}
		if (h->fail_closed) {
			complain("create %s: %s; failing the container (--fail-closed)", h->id,
				 reason);
			return 1;
		}
		complain("warning: create %s: %s; the container runs without sock464 "
			 "(--fail-open)", h->id, reason);
		return 0;
	}
	if (strncmp(answer, ANSWER_ERROR, strlen(ANSWER_ERROR)))
		return 0;
	msg = first_line(answer) + strlen(ANSWER_ERROR);
	msg += strspn(msg, " ");
	/*
	 * Nothing to free: the container was started while the daemon was
	 * down (--fail-open), or the daemon restarted since.
	 */
	if (!h->create && strstr(msg, "is not served"))
		return 0;
	complain("%s %s: sock464-load refused: %s", h->cmd, h->id, msg);
	return 1;
}

int main(int argc, char **argv)
{
	struct hook h = { .control = CONTROL_DEFAULT_PATH };
	char *req = NULL;
	int ret = parse_args(argc, argv, &h);

	if (ret)
		return ret & 0xff;
	ret = read_state(&h);
	if (!ret)
		ret = read_annotations(&h);
	if (ret < 0) {
		ret = 0;	/* opted out: nothing to serve, nothing to free */
	} else if (!ret) {
		req = make_request(&h);
		ret = req ? send_request(&h, req) : 1;
	}
	free(req);
	if (h.config)
		json_object_put(h.config);
	if (h.state)
		json_object_put(h.state);
	return ret;
}
