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
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "metrics.h"

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
"                          hooks the drop-in's BPFProgram= lines do not attach\n"
"  detach PATH | --self    stop serving it\n"
"  trace [--json] [--count N] [--timeout S]\n"
"                          print every translation decision as it happens,\n"
"                          until interrupted, N lines or S seconds\n"
"  metrics [--output FILE] every figure of status in the Prometheus text\n"
"                          format; --output replaces FILE atomically (for\n"
"                          node_exporter's textfile collector)\n"
"  dropin UNIT [--pin DIR] print the systemd drop-in that gives UNIT\n"
"                          translation through the programs sock464-load\n"
"                          pinned in DIR (default " DEFAULT_PIN ")\n"
"\n"
"  --control PATH          the daemon's control socket (default " CONTROL_DEFAULT_PATH ")\n"
"  --version               print the version and exit\n"
"\n"
"Exit status: 0; 1 when the daemon answered with an error; 2 for bad usage;\n"
"3 when the daemon cannot be reached or gives no answer.\n"
"\n"
"Examples:\n"
"  sock464ctl status --json\n"
"  sock464ctl trace --count 10\n"
"  sock464ctl metrics --output /var/lib/prometheus/node-exporter/sock464.prom\n"
"  sock464ctl dropin nginx.service > /etc/systemd/system/nginx.service.d/sock464.conf\n";

static int usage_error(void)
{
	fputs(usage_text, stderr);
	return 2;
}

/* How long a request other than trace waits for the daemon's answer. */
#define ANSWER_TIMEOUT_S 10

/*
 * Send @request and copy the answer to stdout (an "error:" answer, such as
 * a refusal, to stderr, exit 1); with @max_lines or @timeout_s, stop after
 * that many lines or seconds (for trace).  A request other than trace that
 * gets no answer at all (the daemon hung up, or said nothing in
 * ANSWER_TIMEOUT_S), or a trace the daemon hangs up on at once, is an
 * error too (exit 3): never exit 0 with nothing.
 */
static int request(const char *path, const char *req, long max_lines, long timeout_s)
{
	char buf[4096], why[PATH_MAX + 128];
	int fd = client_request(path, req, why, sizeof(why)), errors = 0, first = 1;
	int trace = !strncmp(req, VERB_TRACE, strlen(VERB_TRACE)), closed = 0;
	long lines = 0;
	time_t end = timeout_s ? time(NULL) + timeout_s :
		     trace ? 0 : time(NULL) + ANSWER_TIMEOUT_S;
	ssize_t n, i;

	if (fd < 0) {
		fprintf(stderr, "sock464ctl: %s\n", why);
		return 3;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait = end ? (int)((end - time(NULL)) * 1000) : -1;

		if (end && wait <= 0)
			break;
		if (poll(&p, 1, wait) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			closed = 1;
			break;
		}
		if (first && !strncmp(buf, ANSWER_ERROR, strlen(ANSWER_ERROR)))
			errors = 1;
		first = 0;
		for (i = 0; i < n; i++) {
			fputc(buf[i], errors ? stderr : stdout);
			if (buf[i] == '\n' && max_lines && ++lines >= max_lines)
				goto done;
		}
		fflush(stdout);
	}
	if (first && (!trace || closed)) {	/* a quiet trace is no error; a hang-up is */
		client_no_answer(path, why, sizeof(why));
		fprintf(stderr, "sock464ctl: %s\n", why);
		errors = 3;
	}
done:
	close(fd);
	return errors;
}

static int dropin(const char *unit, const char *pin)
{
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
	for (i = 0; i < client_nsystemd_hooks; i++)
		printf("BPFProgram=%s:%s/%s\n", client_systemd_hooks[i], pin,
		       client_systemd_hooks[i]);
	printf("# systemd's BPFProgram= cannot attach getpeername4, getpeername6 and\n"
	       "# sock_release: the daemon attaches those (and getsockname4, setsockopt)\n"
	       "# to the service's cgroup.\n"
	       "ExecStartPre=-+%s attach --self --hooks complement\n"
	       "ExecStopPost=-+%s detach --self\n", self, self);
	return 0;
}

/* The command line. */
struct args {
	const char *path, *hooks, *pin, *cmd, *arg, *output;
	long count, timeout;
	int json, self;
};

/* Parse the options into @a; 0, 1 for --help, 3 for --version, or 2 for bad usage. */
static int parse_args(int argc, char **argv, struct args *a)
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
		{ "output", required_argument, NULL, 'o' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	int c;

	*a = (struct args){ .path = CONTROL_DEFAULT_PATH, .pin = DEFAULT_PIN };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'C')
			a->path = optarg;
		else if (c == 'j')
			a->json = 1;
		else if (c == 's')
			a->self = 1;
		else if (c == 'k')
			a->hooks = optarg;
		else if (c == 'n')
			a->count = strtol(optarg, NULL, 10);
		else if (c == 't')
			a->timeout = strtol(optarg, NULL, 10);
		else if (c == 'p')
			a->pin = optarg;
		else if (c == 'o')
			a->output = optarg;
		else if (c == 'h')
			return 1;
		else if (c == 'V')
			return 3;
		else
			return 2;
	}
	if (optind >= argc)
		return 2;
	a->cmd = argv[optind];
	if (optind + 1 < argc)
		a->arg = argv[optind + 1];
	return optind + 2 < argc || a->count < 0 || a->timeout < 0 ||
	       (a->output && strcmp(a->cmd, "metrics")) ? 2 : 0;
}

/* attach or detach PATH, or --self: the cgroup this process is in. */
static int attach_detach(const struct args *a)
{
	char req[PATH_MAX + 64], cg[PATH_MAX], why[PATH_MAX + 128];
	const char *arg = a->arg;

	if (a->hooks && (strcmp(a->hooks, ARG_COMPLEMENT) || strcmp(a->cmd, VERB_ATTACH)))
		return usage_error();
	if (a->self) {
		if (client_cgroup_of(0, cg, sizeof(cg), why, sizeof(why))) {
			fprintf(stderr, "sock464ctl: finding this process's cgroup v2 "
				"directory failed: %s\n", why);
			return 1;
		}
		arg = cg;
	}
	if (snprintf(req, sizeof(req), "%s %s%s", a->cmd, arg,
		     a->hooks ? " " ARG_COMPLEMENT : "") > REQUEST_MAX) {
		fprintf(stderr, "sock464ctl: %s %s: longer than the %d bytes a request "
			"may have\n", a->cmd, arg, REQUEST_MAX);
		return 2;
	}
	return request(a->path, req, 0, 0);
}

int main(int argc, char **argv)
{
	struct args a;
	int err = parse_args(argc, argv, &a);

	if (err == 1) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (err == 3) {
		printf("sock464ctl %s\n", SOCK464_VERSION);
		return 0;
	}
	if (err)
		return usage_error();
	if (!strcmp(a.cmd, "metrics") && !a.arg)
		return metrics_command(a.path, a.output);
	if (!strcmp(a.cmd, VERB_STATUS) && !a.arg)
		return request(a.path, a.json ? VERB_STATUS " " ARG_JSON : VERB_STATUS, 0, 0);
	if (!strcmp(a.cmd, VERB_TRACE) && !a.arg)
		return request(a.path, a.json ? VERB_TRACE " " ARG_JSON : VERB_TRACE, a.count,
			       a.timeout);
	if (!strcmp(a.cmd, "dropin") && a.arg)
		return dropin(a.arg, a.pin);
	if ((!strcmp(a.cmd, VERB_ATTACH) || !strcmp(a.cmd, VERB_DETACH)) && (!a.arg != !a.self))
		return attach_detach(&a);
	return usage_error();
}
