// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "policy.h"

#define DEFAULT_CONTROL		"/run/sock464/control"
#define DEFAULT_MAX_CONNS	16384
#define DEFAULT_MAX_UDP_FLOWS	4096
#define DEFAULT_MAX_UDP_FLOWS_CG 1024
#define DEFAULT_UDP_IDLE_S	180

void options_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->control, sizeof(o->control), "%s", DEFAULT_CONTROL);
	o->max_conns = DEFAULT_MAX_CONNS;
	o->max_udp_flows = DEFAULT_MAX_UDP_FLOWS;
	o->max_udp_flows_cg = DEFAULT_MAX_UDP_FLOWS_CG;
	o->udp_idle_s = DEFAULT_UDP_IDLE_S;
	o->wkp_strict = true;
	o->container_fallback = true;
	snprintf(o->data_path, sizeof(o->data_path), "auto");
}

static int fail(char *why, size_t whylen, const char *fmt, const char *arg)
{
	snprintf(why, whylen, fmt, arg);
	return -EINVAL;
}

int options_parse_uint(const char *text, unsigned long min, unsigned long max,
		      unsigned int *out, char *why, size_t whylen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = text ? strtoul(text, &end, 10) : 0;
	if (!text || errno || end == text || *end || text[0] == '-' || v < min || v > max) {
		snprintf(why, whylen, "'%s': expected a whole number from %lu to %lu",
			 text ? text : "", min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_bool(const char *text, bool *out, char *why, size_t whylen)
{
	if (!text || !strcmp(text, "yes") || !strcmp(text, "true") || !strcmp(text, "1"))
		*out = true;
	else if (!strcmp(text, "no") || !strcmp(text, "false") || !strcmp(text, "0"))
		*out = false;
	else
		return fail(why, whylen, "'%s': expected yes or no", text);
	return 0;
}

static int copy_str(char *dst, size_t size, const char *value, const char *what,
		    char *why, size_t whylen)
{
	if (!value || !*value)
		return fail(why, whylen, "%s is missing", what);
	if (strlen(value) >= size)
		return fail(why, whylen, "'%s' is too long", value);
	strncpy(dst, value, size);	/* the rest zeroed: settings compare whole */
	return 0;
}

static int set_cgroup(struct options *o, const char *value, char *why, size_t whylen)
{
	if (o->ncgroups == OPT_MAX_CGROUPS) {
		snprintf(why, whylen, "at most %d cgroups", OPT_MAX_CGROUPS);
		return -EINVAL;
	}
	if (copy_str(o->cgroups[o->ncgroups], OPT_PATH_MAX, value, "the path", why, whylen))
		return -EINVAL;
	o->ncgroups++;
	return 0;
}

static int set_pref64(struct options *o, const char *value, char *why, size_t whylen)
{
	if (value && !strcmp(value, "auto")) {
		o->have_pref64 = false;
		memset(&o->pref64, 0, sizeof(o->pref64));
		return 0;
	}
	if (!value)
		return fail(why, whylen, "%s", "expected PREFIX/LEN or auto");
	if (pref64_parse(value, &o->pref64, why, whylen))
		return -EINVAL;
	o->have_pref64 = true;
	return 0;
}

static int set_interface(struct options *o, const char *value, char *why, size_t whylen)
{
	if (o->ninterfaces == OPT_MAX_INTERFACES) {
		snprintf(why, whylen, "at most %d interfaces", OPT_MAX_INTERFACES);
		return -EINVAL;
	}
	if (copy_str(o->interfaces[o->ninterfaces], 16, value, "the interface", why, whylen))
		return -EINVAL;
	o->ninterfaces++;
	return 0;
}

static int set_dns64_server(struct options *o, const char *value, char *why, size_t whylen)
{
	size_t used = strlen(o->dns64_servers);
	struct in6_addr a6;
	struct in_addr a4;

	if (!value || (inet_pton(AF_INET6, value, &a6) != 1 && inet_pton(AF_INET, value, &a4) != 1))
		return fail(why, whylen, "'%s': not an IPv6 or IPv4 address", value ? value : "");
	if (used + strlen(value) + 2 > sizeof(o->dns64_servers))
		return fail(why, whylen, "%s", "too many servers");
	snprintf(o->dns64_servers + used, sizeof(o->dns64_servers) - used, "%s%s",
		 used ? "," : "", value);
	return 0;
}

/* One of @words[] (NULL-terminated) into @dst, of @size bytes. */
static int set_word(char *dst, size_t size, const char *const *words, const char *value,
		    char *why, size_t whylen)
{
	size_t i, n = 0;

	for (i = 0; words[i]; i++)
		if (value && !strcmp(value, words[i]))
			return copy_str(dst, size, value, "the value", why, whylen);
	n = snprintf(why, whylen, "'%s': expected", value ? value : "");
	for (i = 0; words[i] && n < whylen; i++)
		n += snprintf(why + n, whylen - n, "%s %s", i ? (words[i + 1] ? "," : " or") : "",
			      words[i]);
	return -EINVAL;
}

static int set_unserved(struct options *o, const char *value, char *why, size_t whylen)
{
	static const char *const words[] = { "refuse", "pass", NULL };
	char w[8];

	if (set_word(w, sizeof(w), words, value, why, whylen))
		return -EINVAL;
	o->pass_unserved = !strcmp(w, "pass");
	return 0;
}

/* The data paths (loader/datapath/datapath.h); "auto" takes the first usable. */
static int set_data_path(struct options *o, const char *value, char *why, size_t whylen)
{
	static const char *const words[] = { "auto", "relay", "kernel", NULL };

	return set_word(o->data_path, sizeof(o->data_path), words, value, why, whylen);
}

/* How the kernel data path attaches its TC programs (loader/datapath/tc_attach.h). */
static int set_tc_attach(struct options *o, const char *value, char *why, size_t whylen)
{
	static const char *const words[] = { "auto", "tcx", "clsact", NULL };
	char w[8];

	if (set_word(w, sizeof(w), words, value, why, whylen))
		return -EINVAL;
	o->tc_attach = !strcmp(w, "tcx") ? OPT_TC_TCX :
		       !strcmp(w, "clsact") ? OPT_TC_CLSACT : OPT_TC_AUTO;
	return 0;
}

static int set_max_conns(struct options *o, const char *value, char *why, size_t whylen)
{
	o->max_conns_set = true;
	return options_parse_uint(value, 1, 1 << 20, &o->max_conns, why, whylen);
}

static int set_max_udp_flows(struct options *o, const char *value, char *why, size_t whylen)
{
	return options_parse_uint(value, 1, 1 << 20, &o->max_udp_flows, why, whylen);
}

static int set_max_udp_flows_cg(struct options *o, const char *value, char *why, size_t whylen)
{
	return options_parse_uint(value, 1, 1 << 20, &o->max_udp_flows_cg, why, whylen);
}

static int set_udp_idle(struct options *o, const char *value, char *why, size_t whylen)
{
	return options_parse_uint(value, 1, 86400, &o->udp_idle_s, why, whylen);
}

static int set_exclude(struct options *o, const char *value, char *why, size_t whylen)
{
	return policy_rule_parse(o, RULE_EXCLUDE, value, why, whylen);
}

static int set_include(struct options *o, const char *value, char *why, size_t whylen)
{
	return policy_rule_parse(o, RULE_INCLUDE, value, why, whylen);
}

#define BOOL_SETTER(fn, field)								\
static int fn(struct options *o, const char *value, char *why, size_t whylen)		\
{											\
	return parse_bool(value, &o->field, why, whylen);				\
}
BOOL_SETTER(set_no_ra, no_ra)
BOOL_SETTER(set_no_dns64, no_dns64)
BOOL_SETTER(set_wkp_strict, wkp_strict)
BOOL_SETTER(set_container_fallback, container_fallback)
BOOL_SETTER(set_verbose, verbose)

#define STR_SETTER(fn, field, what)							\
static int fn(struct options *o, const char *value, char *why, size_t whylen)		\
{											\
	return copy_str(o->field, sizeof(o->field), value, what, why, whylen);		\
}
STR_SETTER(set_control, control, "the path")
STR_SETTER(set_pin, pin, "the directory")
STR_SETTER(set_user, user, "the user name")

/* The bytes a setting keeps: a field, or the first @count elements of a list. */
#define FIELD(f) offsetof(struct options, f), sizeof(((struct options *)0)->f), -1, 0
#define LIST(f, n) offsetof(struct options, f), sizeof(((struct options *)0)->f), \
	offsetof(struct options, n), sizeof(((struct options *)0)->f[0])

/*
 * Every setting once: its long option (and config file key), short option,
 * parser, the list a command line replaces, and whether SIGHUP applies a
 * change at once or it takes a restart.  pref64 takes a restart only to go
 * between auto and static (have_pref64); a static one changes at once.
 */
const struct setting settings[] = {
	{ "cgroup", 'c', true, LIST_CGROUP, false, set_cgroup, LIST(cgroups, ncgroups) },
	{ "pref64", 'p', true, 0, true, set_pref64, FIELD(have_pref64) },
	{ "interface", 'i', true, LIST_INTERFACE, true, set_interface,
	  LIST(interfaces, ninterfaces) },
	{ "dns64-server", 0, true, LIST_DNS64_SERVER, true, set_dns64_server,
	  FIELD(dns64_servers) },
	{ "no-ra", 0, false, 0, true, set_no_ra, FIELD(no_ra) },
	{ "no-dns64", 0, false, 0, true, set_no_dns64, FIELD(no_dns64) },
	{ "exclude", 0, true, LIST_EXCLUDE, false, set_exclude, LIST(rules, nrules) },
	{ "include", 0, true, LIST_INCLUDE, false, set_include, LIST(rules, nrules) },
	{ "wkp-strict", 0, true, 0, false, set_wkp_strict, FIELD(wkp_strict) },
	{ "unserved-netns", 0, true, 0, false, set_unserved, FIELD(pass_unserved) },
	{ "container-fallback", 0, true, 0, false, set_container_fallback,
	  FIELD(container_fallback) },
	{ "data-path", 0, true, 0, true, set_data_path, FIELD(data_path) },
	{ "tc-attach", 0, true, 0, true, set_tc_attach, FIELD(tc_attach) },
	{ "control", 0, true, 0, true, set_control, FIELD(control) },
	{ "pin", 0, true, 0, true, set_pin, FIELD(pin) },
	{ "user", 0, true, 0, true, set_user, FIELD(user) },
	{ "max-connections", 0, true, 0, true, set_max_conns, FIELD(max_conns) },
	{ "max-udp-flows", 0, true, 0, true, set_max_udp_flows, FIELD(max_udp_flows) },
	{ "max-udp-flows-per-cgroup", 0, true, 0, true, set_max_udp_flows_cg,
	  FIELD(max_udp_flows_cg) },
	{ "udp-idle-timeout", 0, true, 0, false, set_udp_idle, FIELD(udp_idle_s) },
	{ "verbose", 'v', false, 0, false, set_verbose, FIELD(verbose) },
	{ NULL },
};

const struct setting *options_find(const char *key)
{
	const struct setting *s;

	for (s = settings; s->name; s++)
		if (!strcmp(s->name, key))
			return s;
	return NULL;
}

int options_set(struct options *o, const char *key, const char *value,
		char *why, size_t whylen)
{
	const struct setting *s = options_find(key);

	if (!s)
		return fail(why, whylen, "unknown setting '%s'", key);
	return s->parse(o, value, why, whylen);
}

unsigned int options_list_of(const char *key)
{
	const struct setting *s = options_find(key);

	return s ? s->list : 0;
}

bool options_same(const struct setting *s, const struct options *a, const struct options *b)
{
	const char *pa = (const char *)a, *pb = (const char *)b;
	unsigned int na, nb;

	if (s->count_off < 0)
		return !memcmp(pa + s->off, pb + s->off, s->size);
	memcpy(&na, pa + s->count_off, sizeof(na));
	memcpy(&nb, pb + s->count_off, sizeof(nb));
	return na == nb && !memcmp(pa + s->off, pb + s->off, (size_t)na * s->elem);
}

void options_copy(const struct setting *s, struct options *dst, const struct options *src)
{
	memcpy((char *)dst + s->off, (const char *)src + s->off, s->size);
	if (s->count_off >= 0)
		memcpy((char *)dst + s->count_off, (const char *)src + s->count_off,
		       sizeof(unsigned int));
}

size_t options_restart_changes(const struct options *running, const struct options *n,
			       char *names, size_t len)
{
	const struct setting *s;
	size_t count = 0, used = 0;

	names[0] = '\0';
	for (s = settings; s->name; s++) {
		if (!s->restart || options_same(s, running, n))
			continue;
		if (used < len)
			used += snprintf(names + used, len - used, "%s%s", count ? ", " : "",
					 s->name);
		count++;
	}
	return count;
}

void options_keep_restart(struct options *n, const struct options *running)
{
	bool mode_changed = n->have_pref64 != running->have_pref64;
	const struct setting *s;

	for (s = settings; s->name; s++)
		if (s->restart)
			options_copy(s, n, running);
	if (mode_changed)	/* auto <-> static: the running prefix stays */
		n->pref64 = running->pref64;
	n->max_conns_set = running->max_conns_set;
}

void options_clear_lists(struct options *o, unsigned int lists)
{
	if (lists & LIST_CGROUP)
		o->ncgroups = 0;
	if (lists & LIST_INTERFACE)
		o->ninterfaces = 0;
	if (lists & LIST_DNS64_SERVER)
		memset(o->dns64_servers, 0, sizeof(o->dns64_servers));
	if (lists & (LIST_EXCLUDE | LIST_INCLUDE)) {
		unsigned int i, kept = 0;

		for (i = 0; i < o->nrules; i++) {
			bool gone = o->rules[i].action == RULE_EXCLUDE ?
				    lists & LIST_EXCLUDE : lists & LIST_INCLUDE;

			if (!gone)
				o->rules[kept++] = o->rules[i];
		}
		o->nrules = kept;
	}
}
