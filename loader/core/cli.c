// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "log.h"

static const char usage_text[] =
"Usage: sock464-load [--config FILE] [--cgroup PATH ...] [OPTIONS]\n"
"       sock464-load --check-config [--config FILE] [OPTIONS]\n"
"       sock464-load --purge [--pin DIR] [--control PATH]\n"
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
"      --data-path auto|relay|kernel  how translated connections travel:\n"
"                            through the daemon's relays, or per packet in the\n"
"                            kernel (TC programs; relays as the fallback); auto\n"
"                            (default): the kernel path where this kernel runs\n"
"                            it, else the relays\n"
"      --tc-attach auto|tcx|clsact  how the kernel data path attaches its TC\n"
"                            programs (auto: tcx on 6.6+, else clsact)\n"
"      --control PATH        the control socket (default /run/sock464/control;\n"
"                            only a stale socket there is replaced)\n"
"      --pin DIR             pin the programs and maps in bpffs DIR (such as\n"
"                            /sys/fs/bpf/sock464), for systemd's BPFProgram=;\n"
"                            on the kernel path, established connections then\n"
"                            outlive a stop or restart of the daemon\n"
"      --user NAME           once started, run as user NAME (with only the\n"
"                            capabilities it still needs; see sock464-load(8))\n"
"      --max-connections N   relayed TCP connections open at once (default 16384)\n"
"      --max-udp-flows N     relayed UDP flows (application socket and\n"
"                            destination) open at once (default 4096)\n"
"      --max-udp-flows-per-cgroup N  of those, at most N for the sockets of\n"
"                            one cgroup (default 1024)\n"
"      --udp-idle-timeout S  close a UDP flow idle this many seconds, and free\n"
"                            its destination's alias (default 180)\n"
"  -f, --config FILE         read settings from FILE (default " OPT_DEFAULT_CONFIG ",\n"
"                            if it exists); options on the command line win\n"
"      --check-config        check the settings and exit: 0 valid, 1 not\n"
"      --purge               remove what a daemon with --pin left (its pins in\n"
"                            DIR, TC programs, rules, route; sysctls restored)\n"
"                            in this network namespace, and exit: 0 done, 1 not\n"
"  -v, --verbose             log every relayed connection, RA and libbpf message\n"
"  -h, --help                show this help and exit\n"
"      --version             print the version and exit\n"
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
"  sock464-load --config /etc/sock464/sock464.conf --check-config\n"
"  systemctl stop sock464 && sock464-load --purge --pin /sys/fs/bpf/sock464\n";

/* What only the command line has: where the settings come from, and what to do. */
enum { MODE_CONFIG = 'f', MODE_CHECK = 'k', MODE_HELP = 'h', MODE_VERSION = 'V',
       MODE_PURGE = 'P', SETTING_BASE = 256 };

#define NSETTINGS_MAX 64
#define NMODES 5
static struct option longopts[NSETTINGS_MAX + NMODES + 1];
static char shortopts[2 * NSETTINGS_MAX + 8];

/* getopt_long's tables, from the settings table; a setting is SETTING_BASE + index. */
static void build_getopt(void)
{
	static const struct option modes[] = {
		{ "config", required_argument, NULL, MODE_CONFIG },
		{ "check-config", no_argument, NULL, MODE_CHECK },
		{ "help", no_argument, NULL, MODE_HELP },
		{ "version", no_argument, NULL, MODE_VERSION },
		{ "purge", no_argument, NULL, MODE_PURGE },
	};
	size_t i, n = 0, k;

	if (longopts[0].name)
		return;
	for (i = 0; settings[i].name && i < NSETTINGS_MAX; i++) {
		longopts[i] = (struct option){ settings[i].name,
			settings[i].has_arg ? required_argument : no_argument, NULL,
			(int)(SETTING_BASE + i) };
		if (settings[i].short_opt) {
			shortopts[n++] = settings[i].short_opt;
			if (settings[i].has_arg)
				shortopts[n++] = ':';
		}
	}
	for (k = 0; k < NMODES; k++)
		longopts[i + k] = modes[k];
	strcat(shortopts, "f:h");
}

/* The setting getopt_long returned as @c, or NULL for a mode or an error. */
static const struct setting *setting_of(int c)
{
	size_t i;

	if (c >= SETTING_BASE)
		return &settings[c - SETTING_BASE];
	for (i = 0; settings[i].name; i++)
		if (settings[i].short_opt && settings[i].short_opt == c)
			return &settings[i];
	return NULL;
}

void cli_parse_mode(struct daemon *d)
{
	int c;

	build_getopt();
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(d->argc, d->argv, shortopts, longopts, NULL)) != -1) {
		if (c == MODE_CONFIG) {
			snprintf(d->config, sizeof(d->config), "%s", optarg);
			d->config_given = true;
		} else if (c == MODE_CHECK) {
			d->check_only = true;
		} else if (c == MODE_PURGE) {
			d->purge = true;
		} else if (c == MODE_HELP) {
			fputs(usage_text, stdout);
			exit(0);
		} else if (c == MODE_VERSION) {
			printf("sock464-load %s\n", SOCK464_VERSION);
			exit(0);
		}
	}
	if (!d->config_given)
		snprintf(d->config, sizeof(d->config), "%s", OPT_DEFAULT_CONFIG);
}

int cli_load_settings(struct daemon *d, struct options *o)
{
	const struct setting *s;
	unsigned int cleared = 0;
	char why[512];
	int c, err;

	build_getopt();
	options_defaults(o);
	err = options_load(o, d->config, why, sizeof(why));
	if (err && (d->config_given || err != -ENOENT)) {
		log_err("%s", why);
		return -EINVAL;
	}
	opterr = 1;
	optind = 1;
	while ((c = getopt_long(d->argc, d->argv, shortopts, longopts, NULL)) != -1) {
		if (c == MODE_CONFIG || c == MODE_CHECK || c == MODE_HELP || c == MODE_VERSION ||
		    c == MODE_PURGE)
			continue;
		s = setting_of(c);
		if (!s) {
			fputs(usage_text, stderr);
			return -EINVAL;
		}
		if (s->list && !(cleared & s->list)) {
			options_clear_lists(o, s->list);
			cleared |= s->list;
		}
		if (s->parse(o, optarg, why, sizeof(why))) {
			log_err("--%s: %s", s->name, why);
			return -EINVAL;
		}
	}
	if (optind < d->argc) {
		log_err("unexpected argument '%s'", d->argv[optind]);
		return -EINVAL;
	}
	return 0;
}
