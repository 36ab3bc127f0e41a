// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "discovery.h"
#include "log.h"
#include "netlog.h"

/*
 * Log a line caused by news from the network: limited per sender (d->from,
 * "RAs from fe80::1 on eth0", while its news is learned) or, for the choice
 * made after it, per discovery; static news is never limited.  DNS64
 * answers come only in reply to the daemon's own paced queries (TTL, at
 * least 4 s, backoff): only their warnings are limited, never a change.
 */
static void __attribute__((format(printf, 3, 4)))
dlog(const struct discovery *d, enum log_level level, const char *fmt, ...)
{
	char line[768], src[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!d->from || (d->replies && level != LOG_WARN)) {
		log_msg(level, "%s", line);
		return;
	}
	snprintf(src, sizeof(src), "%s%s", d->label, d->from);
	netlog_msg(level, src, "%s", line);
}

const char *discovery_ifname(int ifindex, char buf[16])
{
	if (!ifindex)
		return "-";
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, 16, "#%d", ifindex);
	return buf;
}

static void log_entry(const struct discovery *d, const char *what,
		      const struct pref64_entry *e, uint64_t now)
{
	char p[PREF64_STRLEN], ifn[16], life[32] = "forever";

	if (e->expires_ms != PREF64_NEVER)
		snprintf(life, sizeof(life), "%llu s",
			 (unsigned long long)(e->expires_ms > now ?
					      (e->expires_ms - now + 999) / 1000 : 0));
	dlog(d, LOG_INFO, "%sPREF64 %s %s: source %s, interface %s, lifetime %s", d->label, what,
		 pref64_format(&e->p, p, sizeof(p)), pref64_source_name(e->src),
		 discovery_ifname(e->ifindex, ifn), life);
}

static void log_expired(const struct pref64_entry *e, void *arg)
{
	log_entry(arg, "expired", e, loop_now_ms());
}

static void log_dropped(const struct pref64_entry *e, void *arg)
{
	log_entry(arg, "no longer in the DNS64 answer", e, loop_now_ms());
}

static void on_expiry(struct timer *t);

/* Choose again; publish and log if the prefix in use changed. */
static void reselect(struct discovery *d)
{
	const struct pref64_entry *best = pref64_set_best(&d->set);
	uint64_t next = pref64_set_next_expiry(&d->set), now = loop_now_ms();
	char p[PREF64_STRLEN];

	if (next == PREF64_NEVER)
		timer_cancel(d->loop, &d->expiry);
	else
		timer_arm(d->loop, &d->expiry, on_expiry, next > now ? next - now : 0);

	if (!best) {
		if (d->have_best) {
			dlog(d, LOG_WARN, "%sno PREF64 known any more: translated connects "
			     "fail with ENETUNREACH", d->label);
			d->have_best = false;
			d->publish(NULL, d->arg);
		}
		return;
	}
	if (d->have_best && d->best.src == best->src &&
	    d->best.p.plen == best->p.plen &&
	    !memcmp(d->best.p.addr, best->p.addr, sizeof(best->p.addr)))
		return;
	d->best = *best;
	d->have_best = true;
	dlog(d, LOG_INFO, "%susing PREF64 %s (source %s) for new connections", d->label,
		 pref64_format(&best->p, p, sizeof(p)), pref64_source_name(best->src));
	d->publish(&best->p, d->arg);
}

/*
 * News of prefixes comes in bursts: one RA heard on the raw socket and, one
 * message per option, from the kernel.  Choosing once the burst is over
 * keeps the prefix in use from flipping between its parts.
 */
#define SETTLE_MS 10

static void on_settle(struct timer *t)
{
	struct discovery *d = container_of(t, struct discovery, settle);

	d->from = "the PREF64 choice";	/* follows the network's news */
	reselect(d);
	d->from = NULL;
}

static void reselect_soon(struct discovery *d)
{
	if (!d->settle.armed)
		timer_arm(d->loop, &d->settle, on_settle, SETTLE_MS);
}

static void on_expiry(struct timer *t)
{
	struct discovery *d = container_of(t, struct discovery, expiry);

	pref64_set_expire(&d->set, loop_now_ms(), log_expired, d);
	reselect(d);
}

void discovery_init(struct discovery *d, struct loop *l,
		    void (*publish)(const struct pref64 *p, void *arg),
		    void *arg)
{
	memset(d, 0, sizeof(*d));
	d->loop = l;
	netlog_use_loop(l);
	d->publish = publish;
	d->arg = arg;
}

void discovery_fini(struct discovery *d)
{
	timer_cancel(d->loop, &d->expiry);
	timer_cancel(d->loop, &d->settle);
}

/* Learn one prefix at time @now, without choosing again yet. */
static void learn_one(struct discovery *d, const struct pref64 *p,
		      enum pref64_source src, int ifindex, uint32_t lifetime_s,
		      uint64_t now)
{
	struct pref64_entry e = { .p = *p, .src = src, .ifindex = ifindex };
	char buf[PREF64_STRLEN], why[160], ifn[16];

	if (pref64_check(p, why, sizeof(why))) {
		dlog(d, LOG_WARN, "%sPREF64 from %s on %s ignored: %s", d->label, pref64_source_name(src),
			 discovery_ifname(ifindex, ifn), why);
		return;
	}
	switch (pref64_set_learn(&d->set, p, src, ifindex, lifetime_s, now)) {
	case PREF64_ADDED:
		e.expires_ms = lifetime_s == PREF64_NEVER_S ? PREF64_NEVER :
			       now + (uint64_t)lifetime_s * 1000;
		log_entry(d, "learned", &e, now);
		break;
	case PREF64_WITHDRAWN:
		log_entry(d, "withdrawn (lifetime 0)", &e, now);
		break;
	case PREF64_FULL:
		dlog(d, LOG_WARN, "%sPREF64 %s from %s ignored: %d prefixes known already",
			 d->label, pref64_format(p, buf, sizeof(buf)),
			 pref64_source_name(src), PREF64_SET_MAX);
		return;
	case PREF64_UNCHANGED:
		log_debug("PREF64 %s refreshed: source %s, lifetime %u s",
			  pref64_format(p, buf, sizeof(buf)),
			  pref64_source_name(src), lifetime_s);
		break;
	case PREF64_IGNORED:
		break;
	}
}

void discovery_learn(struct discovery *d, const struct pref64 *p,
		     enum pref64_source src, int ifindex, uint32_t lifetime_s)
{
	learn_one(d, p, src, ifindex, lifetime_s, loop_now_ms());
	if (src == PREF64_STATIC)
		reselect(d);	/* at start-up and SIGHUP: in use before READY=1 */
	else
		reselect_soon(d);
}

/*
 * All the prefixes of one announcement (an RA's options) at one time, and
 * one choice after them, so that the one in use never flips in between.
 */
void discovery_learn_many(struct discovery *d, const struct pref64 *p,
			  const uint32_t *lifetime_s, unsigned int n,
			  enum pref64_source src, int ifindex, const char *from)
{
	uint64_t now = loop_now_ms();
	unsigned int i;

	d->from = from;
	for (i = 0; i < n; i++)
		learn_one(d, &p[i], src, ifindex, lifetime_s[i], now);
	d->from = NULL;
	reselect_soon(d);
}

void discovery_dns64_answer(struct discovery *d, const struct pref64 *p,
			    unsigned int n, uint32_t ttl_s)
{
	uint64_t now = loop_now_ms();
	unsigned int i;

	d->from = "DNS64 answers";
	d->replies = true;
	for (i = 0; i < n; i++)
		learn_one(d, &p[i], PREF64_DNS64, 0, ttl_s, now);
	pref64_set_forget_older(&d->set, PREF64_DNS64, now, log_dropped, d);
	d->from = NULL;
	d->replies = false;
	reselect_soon(d);
}
