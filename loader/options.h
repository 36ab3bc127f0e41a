/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sock464-load's settings, from the config file and the command line.
 * Both go through options_set(), so every setting has one name (the long
 * option's), one parser and one error message.  Pure code: unit-tested.
 */
#ifndef SOCK464_OPTIONS_H
#define SOCK464_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "prefix.h"

#define OPT_MAX_CGROUPS		64
#define OPT_MAX_INTERFACES	16
#define OPT_MAX_RULES		256
#define OPT_MAX_RULE_PORTS	8
#define OPT_PATH_MAX		512
#define OPT_DEFAULT_CONFIG	"/etc/sock464/sock464.conf"

enum rule_action { RULE_EXCLUDE = 1, RULE_INCLUDE = 2 };

/* "exclude 192.0.2.0/24 port 53,8000-8100" */
struct policy_rule {
	__u32 ip4;		/* network order, bits past plen zero */
	__u8 plen;
	__u8 action;		/* enum rule_action */
	__u16 nports;		/* 0: every port */
	struct { __u16 lo, hi; } ports[OPT_MAX_RULE_PORTS];	/* host order */
};

/* How translated AF_INET traffic travels (data-path). */
enum opt_data_path {
	DATA_PATH_RELAY = 0,	/* the daemon's TCP and UDP relays */
	DATA_PATH_KERNEL,	/* per-packet translation in TC; fail if it cannot run */
	DATA_PATH_AUTO,		/* the kernel path where it can run, else the relays */
};

/* The lists a command-line option replaces (rather than extends). */
enum opt_list {
	LIST_CGROUP = 1 << 0,
	LIST_INTERFACE = 1 << 1,
	LIST_DNS64_SERVER = 1 << 2,
	LIST_EXCLUDE = 1 << 3,
	LIST_INCLUDE = 1 << 4,
};

struct options {
	char cgroups[OPT_MAX_CGROUPS][OPT_PATH_MAX];
	unsigned int ncgroups;
	struct pref64 pref64;		/* with have_pref64: static */
	bool have_pref64;
	char interfaces[OPT_MAX_INTERFACES][16];
	unsigned int ninterfaces;
	char dns64_servers[512];	/* comma-separated; "" for resolv.conf */
	bool no_ra, no_dns64;
	char control[108];
	char pin[256];			/* bpffs directory; "" for no pinning */
	unsigned int max_conns;
	bool max_conns_set;
	unsigned int max_udp_flows;
	unsigned int udp_idle_s;
	struct policy_rule rules[OPT_MAX_RULES];
	unsigned int nrules;
	bool wkp_strict;
	bool pass_unserved;		/* unserved-netns pass */
	bool container_fallback;	/* containers without a prefix use ours */
	unsigned int data_path;		/* enum opt_data_path */
	bool verbose;
};

void options_defaults(struct options *o);

/*
 * Apply one setting: @key is a long option name ("cgroup", "pref64",
 * "exclude", ...), @value its argument (NULL for a flag).  0, or -EINVAL
 * with @why saying what is wrong with the value.
 */
int options_set(struct options *o, const char *key, const char *value,
		char *why, size_t whylen);

/* Empty the lists named in @lists (a command line replacing the file's). */
void options_clear_lists(struct options *o, unsigned int lists);
/* The list a key adds to, or 0. */
unsigned int options_list_of(const char *key);

/*
 * Parse a config file's text: one "key value" per line, '#' comments.
 * On error returns -EINVAL and @why is "FILE:LINE: message".
 */
int options_parse_text(struct options *o, const char *text, const char *file,
		       char *why, size_t whylen);
/* Read and parse @path; -errno with @why on failure. */
int options_load(struct options *o, const char *path, char *why, size_t whylen);

/* "exclude 192.0.2.0/24 port 53" back from a rule, for logs and status. */
char *policy_rule_format(const struct policy_rule *r, char *buf, size_t len);

#endif
