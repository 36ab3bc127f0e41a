// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcpstatic HOST PORT [MESSAGE]: a minimal client, linked statically, that
 * connects (AF_INET for an IPv4 HOST, AF_INET6 otherwise), prints the peer
 * getpeername() reports, sends MESSAGE and a newline, and prints what comes
 * back until EOF.  Errors print "ERR <errno name>" and exit 2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
	const char *name = strerrorname_np(errno);

	printf("ERR %s (%s)\n", name ? name : "?", what);
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 }, peer;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = sizeof(peer);
	char host[INET6_ADDRSTRLEN], buf[4096];
	const char *msg = argc > 3 ? argv[3] : "hello";
	int fd, port;
	ssize_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: %s HOST PORT [MESSAGE]\n", argv[0]);
		return 1;
	}
	port = atoi(argv[2]);
	if (inet_pton(AF_INET, argv[1], &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, argv[1], &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else {
		fprintf(stderr, "%s: not an address\n", argv[1]);
		return 1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	if (connect(fd, (struct sockaddr *)&ss, sizeof(ss)))
		return fail("connect");
	if (getpeername(fd, (struct sockaddr *)&peer, &len))
		return fail("getpeername");
	if (peer.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr,
			  host, sizeof(host));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr,
			  host, sizeof(host));
	printf("PEER %s %d\n", host,
	       ntohs(((struct sockaddr_in *)&peer)->sin_port));
	if (dprintf(fd, "%s\n", msg) < 0)
		return fail("send");
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	if (n < 0)
		return fail("read");
	return 0;
}
