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

/* tc-attach: how the kernel data path attaches its TC programs (probe.h). */
enum opt_tc_attach { OPT_TC_AUTO, OPT_TC_TCX, OPT_TC_CLSACT };

/* "exclude 192.0.2.0/24 port 53,8000-8100" */
struct policy_rule {
	__u32 ip4;		/* network order, bits past plen zero */
	__u8 plen;
	__u8 action;		/* enum rule_action */
	__u16 nports;		/* 0: every port */
	struct { __u16 lo, hi; } ports[OPT_MAX_RULE_PORTS];	/* host order */
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
	char user[64];			/* run as this user once started; "" root */
	unsigned int max_conns;
	bool max_conns_set;
	unsigned int max_udp_flows;
	unsigned int max_udp_flows_cg;	/* per cgroup */
	unsigned int udp_idle_s;
	struct policy_rule rules[OPT_MAX_RULES];
	unsigned int nrules;
	bool wkp_strict;
	bool pass_unserved;		/* unserved-netns pass */
	bool container_fallback;	/* containers without a prefix use ours */
	char data_path[16];		/* "auto", "relay" (loader/datapath/datapath.h) */
	enum opt_tc_attach tc_attach;	/* auto: tcx where the kernel has it */
	bool verbose;
};

/* One setting: a long option and config file key (options.c's table). */
struct setting {
	const char *name;
	char short_opt;			/* 0: none */
	bool has_arg;			/* false: a flag, yes on the command line */
	unsigned int list;		/* the enum opt_list it adds to, or 0 */
	bool restart;			/* SIGHUP cannot apply a change */
	int (*parse)(struct options *o, const char *value, char *why, size_t whylen);
	size_t off, size;		/* where it is kept in struct options */
	long count_off;			/* a list: where its length is; -1: none */
	size_t elem;			/* a list: the size of one element */
};

/* Every setting, ended by a NULL name. */
extern const struct setting settings[];
const struct setting *options_find(const char *key);
/* Whether @s is the same in @a and @b; copy it from @src into @dst. */
bool options_same(const struct setting *s, const struct options *a, const struct options *b);
void options_copy(const struct setting *s, struct options *dst, const struct options *src);
/*
 * The settings that take a restart and differ between @running and @n:
 * how many, and their names ("control, pin") in @names.
 */
size_t options_restart_changes(const struct options *running, const struct options *n,
			       char *names, size_t len);
/* Keep in @n the running values of the settings that take a restart. */
void options_keep_restart(struct options *n, const struct options *running);

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
/* Read and parse @path, a regular file only; -errno with @why on failure. */
int options_load(struct options *o, const char *path, char *why, size_t whylen);

/* A whole number from @min to @max; -EINVAL with @why. */
int options_parse_uint(const char *text, unsigned long min, unsigned long max,
		       unsigned int *out, char *why, size_t whylen);

/* "exclude 192.0.2.0/24 port 53" back from a rule (loader/netns/policy.c). */
char *policy_rule_format(const struct policy_rule *r, char *buf, size_t len);

#endif
