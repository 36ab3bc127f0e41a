// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * "status" and "status json" on the control socket: the prefixes known
 * and the one in use, the served cgroups, discovery, relay and counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

static const char *const counter_names[] = SOCK464_COUNTER_NAMES;

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* The served containers: name, cgroup, relays, prefix and whose it is. */
static void containers_write(const struct daemon *d, FILE *out, bool json)
{
	const struct container *c;
	const struct netns_svc *ns;
	struct pref64 p;
	char buf[PREF64_STRLEN];

	if (json)
		fputs(",\"containers\":[", out);
	for (c = d->containers; c; c = c->next) {
		ns = c->ns;
		snprintf(buf, sizeof(buf), "the daemon's");
		if (ns && ns->cfg.plen) {
			p.plen = ns->cfg.plen;
			memcpy(p.addr, ns->cfg.pref64, sizeof(p.addr));
			pref64_format(&p, buf, sizeof(buf));
		} else if (ns) {
			snprintf(buf, sizeof(buf), "none");
		}
		if (json) {
			fprintf(out, "%s{\"name\":", c == d->containers ? "" : ",");
			json_str(out, c->name);
			fputs(",\"cgroup\":", out);
			json_str(out, c->cgroup);
			fprintf(out, ",\"netns_cookie\":%llu,\"tcp_port\":%u,\"udp_port\":%u,"
				"\"pref64\":\"%s\",\"own_prefix\":%s}",
				(unsigned long long)(ns ? ns->cookie : d->relay.netns_cookie),
				ntohs(ns ? ns->tcp.port : d->relay.port),
				ntohs(ns ? ns->udp.port : d->udp.port), buf,
				ns && ns->disc.have_best ? "true" : "false");
		} else if (ns) {
			fprintf(out, "container %s: cgroup %s, relay 127.46.0.1:%u and UDP port %u "
				"in its namespace (%u container%s), PREF64 %s%s\n", c->name,
				c->cgroup, ntohs(ns->tcp.port), ntohs(ns->udp.port), ns->refs,
				ns->refs == 1 ? "" : "s", buf,
				ns->disc.have_best ? " (its own)" : ns->cfg.plen ? " (the daemon's)" : "");
		} else {
			fprintf(out, "container %s: cgroup %s, in the daemon's network namespace\n",
				c->name, c->cgroup);
		}
	}
	if (json)
		fputs("]", out);
}

/* One figure of a status section, named for JSON and for the text line. */
struct figure {
	const char *json, *text;	/* text NULL: in the line's head only */
	unsigned long long v;
};

/*
 * A section as text ("NAME: HEAD, 1 open, 2 accepted, ...") or as a JSON
 * member ("NAME":{"port":1,"open":1,...}).
 */
static void figures_write(FILE *out, bool json, const char *name, const char *head,
			  const struct figure *f, size_t n)
{
	size_t i;

	if (json)
		fprintf(out, ",\"%s\":{", name);
	else
		fprintf(out, "%s: %s", name, head);
	for (i = 0; i < n; i++) {
		if (json)
			fprintf(out, "%s\"%s\":%llu", i ? "," : "", f[i].json, f[i].v);
		else if (f[i].text)
			fprintf(out, ", %llu %s", f[i].v, f[i].text);
	}
	fputs(json ? "}" : "\n", out);
}

/* The TCP and UDP relays of the daemon's own namespace. */
static void relays_write(const struct daemon *d, FILE *out, bool json)
{
	const struct relay_tcp_stats *t = &d->relay.stats;
	const struct relay_udp_stats *u = &d->udp.stats;
	const struct figure tcp[] = {
		{ "port", NULL, ntohs(d->relay.port) },
		{ "open", "open", d->relay.nconns },
		{ "accepted", "accepted", t->accepted },
		{ "completed", "completed", t->completed },
		{ "reset", "reset", t->reset },
		{ "upstream_failed", "upstream failed", t->upstream_failed },
		{ "unknown", "unknown", t->unknown },
		{ "over_limit", "over limit", t->over_limit },
	};
	const struct figure udp[] = {
		{ "port", NULL, ntohs(d->udp.port) },
		{ "open", "flows open", d->udp.nflows },
		{ "destinations", "destinations mapped", d->udp.aliases },
		{ "flows", "flows", u->flows },
		{ "expired", "expired", u->expired },
		{ "datagrams_out", "datagrams out", u->datagrams_out },
		{ "datagrams_in", "in", u->datagrams_in },
		{ "errors", "errors passed back", u->errors },
		{ "unknown", "unknown", u->unknown },
		{ "over_limit", "over limit", u->over_limit },
	};
	char head[32];

	snprintf(head, sizeof(head), "127.46.0.1:%u", ntohs(d->relay.port));
	figures_write(out, json, "relay", head, tcp, sizeof(tcp) / sizeof(tcp[0]));
	snprintf(head, sizeof(head), "port %u", ntohs(d->udp.port));
	figures_write(out, json, "udp", head, udp, sizeof(udp) / sizeof(udp[0]));
}

/* Seconds left, or -1 for never. */
static long long remaining_s(const struct pref64_entry *e, uint64_t now)
{
	if (e->expires_ms == PREF64_NEVER)
		return -1;
	return e->expires_ms > now ? (long long)(e->expires_ms - now + 999) / 1000 : 0;
}

static int in_use(const struct daemon *d, const struct pref64_entry *e)
{
	return d->disc.have_best && e->src == d->disc.best.src &&
	       e->ifindex == d->disc.best.ifindex && e->p.plen == d->disc.best.p.plen &&
	       !memcmp(e->p.addr, d->disc.best.p.addr, sizeof(e->p.addr));
}

static const char *mode(const struct daemon *d)
{
	if (d->opt.have_pref64)
		return "static";
	if (d->opt.no_ra && d->opt.no_dns64)
		return "none";
	return d->opt.no_ra ? "dns64" : d->opt.no_dns64 ? "ra" : "ra+dns64";
}

static void status_text(struct daemon *d, FILE *out, const __u64 *cnt)
{
	uint64_t now = loop_now_ms();
	char p[PREF64_STRLEN], ifn[16];
	unsigned int i;

	fprintf(out, "sock464-load: pid %d, up %llu s, PREF64 discovery: %s\n",
		getpid(), (unsigned long long)(now - d->started_ms) / 1000, mode(d));
	for (i = 0; i < d->hooks.ncgroups; i++)
		fprintf(out, "cgroup: %s\n", d->hooks.cgroups[i].path);
	if (d->disc.have_best)
		fprintf(out, "PREF64 in use: %s (source %s)\n",
			pref64_format(&d->disc.best.p, p, sizeof(p)),
			pref64_source_name(d->disc.best.src));
	else
		fprintf(out, "PREF64 in use: none (translated connects fail with ENETUNREACH)\n");
	for (i = 0; i < d->disc.set.n; i++) {
		const struct pref64_entry *e = &d->disc.set.e[i];
		long long left = remaining_s(e, now);
		char life[32] = "forever";

		if (left >= 0)
			snprintf(life, sizeof(life), "%lld s", left);
		fprintf(out, "  prefix %-28s source %-6s interface %-8s lifetime %s%s\n",
			pref64_format(&e->p, p, sizeof(p)), pref64_source_name(e->src),
			discovery_ifname(e->ifindex, ifn), life,
			in_use(d, e) ? "  (in use)" : "");
	}
	if (!d->opt.have_pref64) {
		if (!d->opt.no_ra)
			fprintf(out, "RA: %llu heard, %llu ignored\n",
				(unsigned long long)d->ra.heard,
				(unsigned long long)d->ra.ignored);
		if (!d->opt.no_dns64)
			fprintf(out, "DNS64: %llu answers, %llu failures%s%s\n",
				(unsigned long long)d->dns.answers,
				(unsigned long long)d->dns.failures,
				d->dns.last_error[0] ? ", last: " : "", d->dns.last_error);
	}
	containers_write(d, out, false);
	fprintf(out, "policy: %u include/exclude rules, %u IPv4 routes mirrored, "
		"IPv4 default route %s, wkp-strict %s\n", d->opt.nrules, d->routes.count,
		d->routes.has_default ? "yes (dual-stack: nothing translated)" : "no",
		d->opt.wkp_strict ? "yes" : "no");
	for (i = 0; i < d->opt.nrules; i++) {
		char rule[128];

		fprintf(out, "  %s\n", policy_rule_format(&d->opt.rules[i], rule, sizeof(rule)));
	}
	relays_write(d, out, false);
	xlat_status_write(&d->xns, out, false);
	fprintf(out, "counters:");
	for (i = 0; i < SOCK464_CNT_MAX; i++)
		fprintf(out, " %s=%llu", counter_names[i], (unsigned long long)cnt[i]);
	fputc('\n', out);
}

static void per_cgroup_write(struct daemon *d, FILE *out, bool json);

static void status_json(struct daemon *d, FILE *out, const __u64 *cnt)
{
	uint64_t now = loop_now_ms();
	char p[PREF64_STRLEN], ifn[16];
	unsigned int i;

	fprintf(out, "{\"pid\":%d,\"uptime_s\":%llu,\"discovery\":\"%s\",\"cgroups\":[",
		getpid(), (unsigned long long)(now - d->started_ms) / 1000, mode(d));
	for (i = 0; i < d->hooks.ncgroups; i++) {
		fputs(i ? "," : "", out);
		json_str(out, d->hooks.cgroups[i].path);
	}
	fputs("]", out);
	containers_write(d, out, true);
	fputs(",\"pref64\":", out);
	if (d->disc.have_best)
		fprintf(out, "{\"prefix\":\"%s\",\"source\":\"%s\"}",
			pref64_format(&d->disc.best.p, p, sizeof(p)),
			pref64_source_name(d->disc.best.src));
	else
		fputs("null", out);
	fputs(",\"prefixes\":[", out);
	for (i = 0; i < d->disc.set.n; i++) {
		const struct pref64_entry *e = &d->disc.set.e[i];
		long long left = remaining_s(e, now);

		fprintf(out, "%s{\"prefix\":\"%s\",\"source\":\"%s\",\"interface\":",
			i ? "," : "", pref64_format(&e->p, p, sizeof(p)),
			pref64_source_name(e->src));
		if (e->ifindex)
			json_str(out, discovery_ifname(e->ifindex, ifn));
		else
			fputs("null", out);
		if (left >= 0)
			fprintf(out, ",\"lifetime_s\":%lld", left);
		else
			fputs(",\"lifetime_s\":null", out);
		fprintf(out, ",\"in_use\":%s}", in_use(d, e) ? "true" : "false");
	}
	fprintf(out, "],\"policy\":{\"routes\":%u,\"default_route\":%s,"
		"\"wkp_strict\":%s,\"rules\":[", d->routes.count,
		d->routes.has_default ? "true" : "false", d->opt.wkp_strict ? "true" : "false");
	for (i = 0; i < d->opt.nrules; i++) {
		char rule[128];

		fputs(i ? "," : "", out);
		json_str(out, policy_rule_format(&d->opt.rules[i], rule, sizeof(rule)));
	}
	fprintf(out, "]},\"ra\":{\"heard\":%llu,\"ignored\":%llu}",
		(unsigned long long)d->ra.heard, (unsigned long long)d->ra.ignored);
	fprintf(out, ",\"dns64\":{\"answers\":%llu,\"failures\":%llu,\"last_error\":",
		(unsigned long long)d->dns.answers, (unsigned long long)d->dns.failures);
	json_str(out, d->dns.last_error);
	fputs("}", out);
	relays_write(d, out, true);
	xlat_status_write(&d->xns, out, true);
	fputs(",\"counters\":{", out);
	for (i = 0; i < SOCK464_CNT_MAX; i++)
		fprintf(out, "%s\"%s\":%llu", i ? "," : "", counter_names[i],
			(unsigned long long)cnt[i]);
	fputs("}", out);
	per_cgroup_write(d, out, true);
	fputs("}\n", out);
}

/* The counters of every cgroup below each attached one, summed. */
struct per_cgroup {
	struct daemon *d;
	__u64 c[HOOKS_MAX_CGROUPS][SOCK464_CNT_MAX];
};

static void add_cgroup(__u64 cgid, const __u64 c[SOCK464_CNT_MAX], void *arg)
{
	struct per_cgroup *pc = arg;
	const char *path = hooks_cgroup_path(&pc->d->hooks, cgid);
	unsigned int i, j;
	size_t len;

	for (i = 0; i < pc->d->hooks.ncgroups; i++) {
		const char *top = pc->d->hooks.cgroups[i].path;

		len = strlen(top);
		if (!strncmp(path, top, len) && (path[len] == '\0' || path[len] == '/'))
			for (j = 0; j < SOCK464_CNT_MAX; j++)
				pc->c[i][j] += c[j];
	}
}

static void per_cgroup_write(struct daemon *d, FILE *out, bool json)
{
	static struct per_cgroup pc;
	unsigned int i, j;

	memset(&pc, 0, sizeof(pc));
	pc.d = d;
	hooks_cg_counters(&d->hooks, add_cgroup, &pc);
	if (json)
		fputs(",\"cgroup_counters\":{", out);
	for (i = 0; i < d->hooks.ncgroups; i++) {
		if (json) {
			fputs(i ? "," : "", out);
			json_str(out, d->hooks.cgroups[i].path);
			fputs(":{", out);
		} else {
			fprintf(out, "counters of %s:", d->hooks.cgroups[i].path);
		}
		for (j = 0; j < SOCK464_CNT_MAX; j++) {
			if (j == SOCK464_CNT_PEER_SHOWN || j == SOCK464_CNT_PENDING_LOST ||
			    j == SOCK464_CNT_INCLUDED)
				continue;	/* not decisions; counted in total only */
			if (json)
				fprintf(out, "%s\"%s\":%llu", j ? "," : "", counter_names[j],
					(unsigned long long)pc.c[i][j]);
			else
				fprintf(out, " %s=%llu", counter_names[j],
					(unsigned long long)pc.c[i][j]);
		}
		fputs(json ? "}" : "\n", out);
	}
	if (json)
		fputs("}", out);
}

int status_write(struct daemon *d, FILE *out, bool json)
{
	__u64 cnt[SOCK464_CNT_MAX];
	int err;

	hooks_prune(&d->hooks);		/* report only cgroups that exist */
	err = hooks_counters(&d->hooks, cnt);
	if (err)
		return err;
	if (json) {
		status_json(d, out, cnt);
	} else {
		status_text(d, out, cnt);
		per_cgroup_write(d, out, false);
	}
	return 0;
}
