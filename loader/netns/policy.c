// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

bool policy_rule_covers(const struct policy_rule *outer, const struct policy_rule *inner)
{
	__u32 mask = outer->plen ? htonl(0xffffffffU << (32 - outer->plen)) : 0;

	return outer->plen < inner->plen && (inner->ip4 & mask) == outer->ip4;
}

/* The most specific rule of @o covering @r, or NULL. */
static const struct policy_rule *covering(const struct options *o,
					  const struct policy_rule *r)
{
	const struct policy_rule *best = NULL;
	unsigned int j;

	for (j = 0; j < o->nrules; j++)
		if (policy_rule_covers(&o->rules[j], r) &&
		    (!best || o->rules[j].plen > best->plen))
			best = &o->rules[j];
	return best;
}

/* Append @up's ports to @v; false if they do not all fit. */
static bool merge_ports(struct sock464_rule *v, const struct policy_rule *up)
{
	unsigned int k;

	for (k = 0; k < up->nports; k++) {
		if (v->nports == SOCK464_RULE_PORTS)
			return false;
		v->ports[v->nports].lo = up->ports[k].lo;
		v->ports[v->nports].hi = up->ports[k].hi;
		v->nports++;
	}
	return true;
}

bool policy_rule_entry(const struct options *o, unsigned int i, struct hooks_lpm_entry *e)
{
	const struct policy_rule *r = &o->rules[i], *up;
	struct sock464_rule *v = &e->rule;
	unsigned int j;

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
		return true;
	for (up = covering(o, r); up; up = covering(o, up)) {
		if (up->action == RULE_INCLUDE || !up->nports) {
			v->fallback = up->action == RULE_INCLUDE ? SOCK464_RULE_INCLUDE :
								   SOCK464_RULE_EXCLUDE;
			return true;
		}
		if (!merge_ports(v, up))
			return false;
	}
	return true;
}

static int policy_fail(char *why, size_t whylen, const char *fmt, const char *arg)
{
	snprintf(why, whylen, fmt, arg);
	return -EINVAL;
}

/* "53", "8000-8100", "53,123,8000-8100" */
static int parse_ports(const char *text, struct policy_rule *r, char *why,
		       size_t whylen)
{
	char buf[256], *tok, *save = NULL, *dash;
	unsigned int lo, hi;

	if (strlen(text) >= sizeof(buf))
		return policy_fail(why, whylen, "port list '%s' is too long", text);
	strcpy(buf, text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (r->nports == OPT_MAX_RULE_PORTS) {
			snprintf(why, whylen, "at most %d port ranges per rule", OPT_MAX_RULE_PORTS);
			return -EINVAL;
		}
		dash = strchr(tok, '-');
		if (dash)
			*dash = '\0';
		if (options_parse_uint(tok, 1, 65535, &lo, why, whylen))
			return -EINVAL;
		hi = lo;
		if (dash && options_parse_uint(dash + 1, lo, 65535, &hi, why, whylen))
			return -EINVAL;
		r->ports[r->nports].lo = lo;
		r->ports[r->nports].hi = hi;
		r->nports++;
	}
	if (!r->nports)
		return policy_fail(why, whylen, "'%s': no port given", text);
	return 0;
}

/* "192.0.2.0/24", "192.0.2.1" (a /32), either followed by "port LIST". */
int policy_rule_parse(struct options *o, enum rule_action action,
		      const char *text, char *why, size_t whylen)
{
	struct policy_rule r = { .action = action, .plen = 32 };
	char addr[64], word[16], ports[256], extra[2];
	struct in_addr a;
	unsigned int plen = 32, i;
	char *slash;
	int n;

	if (!text)
		return policy_fail(why, whylen, "%s", "expected an IPv4 prefix such as 192.0.2.0/24");
	if (o->nrules == OPT_MAX_RULES) {
		snprintf(why, whylen, "at most %d include and exclude rules", OPT_MAX_RULES);
		return -EINVAL;
	}
	n = sscanf(text, "%63s %15s %255s %1s", addr, word, ports, extra);
	if (n == 2 || n == 4 || (n == 3 && strcmp(word, "port")))
		return policy_fail(why, whylen, "'%s': expected CIDR [port LIST]", text);
	if (n == 3 && action == RULE_INCLUDE)
		return policy_fail(why, whylen, "'%s': include takes no ports", text);
	slash = strchr(addr, '/');
	if (slash) {
		*slash = '\0';
		if (options_parse_uint(slash + 1, 0, 32, &plen, why, whylen))
			return -EINVAL;
	}
	if (inet_pton(AF_INET, addr, &a) != 1)
		return policy_fail(why, whylen, "'%s' is not an IPv4 address", addr);
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
