// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464ctl metrics: the daemon's "status json", every figure of it, in
 * the Prometheus text exposition format (version 0.0.4), on stdout or
 * written atomically to a file for node_exporter's textfile collector.
 *
 * It reads only the JSON the daemon sends, so it depends on the names of
 * that JSON and on nothing inside the daemon.  Members it does not know
 * (the counters of a newer daemon) are still exported: a number in
 * "counters" as a decision reason, any other number as an untyped metric
 * named after where it is.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

/* A label value, escaped as the format wants (\\, \", \n). */
static void label_value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	fputc('"', f);
}

/* A metric name made of JSON keys: anything but [a-zA-Z0-9_] becomes _. */
static char *sanitize(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", *p))
			*p = '_';
	return s;
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One sample: NAME{k1="v1",...} VALUE, the labels given as a NULL-ended
 * list of key, value pairs (a NULL value ends it too).
 */
static void sample(FILE *f, const char *name, const char *const *labels, const char *value)
{
	int i;

	fputs(name, f);
	for (i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
		fprintf(f, "%s%s=", i ? "," : "{", labels[i]);
		label_value(f, labels[i + 1]);
	}
	fprintf(f, "%s %s\n", i ? "}" : "", value);
}

static const char *num(json_object *o, char buf[32])
{
	if (json_object_is_type(o, json_type_double))
		snprintf(buf, 32, "%.17g", json_object_get_double(o));
	else if (json_object_is_type(o, json_type_boolean))
		snprintf(buf, 32, "%d", json_object_get_boolean(o));
	else
		snprintf(buf, 32, "%llu", (unsigned long long)json_object_get_uint64(o));
	return buf;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static int is_number(json_object *o)
{
	return json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double);
}

/* One member of a JSON object as a metric: a family, or a sample of the last. */
struct member {
	const char *key, *metric, *type, *help;
	const char *label, *value;	/* an extra label, or NULL */
};

/*
 * The members of @obj the table names, each family's header once (the
 * table keeps a family's members together), with the label netns; then
 * every other number in @obj as PREFIX_KEY, untyped.
 */
static void members(FILE *f, json_object *obj, const struct member *m, size_t n,
		    const char *prefix, const char *netns)
{
	const char *last = "";
	char v[32];
	size_t i;

	for (i = 0; i < n; i++) {
		json_object *o = get(obj, m[i].key);
		const char *labels[] = { "netns", netns, m[i].label, m[i].value, NULL };

		if (!o || !is_number(o))
			continue;
		if (strcmp(last, m[i].metric)) {
			size_t j = 0;

			while (strcmp(m[j].metric, m[i].metric))	/* its first: type, help */
				j++;
			family(f, m[j].metric, m[j].type, m[j].help);
		}
		last = m[i].metric;
		sample(f, m[i].metric, labels, num(o, v));
	}
	json_object_object_foreach(obj, key, val) {
		const char *labels[] = { "netns", netns, NULL };
		char name[256];

		for (i = 0; i < n && strcmp(m[i].key, key); i++)
			;
		if (i < n || !is_number(val) || !strcmp(key, "port") || !strcmp(key, "netns_cookie"))
			continue;
		snprintf(name, sizeof(name), "%s_%s", prefix, key);
		sanitize(name);
		family(f, name, "untyped", "a figure of sock464ctl status this version does not know");
		sample(f, name, labels, num(val, v));
	}
}

static const struct member tcp_members[] = {
	{ "open", "sock464_relay_tcp_connections_open", "gauge",
	  "relayed TCP connections open now", NULL, NULL },
	{ "accepted", "sock464_relay_tcp_connections_total", "counter",
	  "TCP connections the relay accepted", NULL, NULL },
	{ "completed", "sock464_relay_tcp_completed_total", "counter",
	  "relayed TCP connections closed normally", NULL, NULL },
	{ "reset", "sock464_relay_tcp_drops_total", "counter",
	  "relayed TCP connections that ended otherwise, by reason", "reason", "reset" },
	{ "upstream_failed", "sock464_relay_tcp_drops_total", "", "", "reason", "upstream_failed" },
	{ "unknown", "sock464_relay_tcp_drops_total", "", "", "reason", "unknown" },
	{ "over_limit", "sock464_relay_tcp_drops_total", "", "", "reason", "over_limit" },
};

static const struct member udp_members[] = {
	{ "open", "sock464_relay_udp_flows_open", "gauge",
	  "relayed UDP flows (socket and destination) open now", NULL, NULL },
	{ "destinations", "sock464_relay_udp_destinations", "gauge",
	  "UDP destinations mapped now", NULL, NULL },
	{ "flows", "sock464_relay_udp_flows_total", "counter",
	  "relayed UDP flows opened", NULL, NULL },
	{ "expired", "sock464_relay_udp_flows_expired_total", "counter",
	  "relayed UDP flows closed after their idle timeout", NULL, NULL },
	{ "datagrams_out", "sock464_relay_udp_datagrams_total", "counter",
	  "datagrams relayed, by direction", "direction", "out" },
	{ "datagrams_in", "sock464_relay_udp_datagrams_total", "", "", "direction", "in" },
	{ "errors", "sock464_relay_udp_errors_total", "counter",
	  "ICMP errors passed back to the applications", NULL, NULL },
	{ "unknown", "sock464_relay_udp_drops_total", "counter",
	  "datagrams the relay dropped, by reason", "reason", "unknown" },
	{ "over_limit", "sock464_relay_udp_drops_total", "", "", "reason", "over_limit" },
};

/* The relays of the daemon's own namespace. */
static void relays(FILE *f, json_object *st)
{
	json_object *tcp = get(st, "relay"), *udp = get(st, "udp"), *c;
	char netns[32] = "";

	c = tcp ? get(tcp, "netns_cookie") : NULL;
	if (c)
		num(c, netns);
	if (tcp)
		members(f, tcp, tcp_members, sizeof(tcp_members) / sizeof(tcp_members[0]),
			"sock464_relay_tcp", netns);
	if (udp)
		members(f, udp, udp_members, sizeof(udp_members) / sizeof(udp_members[0]),
			"sock464_relay_udp", netns);
}


/* One number at @key of @obj as a one-sample family (nothing if absent). */
static void one(FILE *f, json_object *obj, const char *key, const char *metric,
		const char *type, const char *help)
{
	json_object *o = obj ? get(obj, key) : NULL;
	char v[32];

	if (!o || !(is_number(o) || json_object_is_type(o, json_type_boolean)))
		return;
	family(f, metric, type, help);
	sample(f, metric, NULL, num(o, v));
}

/* The prefix in use, and every prefix known with its age and lifetime. */
static void prefixes(FILE *f, json_object *st)
{
	json_object *use = get(st, "pref64"), *all = get(st, "prefixes");
	const char *lab[] = { "mode", str(st, "discovery"), NULL };
	size_t i, n = all ? json_object_array_length(all) : 0;
	char v[32];
	int k;

	family(f, "sock464_discovery_info", "gauge", "how the daemon finds PREF64 (static, ra, dns64, ra+dns64, none)");
	sample(f, "sock464_discovery_info", lab, "1");
	family(f, "sock464_pref64_info", "gauge",
	       "the PREF64 new connections use (no sample: none known, translated connects fail)");
	if (use && json_object_is_type(use, json_type_object)) {
		const char *l[] = { "prefix", str(use, "prefix"), "source", str(use, "source"), NULL };

		sample(f, "sock464_pref64_info", l, "1");
	}
	for (k = 0; k < 2; k++) {
		family(f, k ? "sock464_pref64_lifetime_seconds" : "sock464_pref64_age_seconds", "gauge",
		       k ? "seconds each known PREF64 has left (+Inf: forever)" :
			   "seconds since each known PREF64 was last announced by its source");
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(all, i), *x;
			const char *l[] = { "prefix", str(e, "prefix"), "source", str(e, "source"),
					    "interface", str(e, "interface"), NULL };

			x = get(e, k ? "lifetime_s" : "age_s");
			if (x && is_number(x))
				sample(f, k ? "sock464_pref64_lifetime_seconds" :
				       "sock464_pref64_age_seconds", l, num(x, v));
			else if (k)
				sample(f, "sock464_pref64_lifetime_seconds", l, "+Inf");
		}
	}
	one(f, get(st, "ra"), "heard", "sock464_ra_heard_total", "counter",
	    "Router Advertisements heard");
	one(f, get(st, "ra"), "ignored", "sock464_ra_ignored_total", "counter",
	    "Router Advertisements ignored (not from the link, malformed)");
	one(f, get(st, "dns64"), "answers", "sock464_dns64_answers_total", "counter",
	    "DNS64 answers for ipv4only.arpa");
	one(f, get(st, "dns64"), "failures", "sock464_dns64_failures_total", "counter",
	    "DNS64 queries for ipv4only.arpa that failed");
}

/* Served cgroups and containers; the policy and the native default route. */
static void served(FILE *f, json_object *st)
{
	json_object *cg = get(st, "cgroups"), *ct = get(st, "containers"), *pol = get(st, "policy");
	json_object *rules = pol ? get(pol, "rules") : NULL, *def = pol ? get(pol, "default_route") : NULL;
	size_t i, n = ct ? json_object_array_length(ct) : 0;
	char v[32];

	family(f, "sock464_served_cgroups", "gauge", "cgroups the daemon serves (each with those below it)");
	snprintf(v, sizeof(v), "%zu", cg ? json_object_array_length(cg) : 0);
	sample(f, "sock464_served_cgroups", NULL, v);
	family(f, "sock464_container_info", "gauge", "the containers the daemon serves");
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(ct, i), *x = get(c, "netns_cookie");
		const char *l[] = { "name", str(c, "name"), "cgroup", str(c, "cgroup"),
				    "pref64", str(c, "pref64"), "netns", x ? num(x, v) : "", NULL };

		sample(f, "sock464_container_info", l, "1");
	}
	family(f, "sock464_policy_rules", "gauge", "include and exclude rules");
	snprintf(v, sizeof(v), "%zu", rules ? json_object_array_length(rules) : 0);
	sample(f, "sock464_policy_rules", NULL, v);
	one(f, pol, "routes", "sock464_ipv4_routes", "gauge", "IPv4 routes of the daemon's namespace mirrored");
	one(f, pol, "wkp_strict", "sock464_wkp_strict", "gauge", "1: non-global IPv4 refused with 64:ff9b::/96");
	if (def) {
		const char *l[] = { "device", str(pol, "default_route_dev"), NULL };

		family(f, "sock464_ipv4_default_route", "gauge",
		       "1: a native IPv4 default route (dual-stack, or another CLAT): nothing translated");
		sample(f, "sock464_ipv4_default_route", json_object_get_boolean(def) ? l : NULL,
		       json_object_get_boolean(def) ? "1" : "0");
	}
}

/* The hooks' counters: in total, and per served cgroup. */
static void decisions(FILE *f, json_object *st)
{
	json_object *tot = get(st, "counters"), *per = get(st, "cgroup_counters");
	char v[32];

	family(f, "sock464_decisions_total", "counter",
	       "the BPF hooks' counters by their name in sock464ctl status (every process)");
	if (tot) {
		json_object_object_foreach(tot, key, val) {
			const char *l[] = { "reason", key, NULL };

			if (is_number(val))
				sample(f, "sock464_decisions_total", l, num(val, v));
		}
	}
	family(f, "sock464_cgroup_decisions_total", "counter",
	       "the BPF hooks' counters of the processes of each served cgroup and those below it");
	if (per) {
		json_object_object_foreach(per, cg, cnt) {
			json_object_object_foreach(cnt, key, val) {
				const char *l[] = { "cgroup", cg, "reason", key, NULL };

				if (is_number(val))
					sample(f, "sock464_cgroup_decisions_total", l, num(val, v));
			}
		}
	}
}

/* Numbers in top-level members this version does not know (a translator's). */
static void unknown(FILE *f, json_object *st)
{
	static const char *const known[] = {
		"pid", "uptime_s", "discovery", "cgroups", "containers", "pref64", "prefixes",
		"policy", "ra", "dns64", "relay", "udp", "counters", "cgroup_counters",
	};
	char prefix[128];
	size_t i;

	json_object_object_foreach(st, key, val) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(known[i], key); i++)
			;
		if (i < sizeof(known) / sizeof(known[0]))
			continue;
		snprintf(prefix, sizeof(prefix), "sock464_%s", key);
		sanitize(prefix);
		if (json_object_is_type(val, json_type_object)) {
			members(f, val, NULL, 0, prefix, NULL);
		} else if (is_number(val)) {
			char v[32];

			family(f, prefix, "untyped", "a figure of sock464ctl status this version does not know");
			sample(f, prefix, NULL, num(val, v));
		}
	}
}

int metrics_format(const char *status_json, FILE *f)
{
	json_object *st = json_tokener_parse(status_json);

	if (!st || !json_object_is_type(st, json_type_object)) {
		json_object_put(st);
		return -EINVAL;
	}
	family(f, "sock464_build_info", "gauge", "the version of sock464ctl");
	sample(f, "sock464_build_info", (const char *const[]){ "version", SOCK464_VERSION, NULL }, "1");
	one(f, st, "uptime_s", "sock464_uptime_seconds", "gauge", "seconds since the daemon started");
	prefixes(f, st);
	served(f, st);
	relays(f, st);
	decisions(f, st);
	unknown(f, st);
	json_object_put(st);
	return 0;
}
