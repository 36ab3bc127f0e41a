// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The control socket's requests, one line each:
 *
 *   status [json]                the state (loader/control/status.c)
 *   attach PATH [complement]     serve another cgroup now; "complement":
 *                                only the hooks systemd's BPFProgram=
 *                                cannot attach (getpeername4/6,
 *                                sock_release), for per-service drop-ins
 *   detach PATH                  stop serving it
 *   trace [json]                 stay connected and receive every decision
 *   serve-container NAME PID CGROUP [PREFIX/LEN] [dns=ADDR,...]
 *                                serve a container in its own network
 *                                namespace (loader/netns/containers.c); dns=:
 *                                the resolvers of its own resolv.conf
 *   unserve-container NAME       and stop
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

static int attach(struct daemon *d, char *args, FILE *out)
{
	char *path = strtok(args, " "), *what = strtok(NULL, " ");
	enum hooks_set set = HOOKS_ALL;
	unsigned int i;
	int err;

	if (!path || (what && strcmp(what, ARG_COMPLEMENT)) || strtok(NULL, " ")) {
		fprintf(out, "error: usage: attach PATH [complement]\n");
		return CONTROL_CLOSE;
	}
	if (what)
		set = HOOKS_COMPLEMENT;
	for (i = 0; i < d->hooks.ncgroups; i++)
		if (!strcmp(d->hooks.cgroups[i].path, path)) {
			fprintf(out, "error: %s is served already\n", path);
			return CONTROL_CLOSE;
		}
	err = hooks_attach(&d->hooks, path, set);
	if (err == -EEXIST || err == -EBUSY) {
		fprintf(out, "error: %s\n", d->hooks.refused);
		return CONTROL_CLOSE;
	}
	if (err) {
		fprintf(out, "error: attaching to %s failed: %s\n", path, strerror(-err));
		return CONTROL_CLOSE;
	}
	log_info("serving cgroup %s%s (control socket)", path,
		 set == HOOKS_COMPLEMENT ? " with the hooks systemd cannot attach" : "");
	fprintf(out, "attached %s\n", path);
	return CONTROL_CLOSE;
}

static int detach(struct daemon *d, char *args, FILE *out)
{
	char *path = strtok(args, " ");

	if (!path || strtok(NULL, " ")) {
		fprintf(out, "error: usage: detach PATH\n");
		return CONTROL_CLOSE;
	}
	if (hooks_detach(&d->hooks, path)) {
		fprintf(out, "error: %s is not served\n", path);
		return CONTROL_CLOSE;
	}
	log_info("no longer serving cgroup %s (control socket)", path);
	fprintf(out, "detached %s\n", path);
	return CONTROL_CLOSE;
}

/* "A,B": resolver addresses, each IPv6 or IPv4; "" is none.  0 or -EINVAL. */
static int check_resolvers(const char *list, FILE *out)
{
	char buf[512], *a, *save = NULL;
	unsigned char addr[sizeof(struct in6_addr)];

	snprintf(buf, sizeof(buf), "%s", list);
	for (a = strtok_r(buf, ",", &save); a; a = strtok_r(NULL, ",", &save))
		if (inet_pton(AF_INET6, a, addr) != 1 && inet_pton(AF_INET, a, addr) != 1) {
			fprintf(out, "error: dns=%s: '%s' is not an IPv6 or IPv4 address\n",
				list, a);
			return -EINVAL;
		}
	return 0;
}

static int serve(struct daemon *d, char *args, FILE *out)
{
	char *name = strtok(args, " "), *pid = strtok(NULL, " ");
	char *cgroup = strtok(NULL, " "), *prefix = NULL, *dns = NULL, *tok, *end;
	bool bad = false;
	long n;

	while ((tok = strtok(NULL, " "))) {
		if (!strncmp(tok, ARG_DNS, strlen(ARG_DNS)) && !dns)
			dns = tok + strlen(ARG_DNS);
		else if (!prefix && !dns)
			prefix = tok;
		else
			bad = true;
	}
	n = pid ? strtol(pid, &end, 10) : 0;
	if (!name || !pid || *end || n <= 0 || !cgroup || bad) {
		fprintf(out, "error: usage: serve-container NAME PID CGROUP [PREFIX/LEN] "
			"[dns=ADDR,...]\n");
		return CONTROL_CLOSE;
	}
	if (dns && check_resolvers(dns, out))
		return CONTROL_CLOSE;
	container_serve(d, name, n, cgroup, prefix, dns, out);
	return CONTROL_CLOSE;
}

int daemon_request(const char *request, FILE *out, bool *json, void *arg)
{
	struct daemon *d = arg;
	char buf[CONTROL_LINE_MAX];
	char *verb, *args;
	int err;

	snprintf(buf, sizeof(buf), "%s", request);
	verb = buf;
	args = strchr(buf, ' ');
	if (args)
		*args++ = '\0';
	else
		args = buf + strlen(buf);

	if (!strcmp(verb, VERB_STATUS) && (!*args || !strcmp(args, ARG_JSON))) {
		err = status_write(d, out, *args);
		return err ? err : CONTROL_CLOSE;
	}
	if (!strcmp(verb, VERB_ATTACH))
		return attach(d, args, out);
	if (!strcmp(verb, VERB_DETACH))
		return detach(d, args, out);
	if (!strcmp(verb, VERB_SERVE))
		return serve(d, args, out);
	if (!strcmp(verb, VERB_UNSERVE)) {
		if (!*args || strchr(args, ' '))
			fprintf(out, "error: usage: unserve-container NAME\n");
		else
			container_unserve(d, args, out);
		return CONTROL_CLOSE;
	}
	if (!strcmp(verb, VERB_TRACE) && (!*args || !strcmp(args, ARG_JSON))) {
		*json = *args;
		return CONTROL_SUBSCRIBE;
	}
	fprintf(out, "error: unknown request '%s' (known: " PROTOCOL_USAGE ")\n", request);
	return CONTROL_CLOSE;
}

void daemon_subscribers(unsigned int n, void *arg)
{
	struct daemon *d = arg;

	trace_subscribers(n, &d->trace);
}
