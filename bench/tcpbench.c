// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcpbench: the client and server the sock464 benchmarks measure with.
 *
 *   tcpbench server PORT        TCP sink on PORT, TCP request/reply on
 *                               PORT+1, UDP echo on PORT+2, UDP sink on
 *                               PORT+3, polling UDP sink on PORT+4 ([::],
 *                               IPv4-mapped and IPv6 alike)
 *   tcpbench stream HOST PORT SECONDS   bulk send; prints Gbit/s and bytes
 *   tcpbench rr HOST PORT SECONDS       connect, 64-byte request, 64-byte
 *                                       reply, close; prints connections/s
 *                                       and connections
 *   tcpbench udprr HOST PORT SECONDS    64-byte datagram, 64-byte reply, on
 *                                       one connected socket; prints requests
 *                                       per second and requests
 *   tcpbench udpstream HOST PORT SECONDS 1400-byte datagrams; prints the
 *                                       Gbit/s the server received and bytes
 *                                       (to PORT+3 or, for a receiver that
 *                                       polls, PORT+4: see udp_serve())
 *
 * Each client prints one line, "RATE COUNT": the rate, and what it counts
 * (bytes, connections, requests), by which bench/ divides the CPU time the
 * run took.
 *
 * HOST is an IPv4 address (AF_INET socket) or an IPv6 one (AF_INET6,
 * ::ffff:a.b.c.d included), so one binary measures every path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 64
#define BUF (128 * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "tcpbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static socklen_t parse_addr(const char *host, int port,
			    struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	fprintf(stderr, "tcpbench: %s: not an address\n", host);
	exit(1);
}

static int dial(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)ss, len))
		die("connect");
	return fd;
}

static int listener(int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port) };
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) || listen(fd, 4096))
		die("bind/listen");
	return fd;
}

/*
 * One epoll loop for both ports.  Sink connections are read until EOF;
 * request/reply connections get one 64-byte reply per 64-byte request,
 * and the server closes first, so TIME_WAIT stays on its side.
 */
static int udp_socket(int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port) };
	int bufsize = 4 << 20, fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)))
		die("bind");
	return fd;
}

enum udp_role { UDP_ECHO, UDP_SINK, UDP_SINK_POLL };

/* The longest a polling sink spins without its "STAT" (a client that died). */
#define POLL_MAX_SECONDS 120

/*
 * UDP: on the echo socket every datagram comes back; on the sink sockets
 * datagrams are counted, "RESET" zeroes the count and "STAT" is answered
 * with it.  The polling sink reads without sleeping from "RESET" to
 * "STAT": no datagram has to wake it, as an interrupt-coalescing NIC's
 * receiver is not woken per packet either.  On veth the receiving stack
 * runs in the sender's context, so a sink that sleeps makes every
 * datagram pay a wake-up, and a sender that is slower than the sink (it
 * empties its queue and sleeps) slower still (docs/benchmarks.md).
 */
static void udp_serve(int fd, enum udp_role role, unsigned long long *count)
{
	static char buf[BUF];
	static double polling;	/* since when; 0: not polling */
	struct sockaddr_storage ss;
	socklen_t len;
	ssize_t n;
	char reply[32];

	for (;;) {
		len = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &len);
		if (n < 0 && errno == EAGAIN && polling && now() < polling + POLL_MAX_SECONDS)
			continue;
		if (n < 0)
			return;
		if (role == UDP_ECHO) {
			sendto(fd, buf, n, 0, (struct sockaddr *)&ss, len);
		} else if (n == 5 && !memcmp(buf, "RESET", 5)) {
			*count = 0;
			polling = role == UDP_SINK_POLL ? now() : 0;
		} else if (n == 4 && !memcmp(buf, "STAT", 4)) {
			polling = 0;
			n = snprintf(reply, sizeof(reply), "%llu", *count);
			sendto(fd, reply, n, 0, (struct sockaddr *)&ss, len);
		} else {
			*count += n;
		}
	}
}

static int server(int port)
{
	int sink = listener(port), rr = listener(port + 1);
	int uecho = udp_socket(port + 2), usink = udp_socket(port + 3);
	int upoll = udp_socket(port + 4);
	unsigned long long usink_bytes = 0;
	int ep = epoll_create1(0);
	struct epoll_event ev, evs[64];
	static char buf[BUF];
	int i, n;

	/* data.u64: fd in the low half; 1 in bit 32 for request/reply */
	ev.events = EPOLLIN;
	ev.data.u64 = sink;
	epoll_ctl(ep, EPOLL_CTL_ADD, sink, &ev);
	ev.data.u64 = rr;
	epoll_ctl(ep, EPOLL_CTL_ADD, rr, &ev);
	ev.data.u64 = uecho;
	epoll_ctl(ep, EPOLL_CTL_ADD, uecho, &ev);
	ev.data.u64 = usink;
	epoll_ctl(ep, EPOLL_CTL_ADD, usink, &ev);
	ev.data.u64 = upoll;
	epoll_ctl(ep, EPOLL_CTL_ADD, upoll, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for (i = 0; i < n; i++) {
			int fd = (int)(evs[i].data.u64 & 0xffffffff);
			int is_rr = evs[i].data.u64 >> 32;
			ssize_t r;

			if (fd == uecho || fd == usink || fd == upoll) {
				udp_serve(fd, fd == uecho ? UDP_ECHO :
					  fd == usink ? UDP_SINK : UDP_SINK_POLL, &usink_bytes);
				continue;
			}
			if (fd == sink || fd == rr) {
				int c;

				while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.events = EPOLLIN;
					ev.data.u64 = (unsigned)c | (fd == rr ? 1ULL << 32 : 0);
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			while ((r = read(fd, buf, is_rr ? MSG : BUF)) > 0)
				if (is_rr && r == MSG) {
					if (write(fd, buf, MSG) != MSG)
						break;
					r = 0;
					break;
				}
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				close(fd);
			}
		}
	}
	return 0;
}

static int stream(const char *host, int port, double secs)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(host, port, &ss);
	static char buf[BUF];
	double start, end;
	unsigned long long bytes = 0;
	int fd = dial(&ss, len);
	ssize_t n;

	memset(buf, 0x5a, sizeof(buf));
	start = now();
	end = start + secs;
	do {
		n = write(fd, buf, sizeof(buf));
		if (n < 0)
			die("write");
		bytes += n;
	} while (now() < end);
	close(fd);
	printf("%.3f %llu\n", bytes * 8 / (now() - start) / 1e9, bytes);
	return 0;
}

static int rr(const char *host, int port, double secs)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(host, port, &ss);
	char buf[MSG] = { 0 };
	unsigned long long count = 0;
	double start = now(), end = start + secs;

	do {
		int fd = dial(&ss, len);
		ssize_t got = 0, n;

		if (write(fd, buf, MSG) != MSG)
			die("write");
		while (got < MSG && (n = read(fd, buf, MSG - got)) > 0)
			got += n;
		if (got != MSG)
			die("short reply");
		while (read(fd, buf, MSG) > 0)	/* the server closes first */
			;
		close(fd);
		count++;
	} while (now() < end);
	printf("%.0f %llu\n", count / (now() - start), count);
	return 0;
}

static int udp_dial(const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(host, port, &ss);
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len))
		die("connect");
	return fd;
}

static int udprr(const char *host, int port, double secs)
{
	int fd = udp_dial(host, port);
	char buf[MSG] = { 0 };
	unsigned long long count = 0;
	double start = now(), end = start + secs;

	do {
		if (send(fd, buf, MSG, 0) != MSG)
			die("send");
		if (recv(fd, buf, MSG, 0) != MSG)
			die("recv");
		count++;
	} while (now() < end);
	printf("%.0f %llu\n", count / (now() - start), count);
	return 0;
}

static int udpstream(const char *host, int port, double secs)
{
	int fd = udp_dial(host, port);
	static char buf[1400];
	char reply[32] = { 0 };
	double start, elapsed;
	unsigned long long got;

	if (send(fd, "RESET", 5, 0) != 5)
		die("send");
	usleep(100000);
	start = now();
	do {
		/* a full socket buffer (ENOBUFS) is the sender's limit: go on */
		if (send(fd, buf, sizeof(buf), 0) < 0 && errno != ENOBUFS)
			die("send");
	} while (now() < start + secs);
	elapsed = now() - start;
	usleep(200000);		/* let the last datagrams arrive */
	if (send(fd, "STAT", 4, 0) != 4 || recv(fd, reply, sizeof(reply) - 1, 0) <= 0)
		die("no STAT reply");
	got = strtoull(reply, NULL, 10);
	printf("%.3f %llu\n", got * 8 / elapsed / 1e9, got);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "stream"))
		return stream(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "rr"))
		return rr(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "udprr"))
		return udprr(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "udpstream"))
		return udpstream(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: tcpbench server PORT | {stream,rr,udprr,udpstream} "
		"HOST PORT SECONDS\n");
	return 1;
}
