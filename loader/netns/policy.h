/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The policy compiler: the operator's include/exclude rules (options.h)
 * into the entries of the sock464_rules trie.  Pure code: unit-tested.
 */
#ifndef SOCK464_POLICY_H
#define SOCK464_POLICY_H

#include <stdbool.h>

#include "hooks.h"
#include "options.h"

/* 1 if @outer covers @inner (a shorter prefix containing it). */
bool policy_rule_covers(const struct policy_rule *outer, const struct policy_rule *inner);

/*
 * The trie entry of rule @i of @o.  The trie only finds the most specific
 * rule, so a port-limited exclude carries what applies to its other ports:
 * the ports of broader port-limited excludes are merged in, and the first
 * broader include or all-port exclude is its fallback.  false if more port
 * ranges than SOCK464_RULE_PORTS came together (the rest are left out).
 */
bool policy_rule_entry(const struct options *o, unsigned int i, struct hooks_lpm_entry *e);

/* Add "192.0.2.0/24 [port LIST]" as a rule of @action; -EINVAL with @why. */
int policy_rule_parse(struct options *o, enum rule_action action, const char *text,
		      char *why, size_t whylen);

#endif
