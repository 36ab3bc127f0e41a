// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464ctl: talk to a running sock464-load over its control socket, and
 * write the systemd drop-in that gives one service translation.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

#define DEFAULT_PIN "/sys/fs/bpf/sock464"

static const char usage_text[] =
"Usage: sock464ctl [--control PATH] COMMAND\n"
"\n"
"Commands:\n"
"  status [--json]         the PREF64s known and the one in use, the policy,\n"
"                          the served cgroups, relays and counters (also per\n"
"                          served cgroup)\n"
"  attach PATH | --self [--hooks complement]\n"
"                          serve another cgroup v2 directory now (--self: the\n"
"                          cgroup sock464ctl runs in); complement: only the\n"
"                          hooks systemd's BPFProgram= cannot attach\n"
"  detach PATH | --self    stop serving it\n"
"  trace [--json] [--count N] [--timeout S]\n"
"                          print every translation decision as it happens,\n"
"                          until interrupted, N lines or S seconds\n"
"  dropin UNIT [--pin DIR] print the systemd drop-in that gives UNIT\n"
"                          translation through the programs sock464-load\n"
"                          pinned in DIR (default " DEFAULT_PIN ")\n"
"\n"
"  --control PATH          the daemon's control socket (default " CONTROL_DEFAULT_PATH ")\n"
"\n"
"Exit status: 0; 1 when the daemon answered with an error; 2 for bad usage;\n"
"3 when the daemon cannot be reached or gives no answer.\n"
"\n"
"Examples:\n"
"  sock464ctl status --json\n"
"  sock464ctl trace --count 10\n"
"  sock464ctl dropin nginx.service > /etc/systemd/system/nginx.service.d/sock464.conf\n";

static int usage_error(void)
{
	fputs(usage_text, stderr);
	return 2;
}

/* The absolute path of the cgroup v2 directory this process is in. */
static int self_cgroup(char *buf, size_t len)
{
	char line[PATH_MAX], dir[PATH_MAX], type[64], mnt[PATH_MAX] = "", rel[PATH_MAX] = "";
	FILE *f;

	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %4095s %63s", dir, type) == 2 && !strcmp(type, "cgroup2")) {
			snprintf(mnt, sizeof(mnt), "%s", dir);
			break;
		}
	fclose(f);
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(rel, sizeof(rel), "%s", line + 3);
		}
	fclose(f);
	if (!mnt[0] || !rel[0])
		return -ENOENT;
	snprintf(buf, len, "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	return 0;
}

static int dial(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "sock464ctl: --control %s: path too long\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "sock464ctl: cannot reach sock464-load at %s: %s%s\n", path,
			strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED ? " (is it running?)" :
			errno == EACCES ? " (only root may use it)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* How long a request other than trace waits for the daemon's answer. */
#define ANSWER_TIMEOUT_S 10

/*
 * Send @request and copy the answer to stdout (an "error:" answer to
 * stderr, exit 1); with @max_lines or @timeout_s, stop after that many
 * lines or seconds (for trace).  A request other than trace that gets no
 * answer at all (the daemon hung up, or said nothing in ANSWER_TIMEOUT_S)
 * is an error too (exit 3): never exit 0 with nothing.
 */
static int request(const char *path, const char *req, long max_lines, long timeout_s)
{
	char buf[4096];
	int fd = dial(path), errors = 0, first = 1, trace = !strncmp(req, "trace", 5);
	int sent_errno = 0;
	long lines = 0;
	time_t end = timeout_s ? time(NULL) + timeout_s :
		     trace ? 0 : time(NULL) + ANSWER_TIMEOUT_S;
	ssize_t n, i;

	if (fd < 0)
		return 3;
	/* A daemon that refuses at once (too many clients) hangs up: read why. */
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0)
		sent_errno = errno;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait = end ? (int)((end - time(NULL)) * 1000) : -1;

		if (end && wait <= 0)
			break;
		if (poll(&p, 1, wait) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (first && !strncmp(buf, "error:", 6))
			errors = 1;
		first = 0;
		for (i = 0; i < n; i++) {
			fputc(buf[i], errors ? stderr : stdout);
			if (buf[i] == '\n' && max_lines && ++lines >= max_lines)
				goto done;
		}
		fflush(stdout);
	}
	if (first && (!trace || sent_errno)) {
		fprintf(stderr, "sock464ctl: no answer from sock464-load at %s%s%s\n", path,
			sent_errno ? ": sending the request: " : "",
			sent_errno ? strerror(sent_errno) : "");
		errors = 3;
	}
done:
	close(fd);
	return errors;
}

static int dropin(const char *unit, const char *pin)
{
	static const char *const hooks[] = {
		"sock_create", "sock_ops", "connect4", "connect6", "sendmsg4",
		"recvmsg4", "recvmsg6",
	};
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t i;

	if (n <= 0)
		snprintf(self, sizeof(self), "/usr/sbin/sock464ctl");
	else
		self[n] = '\0';
	printf("# /etc/systemd/system/%s.d/sock464.conf, made by: sock464ctl dropin %s\n"
	       "# Gives %s translation through the programs sock464-load pinned in %s\n"
	       "# (sock464.service runs it with --pin %s).\n"
	       "[Unit]\n"
	       "Wants=sock464.service\n"
	       "After=sock464.service\n"
	       "\n"
	       "[Service]\n", unit, unit, unit, pin, pin);
	for (i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		printf("BPFProgram=%s:%s/%s\n", hooks[i], pin, hooks[i]);
	printf("# systemd's BPFProgram= cannot attach getpeername4, getpeername6 and\n"
	       "# sock_release: the daemon attaches those to the service's cgroup.\n"
	       "ExecStartPre=-+%s attach --self --hooks complement\n"
	       "ExecStopPost=-+%s detach --self\n", self, self);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "self", no_argument, NULL, 's' },
		{ "hooks", required_argument, NULL, 'k' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "pin", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *path = CONTROL_DEFAULT_PATH, *hooks = NULL, *pin = DEFAULT_PIN;
	const char *cmd, *arg = NULL;
	char req[PATH_MAX + 64], cg[PATH_MAX];
	long count = 0, timeout = 0;
	int c, json = 0, self = 0, err;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			self = 1;
			break;
		case 'k':
			hooks = optarg;
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 't':
			timeout = strtol(optarg, NULL, 10);
			break;
		case 'p':
			pin = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage_error();
		}
	}
	if (optind >= argc)
		return usage_error();
	cmd = argv[optind];
	if (optind + 1 < argc)
		arg = argv[optind + 1];
	if (optind + 2 < argc || count < 0 || timeout < 0)
		return usage_error();

	if (!strcmp(cmd, "status") && !arg)
		return request(path, json ? "status json" : "status", 0, 0);
	if (!strcmp(cmd, "trace") && !arg)
		return request(path, json ? "trace json" : "trace", count, timeout);
	if (!strcmp(cmd, "dropin") && arg)
		return dropin(arg, pin);
	if ((!strcmp(cmd, "attach") || !strcmp(cmd, "detach")) && (!arg != !self)) {
		if (hooks && (strcmp(hooks, "complement") || strcmp(cmd, "attach")))
			return usage_error();
		if (self) {
			err = self_cgroup(cg, sizeof(cg));
			if (err) {
				fprintf(stderr, "sock464ctl: finding this process's cgroup v2 "
					"directory failed: %s\n", strerror(-err));
				return 1;
			}
			arg = cg;
		}
		snprintf(req, sizeof(req), "%s %s%s", cmd, arg, hooks ? " complement" : "");
		return request(path, req, 0, 0);
	}
	return usage_error();
}
