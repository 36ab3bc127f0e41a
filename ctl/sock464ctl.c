// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464ctl: talk to a running sock464-load over its control socket.
 *
 *   sock464ctl [--control PATH] status [--json]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

static const char usage_text[] =
"Usage: sock464ctl [--control PATH] status [--json]\n"
"\n"
"  status        the PREF64s known (source, interface, lifetime) and the one\n"
"                in use, the served cgroups, discovery, relay and counters\n"
"  --json        the same as one JSON object\n"
"  --control P   the daemon's control socket (default " CONTROL_DEFAULT_PATH ")\n"
"\n"
"Exit status: 0, 1 when the daemon answered with an error, 2 for bad usage,\n"
"3 when the daemon cannot be reached.\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *path = CONTROL_DEFAULT_PATH;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char request[64], buf[4096];
	int c, fd, json = 0, errors = 0, first = 1;
	ssize_t n;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "status")) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "sock464ctl: --control %s: path too long\n", path);
		return 2;
	}
	strcpy(sun.sun_path, path);
	snprintf(request, sizeof(request), "status%s\n", json ? " json" : "");

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "sock464ctl: cannot reach sock464-load at %s: %s%s\n", path,
			strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED ? " (is it running?)" :
			errno == EACCES ? " (only root may use it)" : "");
		return 3;
	}
	if (write(fd, request, strlen(request)) < 0) {
		fprintf(stderr, "sock464ctl: sending to %s: %s\n", path, strerror(errno));
		return 3;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first && !strncmp(buf, "error:", 6))
			errors = 1;
		first = 0;
		fwrite(buf, 1, n, errors ? stderr : stdout);
	}
	close(fd);
	return errors;
}
