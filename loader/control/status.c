// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * "status" and "status json" on the control socket: the prefixes known
 * and the one in use, the served cgroups and containers, discovery, the
 * policy, the data path and the counters.  Each field is written once,
 * with its JSON value and its text, by sw_field(); the writer (sw.c) puts
 * either in place.
 */
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "datapath.h"
#include "status.h"
#include "sw.h"

#define COUNTER_DESC(id, name, flags, trace) [SOCK464_CNT_##id] = { name, flags, trace },
const struct counter_desc counter_descs[SOCK464_CNT_MAX] = {
	SOCK464_COUNTERS(COUNTER_DESC)
};
#undef COUNTER_DESC

static const char *mode(const struct daemon *d)
{
	if (d->opt.have_pref64)
		return "static";
	if (d->opt.no_ra && d->opt.no_dns64)
		return "none";
	return d->opt.no_ra ? "dns64" : d->opt.no_dns64 ? "ra" : "ra+dns64";
}

static void head_write(struct sw *w, const struct daemon *d, uint64_t now)
{
	unsigned int i;

	sw_begin(w, NULL, "sock464-load: ", ", ");
	sw_u64(w, "pid", "pid %llu", getpid());
	sw_u64(w, "uptime_s", "up %llu s", (now - d->started_ms) / 1000);
	sw_str(w, "discovery", "PREF64 discovery: %s", mode(d));
	sw_line(w);
	sw_list(w, "cgroups");
	for (i = 0; i < d->hooks.ncgroups; i++)
		sw_str(w, NULL, "cgroup: %s\n", d->hooks.cgroups[i].path);
	sw_end(w);
}

/* One served container: name, cgroup, where its data path is, its prefix. */
static void container_write(struct sw *w, const struct daemon *d, const struct container *c)
{
	const struct netns_svc *ns = c->ns;
	bool own = ns == d->env.own;
	char where[160], pref[PREF64_STRLEN] = "none";
	struct pref64 buf;
	const struct pref64 *p = netns_svc_prefix(ns, &buf);

	if (own)
		snprintf(pref, sizeof(pref), "the daemon's");
	else if (p)
		pref64_format(p, pref, sizeof(pref));
	d->env.dp->describe(ns, where, sizeof(where));
	sw_begin(w, NULL, "container ", "");
	sw_str(w, "name", "%s:", c->name);
	sw_str(w, "cgroup", " cgroup %s", c->cgroup);
	sw_u64(w, "netns_cookie", NULL, ns->cookie);
	sw_u64(w, "tcp_port", NULL, ntohs(ns->entry.tcp_port));
	sw_u64(w, "udp_port", NULL, ntohs(ns->entry.udp_port));
	if (own) {
		sw_str(w, NULL, ", %s", "in the daemon's network namespace");
	} else {
		sw_str(w, NULL, ", %s", where);
		sw_text(w, " in its namespace (%u container%s)", ns->refs, ns->refs == 1 ? "" : "s");
	}
	sw_str(w, "pref64", own ? NULL : ", PREF64 %s", pref);
	sw_bool(w, "own_prefix", !own && ns->disc.have_best, own ? NULL : ns->disc.have_best ?
		" (its own)" : p ? " (the daemon's)" : "");
	sw_end(w);
}

static void containers_write(struct sw *w, const struct daemon *d)
{
	const struct container *c;

	sw_list(w, "containers");
	for (c = d->containers; c; c = c->next)
		container_write(w, d, c);
	sw_end(w);
}

static bool in_use(const struct discovery *disc, const struct pref64_entry *e)
{
	return disc->have_best && e->src == disc->best.src &&
	       e->ifindex == disc->best.ifindex && e->p.plen == disc->best.p.plen &&
	       !memcmp(e->p.addr, disc->best.p.addr, sizeof(e->p.addr));
}

/* One prefix known: its source, interface, lifetime left, whether in use. */
static void prefix_write(struct sw *w, const struct discovery *disc,
			 const struct pref64_entry *e, uint64_t now)
{
	char p[PREF64_STRLEN], ifn[16], life[32] = "forever", text[48], j[24];
	long long left = e->expires_ms == PREF64_NEVER ? -1 : e->expires_ms > now ?
			 (long long)(e->expires_ms - now + 999) / 1000 : 0;

	if (left >= 0)
		snprintf(life, sizeof(life), "%lld s", left);
	sw_begin(w, NULL, "  prefix ", "");
	sw_str(w, "prefix", "%-28s", pref64_format(&e->p, p, sizeof(p)));
	sw_str(w, "source", " source %-6s", pref64_source_name(e->src));
	snprintf(text, sizeof(text), " interface %-8s", discovery_ifname(e->ifindex, ifn));
	if (e->ifindex)
		sw_str(w, "interface", " interface %-8s", ifn);
	else
		sw_raw(w, "interface", "null", text);
	snprintf(j, sizeof(j), "%lld", left);
	snprintf(text, sizeof(text), " lifetime %s", life);
	sw_raw(w, "lifetime_s", left >= 0 ? j : "null", text);
	sw_u64(w, "age_s", NULL, (now > e->learned_ms ? now - e->learned_ms : 0) / 1000);
	sw_bool(w, "in_use", in_use(disc, e), in_use(disc, e) ? "  (in use)" : "");
	sw_end(w);
}

static void prefixes_write(struct sw *w, const struct daemon *d, uint64_t now)
{
	const struct discovery *disc = &d->env.own->disc;
	char p[PREF64_STRLEN];
	unsigned int i;

	if (disc->have_best) {
		sw_begin(w, "pref64", "PREF64 in use: ", "");
		sw_str(w, "prefix", "%s", pref64_format(&disc->best.p, p, sizeof(p)));
		sw_str(w, "source", " (source %s)", pref64_source_name(disc->best.src));
		sw_end(w);
	} else {
		sw_raw(w, "pref64", "null", "PREF64 in use: none (translated connects fail with "
		       "ENETUNREACH)\n");
	}
	sw_list(w, "prefixes");
	for (i = 0; i < disc->set.n; i++)
		prefix_write(w, disc, &disc->set.e[i], now);
	sw_end(w);
}

static void policy_write(struct sw *w, const struct daemon *d)
{
	const struct routes *r = &d->env.own->routes;
	char rule[128];
	unsigned int i;

	sw_begin(w, "policy", "policy: ", ", ");
	sw_text(w, "%u include/exclude rules", d->opt.nrules);
	sw_u64(w, "routes", "%llu IPv4 routes mirrored", r->count);
	sw_bool(w, "default_route", r->has_default, r->has_default ?
		"IPv4 default route yes" : "IPv4 default route no");
	sw_bool(w, "wkp_strict", d->opt.wkp_strict, d->opt.wkp_strict ? "wkp-strict yes" :
		"wkp-strict no");
	sw_line(w);
	/* Another CLAT's (NetworkManager's) device, say. */
	if (r->has_default)
		sw_str(w, "default_route_dev", "native IPv4 default route via %s: nothing "
		       "translated\n", r->default_dev);
	else
		sw_raw(w, "default_route_dev", "null", NULL);
	sw_list(w, "rules");
	for (i = 0; i < d->opt.nrules; i++)
		sw_str(w, NULL, "  %s\n", policy_rule_format(&d->opt.rules[i], rule, sizeof(rule)));
	sw_end(w);
	sw_end(w);
}

static void counters_write(struct sw *w, const char *key, const char *head,
			   const __u64 *cnt, unsigned int need)
{
	char j[24], text[64];
	unsigned int i;

	sw_begin(w, key, head, "");
	for (i = 0; i < SOCK464_CNT_MAX; i++) {
		if ((counter_descs[i].flags & need) != need)
			continue;
		snprintf(j, sizeof(j), "%llu", (unsigned long long)cnt[i]);
		snprintf(text, sizeof(text), " %s=%s", counter_descs[i].name, j);
		sw_raw(w, counter_descs[i].name, j, text);
	}
	sw_end(w);
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

static void per_cgroup_write(struct sw *w, struct daemon *d)
{
	static struct per_cgroup pc;
	char head[600];
	unsigned int i;

	memset(&pc, 0, sizeof(pc));
	pc.d = d;
	hooks_cg_counters(&d->hooks, add_cgroup, &pc);
	sw_begin(w, "cgroup_counters", "", "");
	for (i = 0; i < d->hooks.ncgroups; i++) {
		snprintf(head, sizeof(head), "counters of %s:", d->hooks.cgroups[i].path);
		counters_write(w, d->hooks.cgroups[i].path, head, pc.c[i], SOCK464_CNTF_DECISION);
	}
	sw_end(w);
}

int status_write(struct daemon *d, FILE *out, bool json)
{
	struct sw w = { .out = out, .json = json };
	uint64_t now = loop_now_ms();
	__u64 cnt[SOCK464_CNT_MAX];
	int err;

	hooks_prune(&d->hooks);		/* report only cgroups that exist */
	err = hooks_counters(&d->hooks, cnt);
	if (err)
		return err;
	head_write(&w, d, now);
	prefixes_write(&w, d, now);
	netns_disc_status(d->env.own, &w, !d->opt.have_pref64);	/* RA, DNS64 */
	containers_write(&w, d);
	policy_write(&w, d);
	d->env.dp->status(d->env.own, out, json);
	counters_write(&w, "counters", "counters:", cnt, 0);
	per_cgroup_write(&w, d);
	sw_finish(&w);
	return 0;
}
