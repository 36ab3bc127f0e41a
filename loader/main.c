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
#include "netns.h"
#include "notify.h"

/* Descriptors per relayed connection: two sockets, two pipes. */
#define FDS_PER_CONN 6

static const char usage_text[] =
"Usage: sock464-load [--config FILE] [--cgroup PATH ...] [OPTIONS]\n"
"       sock464-load --check-config [--config FILE] [OPTIONS]\n"
"\n"
"Translate the IPv4 connections of every process in the given cgroups to\n"
"IPv6 through the network's NAT64 (464XLAT at the socket layer).  Runs in\n"
"the foreground until SIGTERM or SIGINT, then detaches and exits 0; SIGHUP\n"
"reads the config file again.\n"
"\n"
"Options (each is also a config file key, without the dashes):\n"
"  -c, --cgroup PATH         serve this cgroup v2 directory and all below it\n"
"                            (repeatable, at most 64)\n"
"  -p, --pref64 PREFIX/LEN   use this NAT64 prefix (RFC 6052 lengths 32, 40,\n"
"                            48, 56, 64, 96) and discover none\n"
"  -p, --pref64 auto         discover the prefix from Router Advertisements\n"
"                            (RFC 8781) and DNS64 (RFC 7050) (the default)\n"
"  -i, --interface IFACE     hear RAs only on this link (repeatable, at most 16)\n"
"      --dns64-server ADDR   ask this resolver for ipv4only.arpa instead of\n"
"                            those in /etc/resolv.conf (repeatable)\n"
"      --no-ra               no discovery from Router Advertisements\n"
"      --no-dns64            no discovery through DNS64\n"
"      --exclude 'CIDR [port LIST]'  never translate these destinations\n"
"                            (repeatable; LIST like 53,8000-8100)\n"
"      --include CIDR        translate these even where a native IPv4 route\n"
"                            exists (repeatable)\n"
"      --wkp-strict yes|no   refuse non-global IPv4 destinations with the\n"
"                            well-known prefix 64:ff9b::/96 (default yes)\n"
"      --unserved-netns refuse|pass  processes of a served cgroup in a network\n"
"                            namespace without a relay: translated connects\n"
"                            fail with ENETUNREACH, or go native (default refuse)\n"
"      --container-fallback yes|no  a container whose network announces no\n"
"                            prefix uses the daemon's (default yes)\n"
"      --control PATH        the control socket (default /run/sock464/control)\n"
"      --pin DIR             pin the programs and maps in bpffs DIR (such as\n"
"                            /sys/fs/bpf/sock464), for systemd's BPFProgram=\n"
"      --max-connections N   relayed TCP connections open at once (default 16384)\n"
"      --max-udp-flows N     relayed UDP flows (application socket and\n"
"                            destination) open at once (default 4096)\n"
"      --udp-idle-timeout S  close a UDP flow idle this many seconds, and free\n"
"                            its destination's alias (default 180)\n"
"      --data-path kernel|relay|auto  how AF_INET traffic is translated: per\n"
"                            packet in the kernel (TC, Linux 6.8+), through the\n"
"                            daemon's relays, or the kernel where it can run\n"
"                            (default relay)\n"
"  -f, --config FILE         read settings from FILE (default " OPT_DEFAULT_CONFIG ",\n"
"                            if it exists); options on the command line win\n"
"      --check-config        check the settings and exit: 0 valid, 1 not\n"
"  -v, --verbose             log every relayed connection, RA and libbpf message\n"
"  -h, --help                show this help and exit\n"
"\n"
"Destinations with a native IPv4 route (all of them, with a default route)\n"
"are not translated.  Without a prefix, translated connects fail with\n"
"ENETUNREACH.  `sock464ctl status` shows the prefixes and the counters.\n"
"\n"
"Examples:\n"
"  sock464-load --cgroup /sys/fs/cgroup/user.slice\n"
"  sock464-load --cgroup /sys/fs/cgroup/user.slice --pref64 64:ff9b::/96\n"
"  sock464-load -c /sys/fs/cgroup/system.slice/app.service -i eth0 \\\n"
"               --dns64-server 2001:db8::53 --exclude '192.0.2.0/24 port 53' -v\n"
"  sock464-load --config /etc/sock464/sock464.conf --check-config\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Long options; each one's name is also its config file key. */
static const struct option longopts[] = {
	{ "cgroup", required_argument, NULL, 'c' },
	{ "pref64", required_argument, NULL, 'p' },
	{ "interface", required_argument, NULL, 'i' },
	{ "dns64-server", required_argument, NULL, 0 },
	{ "no-ra", no_argument, NULL, 0 },
	{ "no-dns64", no_argument, NULL, 0 },
	{ "exclude", required_argument, NULL, 0 },
	{ "include", required_argument, NULL, 0 },
	{ "wkp-strict", required_argument, NULL, 0 },
	{ "unserved-netns", required_argument, NULL, 0 },
	{ "container-fallback", required_argument, NULL, 0 },
	{ "control", required_argument, NULL, 0 },
	{ "pin", required_argument, NULL, 0 },
	{ "max-connections", required_argument, NULL, 0 },
	{ "max-udp-flows", required_argument, NULL, 0 },
	{ "udp-idle-timeout", required_argument, NULL, 0 },
	{ "data-path", required_argument, NULL, 0 },
	{ "verbose", no_argument, NULL, 'v' },
	{ "config", required_argument, NULL, 'f' },
	{ "check-config", no_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

static const char *key_of(int c, int idx)
{
	unsigned int i;

	if (c == 0)
		return longopts[idx].name;
	for (i = 0; longopts[i].name; i++)
		if (longopts[i].val == c)
			return longopts[i].name;
	return NULL;
}

/* The first pass: where the settings come from, and what to do. */
static int parse_mode(int argc, char **argv, struct daemon *d)
{
	int c, idx;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:p:i:f:vh", longopts, &idx)) != -1) {
		switch (c) {
		case 'f':
			snprintf(d->config, sizeof(d->config), "%s", optarg);
			d->config_given = true;
			break;
		case 'k':
			d->check_only = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		}
	}
	if (!d->config_given)
		snprintf(d->config, sizeof(d->config), "%s", OPT_DEFAULT_CONFIG);
	return 0;
}

/*
 * Settings: the defaults, then the config file (the default one only if it
 * exists), then the command line; a list given on the command line
 * replaces the file's.  At start-up and on SIGHUP.  0, or -EINVAL (logged).
 */
static int load_settings(struct daemon *d, struct options *o)
{
	char why[512];
	unsigned int cleared = 0, list;
	const char *key;
	int c, idx, err;

	options_defaults(o);
	err = options_load(o, d->config, why, sizeof(why));
	if (err && (d->config_given || err != -ENOENT)) {
		log_err("%s", why);
		return -EINVAL;
	}
	opterr = 1;
	optind = 1;
	while ((c = getopt_long(d->argc, d->argv, "c:p:i:f:vh", longopts, &idx)) != -1) {
		if (c == 'f' || c == 'k' || c == 'h')
			continue;
		key = c == '?' ? NULL : key_of(c, idx);
		if (!key) {
			usage(stderr);
			return -EINVAL;
		}
		list = options_list_of(key);
		if (list && !(cleared & list)) {
			options_clear_lists(o, list);
			cleared |= list;
		}
		if (options_set(o, key, optarg, why, sizeof(why))) {
			log_err("--%s: %s", key, why);
			return -EINVAL;
		}
	}
	if (optind < d->argc) {
		log_err("unexpected argument '%s'", d->argv[optind]);
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

static void reload(struct daemon *d);

static void on_signal(struct ev_source *src, uint32_t events)
{
	struct daemon *d = container_of(src, struct daemon, signals);
	struct signalfd_siginfo si;

	(void)events;
	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("%s: detaching and exiting", sigabbrev_np(si.ssi_signo));
			d->loop.stop = true;
		} else if (si.ssi_signo == SIGHUP) {
			reload(d);
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

#define PRUNE_MS 10000

static void on_prune(struct timer *t)
{
	struct daemon *d = container_of(t, struct daemon, prune);

	hooks_prune(&d->hooks);
	timer_arm(&d->loop, &d->prune, on_prune, PRUNE_MS);
}

static void after_batch(void *arg)
{
	struct daemon *d = arg;

	relay_tcp_reap(&d->relay);
	containers_reap(d);
}

/* Tell the hooks where this namespace's relay is and which prefix to use. */
static void publish_netns(struct daemon *d)
{
	int err;

	d->netns.flags = (d->opt.wkp_strict ? SOCK464_NS_WKP_STRICT : 0) |
			 (d->xns.running ? SOCK464_NS_KERNEL : 0);
	err = hooks_set_netns(&d->hooks, d->relay.netns_cookie, &d->netns);
	if (err)
		log_err("updating the network namespace map failed: %s", strerror(-err));
}

/* discovery's choice changed: new connections use @p (none if NULL). */
static void publish_prefix(const struct pref64 *p, void *arg)
{
	struct daemon *d = arg;
	struct netns_svc *ns;
	char buf[PREF64_STRLEN];

	memset(d->netns.pref64, 0, sizeof(d->netns.pref64));
	d->netns.plen = 0;
	if (p) {
		memcpy(d->netns.pref64, p->addr, sizeof(d->netns.pref64));
		d->netns.plen = p->plen;
	}
	publish_netns(d);
	for (ns = d->namespaces; ns; ns = ns->next)
		netns_svc_publish(ns);	/* those without a prefix of their own */
	notify("STATUS=PREF64 %s", p ? pref64_format(p, buf, sizeof(buf)) :
	       "none: translated connects fail with ENETUNREACH");
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
	xlat_links_changed(&d->xns);
	if (!d->opt.no_dns64)
		dns64_query_kick(&d->dns);
}

/* 1 if @outer covers @inner (a shorter prefix containing it). */
static int rule_covers(const struct policy_rule *outer, const struct policy_rule *inner)
{
	__u32 mask = outer->plen ? htonl(0xffffffffU << (32 - outer->plen)) : 0;

	return outer->plen < inner->plen && (inner->ip4 & mask) == outer->ip4;
}

/*
 * The trie only finds the most specific rule, so a port-limited exclude
 * carries what applies to its other ports: the ports of broader
 * port-limited excludes are merged in, and the first broader include or
 * all-port exclude is its fallback.
 */
static void rule_entry(const struct options *o, unsigned int i,
		       struct hooks_lpm_entry *e)
{
	const struct policy_rule *r = &o->rules[i], *up;
	struct sock464_rule *v = &e->rule;
	unsigned int j, k, best;
	char buf[128];

	memset(e, 0, sizeof(*e));
	e->ip4 = r->ip4;
	e->plen = r->plen;
	v->action = r->action == RULE_EXCLUDE ? SOCK464_RULE_EXCLUDE : SOCK464_RULE_INCLUDE;
	for (j = 0; j < r->nports; j++) {
		v->ports[j].lo = r->ports[j].lo;
		v->ports[j].hi = r->ports[j].hi;
	}
	v->nports = r->nports;
	if (r->action != RULE_EXCLUDE || !r->nports)
		return;
	for (up = r;;) {
		/* the most specific rule covering the last one */
		best = o->nrules;
		for (j = 0; j < o->nrules; j++)
			if (rule_covers(&o->rules[j], up) &&
			    (best == o->nrules || o->rules[j].plen > o->rules[best].plen))
				best = j;
		if (best == o->nrules)
			return;
		up = &o->rules[best];
		if (up->action == RULE_INCLUDE || !up->nports) {
			v->fallback = up->action == RULE_INCLUDE ? SOCK464_RULE_INCLUDE :
								   SOCK464_RULE_EXCLUDE;
			return;
		}
		for (k = 0; k < up->nports; k++) {
			if (v->nports == SOCK464_RULE_PORTS) {
				log_warn("%s: more than %d port ranges with the broader "
					 "excludes; the rest are not applied to it",
					 policy_rule_format(r, buf, sizeof(buf)),
					 SOCK464_RULE_PORTS);
				return;
			}
			v->ports[v->nports].lo = up->ports[k].lo;
			v->ports[v->nports].hi = up->ports[k].hi;
			v->nports++;
		}
	}
}

int publish_rules_for(struct daemon *d, uint64_t cookie)
{
	static struct hooks_lpm_entry e[OPT_MAX_RULES];
	unsigned int i;
	int err;

	for (i = 0; i < d->opt.nrules; i++)
		rule_entry(&d->opt, i, &e[i]);
	err = hooks_set_rules(&d->hooks, cookie, e, d->opt.nrules);
	if (err)
		log_err("updating the include/exclude rules failed: %s", strerror(-err));
	return err;
}

/* The rules for every namespace served; the hooks' other settings. */
static int publish_rules(struct daemon *d)
{
	struct netns_svc *ns;
	int err = publish_rules_for(d, d->relay.netns_cookie);

	for (ns = d->namespaces; ns && !err; ns = ns->next)
		err = publish_rules_for(d, ns->cookie);
	if (!err)
		err = hooks_set_pass_unserved(&d->hooks, d->opt.pass_unserved);
	return err;
}

static void on_routes(void *arg)
{
	struct daemon *d = arg;

	routes_changed(&d->routes);
}

static int cgroup_listed(const struct options *o, const char *path)
{
	unsigned int i;

	for (i = 0; i < o->ncgroups; i++)
		if (!strcmp(o->cgroups[i], path))
			return 1;
	return 0;
}

/*
 * SIGHUP: read the settings again.  A file with errors changes nothing.
 * Policy, a static prefix, the cgroups served and the UDP idle timeout
 * change at once, without touching established connections; the rest
 * takes a restart, and the log says so.
 */
static void reload(struct daemon *d)
{
	static struct options n;
	struct options *o = &d->opt;
	struct netns_svc *ns;
	unsigned int i;

	log_info("SIGHUP: reading %s and the command line again", d->config);
	notify("RELOADING=1");
	if (load_settings(d, &n)) {
		log_err("the new settings have errors: keeping the running ones");
		notify("READY=1");
		return;
	}
	if (n.have_pref64 != o->have_pref64 || strcmp(n.control, o->control) ||
	    strcmp(n.dns64_servers, o->dns64_servers) || n.no_ra != o->no_ra ||
	    n.no_dns64 != o->no_dns64 || n.ninterfaces != o->ninterfaces ||
	    memcmp(n.interfaces, o->interfaces, sizeof(n.interfaces)) ||
	    n.max_conns != o->max_conns || n.max_udp_flows != o->max_udp_flows)
		log_warn("changes to pref64 auto/static, control, dns64-server, no-ra, "
			 "no-dns64, interface and the limits take effect after a restart");
	for (i = 0; i < o->ncgroups; i++)
		if (!cgroup_listed(&n, o->cgroups[i]) && !hooks_detach(&d->hooks, o->cgroups[i]))
			log_info("no longer serving cgroup %s", o->cgroups[i]);
	for (i = 0; i < n.ncgroups; i++)
		if (!cgroup_listed(o, n.cgroups[i]) && !hooks_attach(&d->hooks, n.cgroups[i], HOOKS_ALL))
			log_info("serving cgroup %s", n.cgroups[i]);
	if (o->have_pref64 && n.have_pref64 &&
	    (o->pref64.plen != n.pref64.plen ||
	     memcmp(o->pref64.addr, n.pref64.addr, sizeof(n.pref64.addr)))) {
		discovery_learn(&d->disc, &n.pref64, PREF64_STATIC, 0, PREF64_NEVER_S);
		discovery_learn(&d->disc, &o->pref64, PREF64_STATIC, 0, 0);
		o->pref64 = n.pref64;
	}
	memcpy(o->rules, n.rules, sizeof(n.rules));
	o->nrules = n.nrules;
	o->wkp_strict = n.wkp_strict;
	o->pass_unserved = n.pass_unserved;
	o->container_fallback = n.container_fallback;
	o->udp_idle_s = n.udp_idle_s;
	d->udp.idle_ms = (uint64_t)n.udp_idle_s * 1000;
	o->verbose = n.verbose;
	log_threshold = o->verbose ? LOG_DEBUG : LOG_INFO;
	memcpy(o->cgroups, n.cgroups, sizeof(n.cgroups));
	o->ncgroups = n.ncgroups;
	publish_netns(d);
	for (ns = d->namespaces; ns; ns = ns->next)
		netns_svc_publish(ns);
	if (!publish_rules(d))
		log_info("settings applied: %u include/exclude rules, wkp-strict %s",
			 o->nrules, o->wkp_strict ? "yes" : "no");
	notify("READY=1");
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
	err = 0;
	if (!o->no_ra) {
		const char *names[OPT_MAX_INTERFACES];
		unsigned int i;

		for (i = 0; i < o->ninterfaces; i++)
			names[i] = o->interfaces[i];
		err = ra_listen_set_interfaces(&d->ra, names, o->ninterfaces);
		if (!err)
			err = ra_listen_start(&d->ra, &d->loop, &d->disc, -1);
	}
	if (!err && !o->no_dns64)
		err = dns64_query_start(&d->dns, &d->loop, &d->disc,
					o->dns64_servers[0] ? o->dns64_servers : NULL, -1);
	if (!err)
		log_info("discovering PREF64 from %s%s%s; until one is known, translated "
			 "connects fail with ENETUNREACH",
			 o->no_ra ? "" : "Router Advertisements",
			 !o->no_ra && !o->no_dns64 ? " and " : "",
			 o->no_dns64 ? "" : "DNS64 (ipv4only.arpa)");
	return err;
}

/*
 * data-path kernel or auto: the TC translator in our namespace.  Its
 * state file (the sysctls' old values) sits beside the control socket.
 */
static int start_kernel_path(struct daemon *d)
{
	char state[OPT_PATH_MAX + 16];
	const char *slash = strrchr(d->opt.control, '/');
	int err;

	if (d->opt.data_path == DATA_PATH_RELAY)
		return 0;
	snprintf(state, sizeof(state), "%.*s/xlat.state",
		 slash ? (int)(slash - d->opt.control) : 1, slash ? d->opt.control : ".");
	err = xlat_load(&d->xlat, &d->hooks, d->opt.verbose);
	if (!err)
		err = xlat_start(&d->xns, &d->xlat, -1, d->relay.netns_cookie, state);
	if (!err) {
		log_info("data path: kernel");
		return 0;
	}
	if (d->opt.data_path == DATA_PATH_KERNEL)
		return err;
	log_warn("data path: the relays (the kernel path cannot run here: %s)",
		 strerror(-err));
	return 0;
}

/* At exit: the status (counters included), line by line, into the log. */
static void log_counters(struct daemon *d)
{
	char *buf = NULL, *line, *save = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (!out)
		return;
	status_write(d, out, false);
	fclose(out);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_info("%s", line);
	free(buf);
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
	d.argc = argc;
	d.argv = argv;
	parse_mode(argc, argv, &d);
	if (load_settings(&d, &d.opt))
		return d.check_only ? 1 : 2;
	if (check_cgroups(&d.opt))
		return 1;
	if (d.check_only) {
		printf("%s and the command line: valid (%u cgroups, %u include/exclude rules, "
		       "PREF64 %s)\n", d.config_given ? d.config : "defaults",
		       d.opt.ncgroups, d.opt.nrules, d.opt.have_pref64 ? "static" : "auto");
		return 0;
	}
	if (d.opt.verbose)
		log_threshold = LOG_DEBUG;
	if (!d.opt.ncgroups)
		log_info("no cgroup given (--cgroup, or 'cgroup' in %s): serving only what is "
			 "attached later (sock464ctl attach, containers)", d.config);
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
	err = hooks_load(&d.hooks, d.opt.verbose, d.opt.pin[0] ? d.opt.pin : NULL);
	if (err)
		goto out;
	err = netns_init();
	if (err) {
		log_err("opening the daemon's network namespace failed: %s", strerror(-err));
		goto out;
	}
	err = relay_tcp_start(&d.relay, &d.loop, &d.hooks, d.opt.max_conns, -1);
	if (err)
		goto out;
	d.loop.after_batch = after_batch;
	d.loop.after_batch_arg = &d;
	err = relay_udp_start(&d.udp, &d.loop, &d.hooks, d.relay.netns_cookie,
			      d.opt.max_udp_flows, d.opt.udp_idle_s, -1);
	if (err)
		goto out;
	d.netns.tcp_port = d.relay.port;
	d.netns.relay_ip4 = d.relay.addr;
	d.netns.udp_port = d.udp.port;
	d.control.handle = daemon_request;
	d.control.subscribers = daemon_subscribers;
	d.control.arg = &d;
	err = control_start(&d.control, &d.loop, d.opt.control);
	if (!err)
		err = trace_start(&d.trace, &d.loop, &d.hooks, &d.control);
	if (!err)
		err = start_kernel_path(&d);
	if (err)
		goto out;

	/* The policy first, so that the first connect is already decided right. */
	d.routes = (struct routes){ .loop = &d.loop, .hooks = &d.hooks,
				    .netns = d.relay.netns_cookie, .netns_fd = -1 };
	d.nl.on_nd_options = on_nd_options;
	d.nl.on_change = on_net_change;
	d.nl.on_routes = on_routes;
	d.nl.arg = &d;
	err = nl_watch_start(&d.nl, &d.loop);
	if (!err)
		err = routes_sync(&d.routes);
	if (!err)
		err = publish_rules(&d);
	if (err)
		goto out;
	publish_netns(&d);
	err = start_discovery(&d);
	if (err)
		goto out;
	for (i = 0; i < d.opt.ncgroups; i++) {
		err = hooks_attach(&d.hooks, d.opt.cgroups[i], HOOKS_ALL);
		if (err)
			goto out;
		log_info("serving cgroup %s", d.opt.cgroups[i]);
	}
	log_info("TCP relay on 127.46.0.1:%u, UDP relay on 127.46.0.0/16 port %u",
		 ntohs(d.relay.port), ntohs(d.udp.port));
	/* Hooks attached, and a prefix known or its discovery started. */
	notify("READY=1");
	timer_arm(&d.loop, &d.prune, on_prune, PRUNE_MS);

	err = loop_run(&d.loop);
	if (err)
		log_err("event loop failed: %s", strerror(-err));
	notify("STOPPING=1");
	log_counters(&d);
out:
	/*
	 * Detach first, so that no new connection is sent to a closing relay;
	 * programs others attached from the pins now refuse (ENETUNREACH).
	 */
	if (d.hooks.skel)
		hooks_del_netns(&d.hooks, d.relay.netns_cookie);
	trace_stop(&d.trace);
	containers_stop(&d);
	xlat_stop(&d.xns);
	if (d.xlat.skel)
		xlat_destroy(&d.xlat);
	hooks_destroy(&d.hooks);
	dns64_query_stop(&d.dns);
	ra_listen_stop(&d.ra);
	routes_stop(&d.routes);
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
