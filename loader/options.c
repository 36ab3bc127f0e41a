// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define DEFAULT_CONTROL		"/run/sock464/control"
#define DEFAULT_MAX_CONNS	16384
#define DEFAULT_MAX_UDP_FLOWS	4096
#define DEFAULT_UDP_IDLE_S	180
#define CONFIG_MAX_BYTES	(1 << 20)

void options_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->control, sizeof(o->control), "%s", DEFAULT_CONTROL);
	o->max_conns = DEFAULT_MAX_CONNS;
	o->max_udp_flows = DEFAULT_MAX_UDP_FLOWS;
	o->udp_idle_s = DEFAULT_UDP_IDLE_S;
	o->wkp_strict = true;
	o->container_fallback = true;
}

static int fail(char *why, size_t whylen, const char *fmt, const char *arg)
{
	snprintf(why, whylen, fmt, arg);
	return -EINVAL;
}

static int parse_uint(const char *text, unsigned long min, unsigned long max,
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

/* "53", "8000-8100", "53,123,8000-8100" */
static int parse_ports(const char *text, struct policy_rule *r, char *why,
		       size_t whylen)
{
	char buf[256], *tok, *save = NULL, *dash;
	unsigned int lo, hi;

	if (strlen(text) >= sizeof(buf))
		return fail(why, whylen, "port list '%s' is too long", text);
	strcpy(buf, text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (r->nports == OPT_MAX_RULE_PORTS) {
			snprintf(why, whylen, "at most %d port ranges per rule", OPT_MAX_RULE_PORTS);
			return -EINVAL;
		}
		dash = strchr(tok, '-');
		if (dash)
			*dash = '\0';
		if (parse_uint(tok, 1, 65535, &lo, why, whylen))
			return -EINVAL;
		hi = lo;
		if (dash && parse_uint(dash + 1, lo, 65535, &hi, why, whylen))
			return -EINVAL;
		r->ports[r->nports].lo = lo;
		r->ports[r->nports].hi = hi;
		r->nports++;
	}
	if (!r->nports)
		return fail(why, whylen, "'%s': no port given", text);
	return 0;
}

/* "192.0.2.0/24", "192.0.2.1" (a /32), either followed by "port LIST". */
static int parse_rule(struct options *o, enum rule_action action,
		      const char *text, char *why, size_t whylen)
{
	struct policy_rule r = { .action = action, .plen = 32 };
	char addr[64], word[16], ports[256], extra[2];
	struct in_addr a;
	unsigned int plen = 32, i;
	char *slash;
	int n;

	if (!text)
		return fail(why, whylen, "%s", "expected an IPv4 prefix such as 192.0.2.0/24");
	if (o->nrules == OPT_MAX_RULES) {
		snprintf(why, whylen, "at most %d include and exclude rules", OPT_MAX_RULES);
		return -EINVAL;
	}
	n = sscanf(text, "%63s %15s %255s %1s", addr, word, ports, extra);
	if (n == 2 || n == 4 || (n == 3 && strcmp(word, "port")))
		return fail(why, whylen, "'%s': expected CIDR [port LIST]", text);
	if (n == 3 && action == RULE_INCLUDE)
		return fail(why, whylen, "'%s': include takes no ports", text);
	slash = strchr(addr, '/');
	if (slash) {
		*slash = '\0';
		if (parse_uint(slash + 1, 0, 32, &plen, why, whylen))
			return -EINVAL;
	}
	if (inet_pton(AF_INET, addr, &a) != 1)
		return fail(why, whylen, "'%s' is not an IPv4 address", addr);
	r.plen = plen;
	r.ip4 = a.s_addr;
	if (plen < 32 && (ntohl(r.ip4) & (0xffffffffU >> plen))) {
		snprintf(why, whylen, "%s/%u has bits set past the prefix length", addr, plen);
		return -EINVAL;
	}
	if (n == 3 && parse_ports(ports, &r, why, whylen))
		return -EINVAL;
	for (i = 0; i < o->nrules; i++)
		if (o->rules[i].ip4 == r.ip4 && o->rules[i].plen == r.plen) {
			snprintf(why, whylen, "%s/%u has a rule already", addr, plen);
			return -EINVAL;
		}
	o->rules[o->nrules++] = r;
	return 0;
}

static int copy_str(char *dst, size_t size, const char *value, const char *what,
		    char *why, size_t whylen)
{
	if (!value || !*value)
		return fail(why, whylen, "%s is missing", what);
	if (strlen(value) >= size)
		return fail(why, whylen, "'%s' is too long", value);
	strcpy(dst, value);
	return 0;
}

int options_set(struct options *o, const char *key, const char *value,
		char *why, size_t whylen)
{
	if (!strcmp(key, "cgroup")) {
		if (o->ncgroups == OPT_MAX_CGROUPS) {
			snprintf(why, whylen, "at most %d cgroups", OPT_MAX_CGROUPS);
			return -EINVAL;
		}
		if (copy_str(o->cgroups[o->ncgroups], OPT_PATH_MAX, value, "the path",
			     why, whylen))
			return -EINVAL;
		o->ncgroups++;
		return 0;
	}
	if (!strcmp(key, "pref64")) {
		if (value && !strcmp(value, "auto")) {
			o->have_pref64 = false;
			return 0;
		}
		if (!value)
			return fail(why, whylen, "%s", "expected PREFIX/LEN or auto");
		if (pref64_parse(value, &o->pref64, why, whylen))
			return -EINVAL;
		o->have_pref64 = true;
		return 0;
	}
	if (!strcmp(key, "interface")) {
		if (o->ninterfaces == OPT_MAX_INTERFACES) {
			snprintf(why, whylen, "at most %d interfaces", OPT_MAX_INTERFACES);
			return -EINVAL;
		}
		if (copy_str(o->interfaces[o->ninterfaces], 16, value, "the interface",
			     why, whylen))
			return -EINVAL;
		o->ninterfaces++;
		return 0;
	}
	if (!strcmp(key, "dns64-server")) {
		size_t used = strlen(o->dns64_servers);
		struct in6_addr a6;
		struct in_addr a4;

		if (!value || (inet_pton(AF_INET6, value, &a6) != 1 &&
			       inet_pton(AF_INET, value, &a4) != 1))
			return fail(why, whylen, "'%s': not an IPv6 or IPv4 address",
				    value ? value : "");
		if (used + strlen(value) + 2 > sizeof(o->dns64_servers))
			return fail(why, whylen, "%s", "too many servers");
		snprintf(o->dns64_servers + used, sizeof(o->dns64_servers) - used,
			 "%s%s", used ? "," : "", value);
		return 0;
	}
	if (!strcmp(key, "no-ra"))
		return parse_bool(value, &o->no_ra, why, whylen);
	if (!strcmp(key, "no-dns64"))
		return parse_bool(value, &o->no_dns64, why, whylen);
	if (!strcmp(key, "control"))
		return copy_str(o->control, sizeof(o->control), value, "the path", why, whylen);
	if (!strcmp(key, "pin"))
		return copy_str(o->pin, sizeof(o->pin), value, "the directory", why, whylen);
	if (!strcmp(key, "max-connections")) {
		o->max_conns_set = true;
		return parse_uint(value, 1, 1 << 20, &o->max_conns, why, whylen);
	}
	if (!strcmp(key, "max-udp-flows"))
		return parse_uint(value, 1, 1 << 20, &o->max_udp_flows, why, whylen);
	if (!strcmp(key, "udp-idle-timeout"))
		return parse_uint(value, 1, 86400, &o->udp_idle_s, why, whylen);
	if (!strcmp(key, "exclude"))
		return parse_rule(o, RULE_EXCLUDE, value, why, whylen);
	if (!strcmp(key, "include"))
		return parse_rule(o, RULE_INCLUDE, value, why, whylen);
	if (!strcmp(key, "wkp-strict"))
		return parse_bool(value, &o->wkp_strict, why, whylen);
	if (!strcmp(key, "container-fallback"))
		return parse_bool(value, &o->container_fallback, why, whylen);
	if (!strcmp(key, "unserved-netns")) {
		if (value && !strcmp(value, "pass"))
			o->pass_unserved = true;
		else if (value && !strcmp(value, "refuse"))
			o->pass_unserved = false;
		else
			return fail(why, whylen, "'%s': expected refuse or pass",
				    value ? value : "");
		return 0;
	}
	if (!strcmp(key, "data-path")) {
		if (value && !strcmp(value, "relay"))
			o->data_path = DATA_PATH_RELAY;
		else if (value && !strcmp(value, "kernel"))
			o->data_path = DATA_PATH_KERNEL;
		else if (value && !strcmp(value, "auto"))
			o->data_path = DATA_PATH_AUTO;
		else
			return fail(why, whylen, "'%s': expected kernel, relay or auto",
				    value ? value : "");
		return 0;
	}
	if (!strcmp(key, "verbose"))
		return parse_bool(value, &o->verbose, why, whylen);
	return fail(why, whylen, "unknown setting '%s'", key);
}

unsigned int options_list_of(const char *key)
{
	if (!strcmp(key, "cgroup"))
		return LIST_CGROUP;
	if (!strcmp(key, "interface"))
		return LIST_INTERFACE;
	if (!strcmp(key, "dns64-server"))
		return LIST_DNS64_SERVER;
	if (!strcmp(key, "exclude"))
		return LIST_EXCLUDE;
	if (!strcmp(key, "include"))
		return LIST_INCLUDE;
	return 0;
}

void options_clear_lists(struct options *o, unsigned int lists)
{
	if (lists & LIST_CGROUP)
		o->ncgroups = 0;
	if (lists & LIST_INTERFACE)
		o->ninterfaces = 0;
	if (lists & LIST_DNS64_SERVER)
		o->dns64_servers[0] = '\0';
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

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int options_parse_text(struct options *o, const char *text, const char *file,
		       char *why, size_t whylen)
{
	char line[1024], msg[256], *key, *value, *hash;
	const char *p = text, *nl;
	unsigned int lineno = 0;
	size_t len;

	while (*p) {
		lineno++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line)) {
			snprintf(why, whylen, "%s:%u: line too long", file, lineno);
			return -EINVAL;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);

		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		key = trim(line);
		if (!*key)
			continue;
		value = key + strcspn(key, " \t");
		if (*value) {
			*value++ = '\0';
			value = trim(value);
		}
		if (options_set(o, key, *value ? value : NULL, msg, sizeof(msg))) {
			snprintf(why, whylen, "%s:%u: %s: %s", file, lineno, key, msg);
			return -EINVAL;
		}
	}
	return 0;
}

int options_load(struct options *o, const char *path, char *why, size_t whylen)
{
	FILE *f = fopen(path, "re");
	char *text;
	size_t n;
	int err;

	if (!f) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
		return err;
	}
	text = malloc(CONFIG_MAX_BYTES + 1);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(text, 1, CONFIG_MAX_BYTES + 1, f);
	fclose(f);
	if (n > CONFIG_MAX_BYTES) {
		free(text);
		snprintf(why, whylen, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
		return -EFBIG;
	}
	if (memchr(text, '\0', n)) {
		free(text);
		snprintf(why, whylen, "%s: not a text file (NUL byte)", path);
		return -EINVAL;
	}
	text[n] = '\0';
	err = options_parse_text(o, text, path, why, whylen);
	free(text);
	return err;
}

char *policy_rule_format(const struct policy_rule *r, char *buf, size_t len)
{
	char addr[INET_ADDRSTRLEN];
	size_t n;
	unsigned int i;

	inet_ntop(AF_INET, &r->ip4, addr, sizeof(addr));
	n = snprintf(buf, len, "%s %s/%u", r->action == RULE_EXCLUDE ? "exclude" : "include",
		     addr, r->plen);
	for (i = 0; i < r->nports && n < len; i++) {
		if (r->ports[i].lo == r->ports[i].hi)
			n += snprintf(buf + n, len - n, "%s%u", i ? "," : " port ", r->ports[i].lo);
		else
			n += snprintf(buf + n, len - n, "%s%u-%u", i ? "," : " port ",
				      r->ports[i].lo, r->ports[i].hi);
	}
	return buf;
}
