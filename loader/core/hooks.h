/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF side as the daemon sees it: load the object, attach its
 * programs to cgroups through bpf_links this process owns (if it dies the
 * hooks go with it), and read and write the shared maps.
 */
#ifndef SOCK464_HOOKS_H
#define SOCK464_HOOKS_H

#include <stdbool.h>
#include "sock464.h"

#define HOOKS_MAX_CGROUPS 64

struct sock464;
struct bpf_link;
struct bpf_program;

struct hooks_cgroup {
	char *path;
	__u64 id;			/* the cgroup id (its inode number) */
	__u64 *up;			/* the ids of its ancestors, parent first */
	unsigned int nup;
	unsigned int nlinks;
	struct bpf_link *links[16];
};

struct hooks {
	struct sock464 *skel;
	char pin_dir[256];		/* "" if nothing is pinned */
	unsigned int ncgroups;
	struct hooks_cgroup cgroups[HOOKS_MAX_CGROUPS];
	char refused[512];		/* why hooks_attach() last refused a cgroup */
};

/*
 * Open and load the object; errors are logged.  Returns 0 or -errno.
 * With @pin_dir, maps are pinned there by name, and reused if a previous
 * daemon pinned them (so that programs attached by others, such as
 * systemd's BPFProgram=, keep seeing current maps), and the programs are
 * pinned as @pin_dir/<attach type> (connect4, sock_create, ...).
 */
int hooks_load(struct hooks *h, bool verbose, const char *pin_dir);

/* Which programs to attach: all, or those systemd's BPFProgram= cannot. */
enum hooks_set { HOOKS_ALL, HOOKS_COMPLEMENT };
/* The attach type name of @prog's section ("connect4"), as systemd spells it. */
const char *hooks_attach_name(const struct bpf_program *prog);
/* Open @path if it is a cgroup v2 directory; errors are logged. */
int hooks_open_cgroup(const char *path);
/*
 * Attach programs (@set) to the cgroup v2 directory @path.  A cgroup is
 * known by its id, however its path is spelt (X, X//, a/../X, a symbolic
 * link): one served already is refused with -EEXIST, and one below or
 * above a served one with -EBUSY (the hooks would run twice for its
 * sockets); h->refused then says why, and it is logged.
 */
int hooks_attach(struct hooks *h, const char *path, enum hooks_set set);
/*
 * Check the cgroups @paths (@n strings, @stride bytes apart) before
 * anything is attached: each must be a cgroup v2 directory; a second
 * spelling of one cgroup is dropped from the list with a warning (it is
 * served once); one below another is an error.  0 or -errno, logged.
 */
int hooks_check_cgroups(char *paths, size_t stride, unsigned int *n);
/* Detach from the cgroup attached as @path (or as another spelling of it); -ENOENT if it is not. */
int hooks_detach(struct hooks *h, const char *path);
/*
 * Detach from the cgroups whose directory is gone (systemd removed a
 * unit's, a container went without poststop), logging each.  Their links
 * are defunct anyway; this keeps the list true.
 */
void hooks_prune(struct hooks *h);
/* Detach everything and unload; safe on partial state. */
void hooks_destroy(struct hooks *h);

int hooks_set_netns(struct hooks *h, __u64 netns_cookie,
		    const struct sock464_netns *cfg);
void hooks_del_netns(struct hooks *h, __u64 netns_cookie);
/* The entry of @netns_cookie (one a daemon stopped with --pin left): 0, or -ENOENT. */
int hooks_get_netns(struct hooks *h, __u64 netns_cookie, struct sock464_netns *cfg);
/* Look up and remove a pending relayed connect: 0, or -ENOENT. */
int hooks_take_pending(struct hooks *h, const struct sock464_pending_key *key,
		       struct sock464_pending *val);
/* The destination UDP alias @alias stands for in @netns: 0, or -ENOENT. */
int hooks_alias_lookup(struct hooks *h, __u64 netns, __u32 alias,
		       struct sock464_alias_dst *dst);
/*
 * Stop mapping the UDP destinations of @netns that no socket is connected
 * to, that no hook used since @idle_before_ns (bpf_ktime_get_ns clock) and
 * for whose alias @busy() says no.  Their aliases are appended to
 * *@retire (grown with realloc) and must be given back later with
 * hooks_alias_free(), once no datagram can be on its way to them.
 * Returns how many destinations stay mapped, or -errno.
 */
int hooks_alias_expire(struct hooks *h, __u64 netns, __u64 idle_before_ns,
		       int (*busy)(__u32 alias, void *arg), void *arg,
		       struct sock464_alias_key **retire, unsigned int *nretire);
void hooks_alias_free(struct hooks *h, const struct sock464_alias_key *key);
/* The UDP socket the hooks filed under source port @port in @netns: 0, or -ENOENT. */
int hooks_udp_src(struct hooks *h, __u64 netns, __u16 port, struct sock464_udp_src *src);
/* Remove every UDP destination and alias of namespace @netns. */
void hooks_alias_flush(struct hooks *h, __u64 netns);

/* One IPv4 prefix and what the policy tries hold for it. */
struct hooks_lpm_entry {
	__u32 ip4;		/* network order */
	__u8 plen;
	union {
		struct sock464_rule rule;	/* sock464_rules */
		__u32 table;			/* sock464_routes */
	};
};

/*
 * Make the rules (or routes) of @netns exactly @e[0..n): new entries are
 * written first, stale ones removed after, so no lookup ever sees neither.
 */
int hooks_set_rules(struct hooks *h, __u64 netns,
		    const struct hooks_lpm_entry *e, unsigned int n);
int hooks_set_routes(struct hooks *h, __u64 netns,
		     const struct hooks_lpm_entry *e, unsigned int n);

/* One link of a served namespace, for sock464_uplinks. */
struct hooks_uplink_entry {
	char name[SOCK464_IFNAMSIZ];
	struct sock464_uplink link;
};

/* The links of namespace @netns are @e: written, the others removed. */
int hooks_set_uplinks(struct hooks *h, __u64 netns,
		      const struct hooks_uplink_entry *e, unsigned int n);

/* Trace events on (1) or off (0); the ring buffer's fd. */
int hooks_set_trace(struct hooks *h, int on);
/* Namespaces without a relay: translated connects go native (1) or fail. */
int hooks_set_pass_unserved(struct hooks *h, int pass);
int hooks_events_fd(struct hooks *h);
/* Call @cb with each cgroup id that has counters, summed over the CPUs. */
int hooks_cg_counters(struct hooks *h,
		      void (*cb)(__u64 cgid, const __u64 c[SOCK464_CNT_MAX], void *arg),
		      void *arg);
/*
 * The path of the cgroup with id @cgid, found under the attached cgroups
 * (cgroup v2 ids are inode numbers); "?" if it is not there (any more).
 */
const char *hooks_cgroup_path(struct hooks *h, __u64 cgid);

/* Sum the per-CPU counters into @out. */
int hooks_counters(struct hooks *h, __u64 out[SOCK464_CNT_MAX]);

#endif
