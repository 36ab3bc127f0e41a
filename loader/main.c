// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464-load: load and attach the sock464 hooks, keep their maps
 * current, and relay the connections of AF_INET sockets over IPv6.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

#define DEFAULT_MAX_CONNS 16384
#define DEFAULT_MAX_UDP_FLOWS 4096
#define DEFAULT_UDP_IDLE_S 180
/* Descriptors per relayed connection: two sockets, two pipes. */
#define FDS_PER_CONN 6

static const char usage_text[] =
"Usage: sock464-load --cgroup PATH [--cgroup PATH ...] [OPTIONS]\n"
"\n"
"Translate the IPv4 connections of every process in the given cgroups to\n"
"IPv6 through the network's NAT64 (464XLAT at the socket layer).  Runs in\n"
"the foreground until SIGTERM or SIGINT, then detaches and exits 0.\n"
"\n"
"Options:\n"
"  -c, --cgroup PATH         serve this cgroup v2 directory and all below it\n"
"                            (repeatable, at most 64)\n"
"  -p, --pref64 PREFIX/LEN   use this NAT64 prefix (RFC 6052 lengths 32, 40,\n"
"                            48, 56, 64, 96) and discover none\n"
"  -p, --pref64 auto         discover the prefix from Router Advertisements\n"
"                            (RFC 8781) and DNS64 (RFC 7050) (the default)\n"
"  -i, --interface IFACE     hear RAs only on this link (repeatable, at most %d)\n"
"      --dns64-server ADDR   ask this resolver for ipv4only.arpa instead of\n"
"                            those in /etc/resolv.conf (repeatable)\n"
"      --no-ra               no discovery from Router Advertisements\n"
"      --no-dns64            no discovery through DNS64\n"
"      --control PATH        the control socket (default %s)\n"
"      --max-connections N   relayed TCP connections open at once (default %u)\n"
"      --max-udp-flows N     relayed UDP flows (application socket and\n"
"                            destination) open at once (default %u)\n"
"      --udp-idle-timeout S  close a UDP flow idle this many seconds, and free\n"
"                            its destination's alias (default %u)\n"
"  -v, --verbose             log every relayed connection, RA and libbpf message\n"
"  -h, --help                show this help and exit\n"
"\n"
"Without a prefix, translated connects fail with ENETUNREACH.\n"
"`sock464ctl status` shows the prefixes, their sources and the counters.\n"
"\n"
"Examples:\n"
"  sock464-load --cgroup /sys/fs/cgroup/user.slice\n"
"  sock464-load --cgroup /sys/fs/cgroup/user.slice --pref64 64:ff9b::/96\n"
"  sock464-load -c /sys/fs/cgroup/system.slice/app.service -i eth0 \\\n"
"               --dns64-server 2001:db8::53 -v\n";

static void usage(FILE *f)
{
	fprintf(f, usage_text, RA_MAX_IFACES, CONTROL_DEFAULT_PATH, DEFAULT_MAX_CONNS,
		DEFAULT_MAX_UDP_FLOWS, DEFAULT_UDP_IDLE_S);
}

static int parse_uint(const char *opt, const char *text, unsigned int min,
		      unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < min || v > max) {
		log_err("%s '%s': expected a whole number from %u to %u", opt,
			text, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "pref64", required_argument, NULL, 'p' },
		{ "interface", required_argument, NULL, 'i' },
		{ "dns64-server", required_argument, NULL, 'D' },
		{ "no-ra", no_argument, NULL, 'R' },
		{ "no-dns64", no_argument, NULL, 'N' },
		{ "control", required_argument, NULL, 'C' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "max-udp-flows", required_argument, NULL, 'U' },
		{ "udp-idle-timeout", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char why[160];
	int c;

	o->max_conns = DEFAULT_MAX_CONNS;
	o->max_udp_flows = DEFAULT_MAX_UDP_FLOWS;
	o->udp_idle_s = DEFAULT_UDP_IDLE_S;
	o->control = CONTROL_DEFAULT_PATH;
	while ((c = getopt_long(argc, argv, "c:p:i:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (o->ncgroups == HOOKS_MAX_CGROUPS) {
				log_err("--cgroup: at most %d cgroups", HOOKS_MAX_CGROUPS);
				return -EINVAL;
			}
			o->cgroups[o->ncgroups++] = optarg;
			break;
		case 'p':
			if (!strcmp(optarg, "auto")) {
				o->have_pref64 = false;
				break;
			}
			if (pref64_parse(optarg, &o->pref64, why, sizeof(why))) {
				log_err("--pref64 %s: %s", optarg, why);
				return -EINVAL;
			}
			o->have_pref64 = true;
			break;
		case 'i':
			if (o->ninterfaces == RA_MAX_IFACES) {
				log_err("--interface: at most %d", RA_MAX_IFACES);
				return -EINVAL;
			}
			o->interfaces[o->ninterfaces++] = optarg;
			break;
		case 'D': {
			size_t used = strlen(o->dns64_servers);
			struct in6_addr a6;
			struct in_addr a4;

			if (inet_pton(AF_INET6, optarg, &a6) != 1 &&
			    inet_pton(AF_INET, optarg, &a4) != 1) {
				log_err("--dns64-server '%s': not an IPv6 or IPv4 address", optarg);
				return -EINVAL;
			}
			if (used + strlen(optarg) + 2 > sizeof(o->dns64_servers)) {
				log_err("--dns64-server: too many servers");
				return -EINVAL;
			}
			snprintf(o->dns64_servers + used, sizeof(o->dns64_servers) - used,
				 "%s%s", used ? "," : "", optarg);
			break;
		}
		case 'R':
			o->no_ra = true;
			break;
		case 'N':
			o->no_dns64 = true;
			break;
		case 'C':
			o->control = optarg;
			break;
		case 'm':
			if (parse_uint("--max-connections", optarg, 1, 1 << 20,
				       &o->max_conns))
				return -EINVAL;
			o->max_conns_set = true;
			break;
		case 'U':
			if (parse_uint("--max-udp-flows", optarg, 1, 1 << 20,
				       &o->max_udp_flows))
				return -EINVAL;
			break;
		case 'T':
			if (parse_uint("--udp-idle-timeout", optarg, 1, 86400,
				       &o->udp_idle_s))
				return -EINVAL;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (!o->ncgroups) {
		log_err("no --cgroup given: say which cgroup to serve");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/*
 * Room for every relayed connection's descriptors, as far as the hard
 * limit allows; the connection limit shrinks to what fits.
 */
static void raise_fd_limit(struct options *o)
{
	rlim_t want = (rlim_t)o->max_conns * FDS_PER_CONN + o->max_udp_flows + 64;
	unsigned int fit;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return;
	fit = rl.rlim_cur > 64 + o->max_udp_flows ?
	      (rl.rlim_cur - 64 - o->max_udp_flows) / FDS_PER_CONN : 1;
	if (o->max_conns_set)
		log_warn("open files limited to %llu: --max-connections lowered to %u",
			 (unsigned long long)rl.rlim_cur, fit);
	o->max_conns = fit;
}

/* Every --cgroup must be a cgroup v2 directory before anything is loaded. */
static int check_cgroups(const struct options *o)
{
	unsigned int i;
	int fd;

	for (i = 0; i < o->ncgroups; i++) {
		fd = hooks_open_cgroup(o->cgroups[i]);
		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

/*
 * The hooks recognise the daemon's sockets by the tgid the kernel sees,
 * which is the getpid() of the initial PID namespace only.
 */
static void check_pid_namespace(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	bool nested = false;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "NSpid:", 6))
			nested = strchr(line + 7, '\t') || strchr(line + 7, ' ');
	fclose(f);
	if (nested)
		log_warn("running in a nested PID namespace: the daemon's own sockets "
			 "cannot be told apart; do not serve a cgroup that contains it");
}

static void on_signal(struct ev_source *src, uint32_t events)
{
	struct daemon *d = container_of(src, struct daemon, signals);
	struct signalfd_siginfo si;

	(void)events;
	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("%s: detaching and exiting", strsignal(si.ssi_signo));
			d->loop.stop = true;
		}
	}
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	d->signals.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->signals.fd < 0)
		return -errno;
	d->signals.handler = on_signal;
	return loop_add(&d->loop, &d->signals, EPOLLIN);
}

static void after_batch(void *arg)
{
	relay_tcp_reap(arg);
}

/* Tell the hooks where this namespace's relay is and which prefix to use. */
static void publish_netns(struct daemon *d)
{
	int err = hooks_set_netns(&d->hooks, d->relay.netns_cookie, &d->netns);

	if (err)
		log_err("updating the network namespace map failed: %s", strerror(-err));
}

/* discovery's choice changed: new connections use @p (none if NULL). */
static void publish_prefix(const struct pref64 *p, void *arg)
{
	struct daemon *d = arg;

	memset(d->netns.pref64, 0, sizeof(d->netns.pref64));
	d->netns.plen = 0;
	if (p) {
		memcpy(d->netns.pref64, p->addr, sizeof(d->netns.pref64));
		d->netns.plen = p->plen;
	}
	publish_netns(d);
}

static void on_nd_options(int ifindex, const void *opts, size_t len, void *arg)
{
	struct daemon *d = arg;

	ra_listen_kernel_options(&d->ra, ifindex, opts, len);
}

/* Links or addresses changed: solicit RAs on a new link, ask DNS64 again. */
static void on_net_change(int ifindex, void *arg)
{
	struct daemon *d = arg;

	if (ifindex && !d->opt.no_ra)
		ra_listen_solicit(&d->ra, ifindex);
	if (!d->opt.no_dns64)
		dns64_query_kick(&d->dns);
}

/* Start the sources of PREF64: the static one, or discovery. */
static int start_discovery(struct daemon *d)
{
	const struct options *o = &d->opt;
	int err;

	discovery_init(&d->disc, &d->loop, publish_prefix, d);
	if (o->have_pref64) {
		discovery_learn(&d->disc, &o->pref64, PREF64_STATIC, 0, PREF64_NEVER_S);
		return 0;
	}
	if (o->no_ra && o->no_dns64) {
		log_warn("no PREF64 configured and discovery off: translated connects fail with ENETUNREACH");
		return 0;
	}
	d->nl.on_nd_options = on_nd_options;
	d->nl.on_change = on_net_change;
	d->nl.arg = d;
	err = nl_watch_start(&d->nl, &d->loop);
	if (!err && !o->no_ra) {
		err = ra_listen_set_interfaces(&d->ra, o->interfaces, o->ninterfaces);
		if (!err)
			err = ra_listen_start(&d->ra, &d->loop, &d->disc);
	}
	if (!err && !o->no_dns64)
		err = dns64_query_start(&d->dns, &d->loop, &d->disc,
					o->dns64_servers[0] ? o->dns64_servers : NULL);
	if (!err)
		log_info("discovering PREF64 from %s%s%s; until one is known, translated "
			 "connects fail with ENETUNREACH",
			 o->no_ra ? "" : "Router Advertisements",
			 !o->no_ra && !o->no_dns64 ? " and " : "",
			 o->no_dns64 ? "" : "DNS64 (ipv4only.arpa)");
	return err;
}

static void log_counters(struct daemon *d)
{
	static const char *const names[] = SOCK464_COUNTER_NAMES;
	const struct relay_tcp_stats *s = &d->relay.stats;
	__u64 v[SOCK464_CNT_MAX];
	char line[512];
	int i, n = 0;

	if (hooks_counters(&d->hooks, v))
		return;
	for (i = 0; i < SOCK464_CNT_MAX; i++)
		n += snprintf(line + n, sizeof(line) - n, "%s%s=%llu", i ? " " : "",
			      names[i], (unsigned long long)v[i]);
	log_info("hooks: %s", line);
	log_info("relay: accepted=%llu completed=%llu reset=%llu upstream_failed=%llu "
		 "unknown=%llu over_limit=%llu",
		 (unsigned long long)s->accepted, (unsigned long long)s->completed,
		 (unsigned long long)s->reset, (unsigned long long)s->upstream_failed,
		 (unsigned long long)s->unknown, (unsigned long long)s->over_limit);
	log_info("udp: flows=%llu expired=%llu out=%llu in=%llu errors=%llu unknown=%llu "
		 "over_limit=%llu aliases_freed=%llu",
		 (unsigned long long)d->udp.stats.flows,
		 (unsigned long long)d->udp.stats.expired,
		 (unsigned long long)d->udp.stats.datagrams_out,
		 (unsigned long long)d->udp.stats.datagrams_in,
		 (unsigned long long)d->udp.stats.errors,
		 (unsigned long long)d->udp.stats.unknown,
		 (unsigned long long)d->udp.stats.over_limit,
		 (unsigned long long)d->udp.stats.aliases_freed);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	unsigned int i;
	int err;

	d.signals.fd = -1;
	d.relay.listener.fd = -1;
	d.ra.src.fd = -1;
	d.udp.sock.fd = -1;
	d.udp.icmp_fd = -1;
	d.control.listener.fd = -1;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		d.control.clients[i].src.fd = -1;
	if (parse_options(argc, argv, &d.opt))
		return 2;
	if (d.opt.verbose)
		log_threshold = LOG_DEBUG;
	if (check_cgroups(&d.opt))
		return 1;
	check_pid_namespace();
	raise_fd_limit(&d.opt);
	d.started_ms = loop_now_ms();

	err = loop_init(&d.loop);
	if (!err)
		err = setup_signals(&d);
	if (err) {
		log_err("setting up the event loop failed: %s", strerror(-err));
		goto out;
	}
	err = hooks_load(&d.hooks, d.opt.verbose);
	if (err)
		goto out;
	err = relay_tcp_start(&d.relay, &d.loop, &d.hooks, d.opt.max_conns);
	if (err)
		goto out;
	d.loop.after_batch = after_batch;
	d.loop.after_batch_arg = &d.relay;
	err = relay_udp_start(&d.udp, &d.loop, &d.hooks, d.relay.netns_cookie,
			      d.opt.max_udp_flows, d.opt.udp_idle_s);
	if (err)
		goto out;
	d.netns.tcp_port = d.relay.port;
	d.netns.relay_ip4 = d.relay.addr;
	d.netns.udp_port = d.udp.port;
	d.control.handle = status_handle;
	d.control.arg = &d;
	err = control_start(&d.control, &d.loop, d.opt.control);
	if (err)
		goto out;
	publish_netns(&d);
	err = start_discovery(&d);
	if (err)
		goto out;
	for (i = 0; i < d.opt.ncgroups; i++) {
		err = hooks_attach(&d.hooks, d.opt.cgroups[i]);
		if (err)
			goto out;
		log_info("serving cgroup %s", d.opt.cgroups[i]);
	}
	log_info("TCP relay on 127.46.0.1:%u, UDP relay on 127.46.0.0/16 port %u",
		 ntohs(d.relay.port), ntohs(d.udp.port));

	err = loop_run(&d.loop);
	if (err)
		log_err("event loop failed: %s", strerror(-err));
	log_counters(&d);
out:
	/* Detach first, so that no new connection is sent to a closing relay. */
	hooks_destroy(&d.hooks);
	dns64_query_stop(&d.dns);
	ra_listen_stop(&d.ra);
	nl_watch_stop(&d.nl);
	if (d.disc.loop)
		discovery_fini(&d.disc);
	control_stop(&d.control);
	relay_udp_stop(&d.udp);
	relay_tcp_stop(&d.relay);
	if (d.signals.fd >= 0)
		close(d.signals.fd);
	loop_fini(&d.loop);
	return err ? 1 : 0;
}
