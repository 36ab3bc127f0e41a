// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The shared maps as the daemon reads and writes them (hooks.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hooks.h"
#include "sock464.skel.h"

int hooks_set_netns(struct hooks *h, __u64 netns_cookie,
		    const struct sock464_netns *cfg)
{
	int fd = bpf_map__fd(h->skel->maps.sock464_netns);

	return bpf_map_update_elem(fd, &netns_cookie, cfg, BPF_ANY) ? -errno : 0;
}

int hooks_get_netns(struct hooks *h, __u64 netns_cookie, struct sock464_netns *cfg)
{
	int fd = bpf_map__fd(h->skel->maps.sock464_netns);

	return bpf_map_lookup_elem(fd, &netns_cookie, cfg) ? -errno : 0;
}

void hooks_del_netns(struct hooks *h, __u64 netns_cookie)
{
	bpf_map_delete_elem(bpf_map__fd(h->skel->maps.sock464_netns),
			    &netns_cookie);
}

int hooks_take_pending(struct hooks *h, const struct sock464_pending_key *key,
		       struct sock464_pending *val)
{
	int fd = bpf_map__fd(h->skel->maps.sock464_pending);

	return bpf_map_lookup_and_delete_elem(fd, key, val) ? -errno : 0;
}

int hooks_counters(struct hooks *h, __u64 out[SOCK464_CNT_MAX])
{
	int fd = bpf_map__fd(h->skel->maps.sock464_counters);
	int ncpus = libbpf_num_possible_cpus();
	__u64 *percpu;
	__u32 i;
	int c;

	if (ncpus < 0)
		return ncpus;
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (i = 0; i < SOCK464_CNT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, percpu))
			continue;
		for (c = 0; c < ncpus; c++)
			out[i] += percpu[c];
	}
	free(percpu);
	return 0;
}

int hooks_alias_lookup(struct hooks *h, __u64 netns, __u32 alias,
		       struct sock464_alias_dst *dst)
{
	struct sock464_alias_key key = { .netns = netns, .alias = alias };
	int fd = bpf_map__fd(h->skel->maps.sock464_alias);

	return bpf_map_lookup_elem(fd, &key, dst) ? -errno : 0;
}

int hooks_alias_expire(struct hooks *h, __u64 netns, __u64 idle_before_ns,
		       int (*busy)(__u32 alias, void *arg), void *arg,
		       struct sock464_alias_key **retire, unsigned int *nretire)
{
	int fd = bpf_map__fd(h->skel->maps.sock464_udp_dst);
	struct sock464_udp_dst key, next, *gone = NULL;
	struct sock464_udp_alias val;
	unsigned int ngone = 0, kept = 0, i;
	void *prev = NULL;
	int err = 0;

	/* Collect first: deleting while walking would restart the walk. */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (key.netns != netns || bpf_map_lookup_elem(fd, &key, &val))
			continue;
		if (val.refs || val.last_ns >= idle_before_ns || busy(val.alias, arg)) {
			kept++;
			continue;
		}
		if (!(ngone % 256)) {
			void *more = realloc(gone, (ngone + 256) * sizeof(*gone));

			if (!more) {
				err = -ENOMEM;
				break;
			}
			gone = more;
		}
		gone[ngone++] = key;
	}
	for (i = 0; i < ngone && !err; i++) {
		struct sock464_alias_key akey = { .netns = netns };
		void *more;

		/* Look again: a sender may have used it since. */
		if (bpf_map_lookup_elem(fd, &gone[i], &val) || val.refs ||
		    val.last_ns >= idle_before_ns) {
			kept++;
			continue;
		}
		if (bpf_map_delete_elem(fd, &gone[i]))
			continue;
		more = realloc(*retire, (*nretire + 1) * sizeof(**retire));
		if (!more) {
			err = -ENOMEM;
			break;
		}
		*retire = more;
		akey.alias = val.alias;
		(*retire)[(*nretire)++] = akey;
	}
	free(gone);
	return err ? err : (int)kept;
}

void hooks_alias_free(struct hooks *h, const struct sock464_alias_key *key)
{
	bpf_map_delete_elem(bpf_map__fd(h->skel->maps.sock464_alias), key);
}

int hooks_udp_src(struct hooks *h, __u64 netns, __u16 port, struct sock464_udp_src *src)
{
	struct sock464_udp_src_key key = { .netns = netns, .port = port };

	return bpf_map_lookup_elem(bpf_map__fd(h->skel->maps.sock464_udp_src), &key, src) ?
	       -errno : 0;
}

static void lpm_key(struct sock464_lpm_key *k, __u64 netns, __u32 ip4, __u8 plen)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = 64 + plen;
	memcpy(k->netns, &netns, sizeof(k->netns));
	k->ip4 = ip4;
}

static int lpm_replace(int fd, __u64 netns, const struct hooks_lpm_entry *e,
		       unsigned int n, int is_rule)
{
	struct sock464_lpm_key k, next, *stale = NULL;
	unsigned int i, j, nstale = 0;
	void *prev = NULL;
	__u64 cookie;
	int err = 0;

	for (i = 0; i < n; i++) {
		lpm_key(&k, netns, e[i].ip4, e[i].plen);
		if (bpf_map_update_elem(fd, &k, is_rule ? (const void *)&e[i].rule :
					(const void *)&e[i].table, BPF_ANY))
			return -errno;
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		memcpy(&cookie, k.netns, sizeof(cookie));
		if (cookie != netns)
			continue;
		for (j = 0; j < n; j++)
			if (e[j].ip4 == k.ip4 && 64u + e[j].plen == k.prefixlen)
				break;
		if (j < n)
			continue;
		if (!(nstale % 64)) {
			void *more = realloc(stale, (nstale + 64) * sizeof(*stale));

			if (!more) {
				err = -ENOMEM;
				break;
			}
			stale = more;
		}
		stale[nstale++] = k;
	}
	for (i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	free(stale);
	return err;
}

int hooks_set_rules(struct hooks *h, __u64 netns,
		    const struct hooks_lpm_entry *e, unsigned int n)
{
	return lpm_replace(bpf_map__fd(h->skel->maps.sock464_rules), netns, e, n, 1);
}

int hooks_set_routes(struct hooks *h, __u64 netns,
		     const struct hooks_lpm_entry *e, unsigned int n)
{
	return lpm_replace(bpf_map__fd(h->skel->maps.sock464_routes), netns, e, n, 0);
}

/* Remove @netns's entries of uplink map @fd that @keep does not want, 64 at a time. */
static void uplinks_prune(int fd, size_t key_size, __u64 netns,
			  bool (*keep)(const void *key, const struct hooks_uplink_entry *e,
				       unsigned int n),
			  const struct hooks_uplink_entry *e, unsigned int n)
{
	unsigned char key[64], next[64], stale[64][64];
	unsigned int i, nstale;
	void *prev;

	do {
		nstale = 0;
		for (prev = NULL; nstale < 64 && !bpf_map_get_next_key(fd, prev, next);
		     prev = key) {
			memcpy(key, next, key_size);
			if (*(__u64 *)key == netns && !keep(key, e, n))
				memcpy(stale[nstale++], key, key_size);
		}
		for (i = 0; i < nstale; i++)
			bpf_map_delete_elem(fd, stale[i]);
	} while (nstale == 64);
}

static bool keep_name(const void *key, const struct hooks_uplink_entry *e, unsigned int n)
{
	const struct sock464_uplink_key *k = key;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strncmp(k->name, e[i].name, sizeof(k->name)))
			return true;
	return false;
}

static bool keep_id(const void *key, const struct hooks_uplink_entry *e, unsigned int n)
{
	const struct sock464_uplink_id *k = key;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (k->ifindex == e[i].link.ifindex)
			return true;
	return false;
}

int hooks_set_uplinks(struct hooks *h, __u64 netns,
		      const struct hooks_uplink_entry *e, unsigned int n)
{
	int fd = bpf_map__fd(h->skel->maps.sock464_uplinks);
	int ids = bpf_map__fd(h->skel->maps.sock464_uplink_ids);
	struct sock464_uplink_key key;
	struct sock464_uplink_id id;
	unsigned int i;
	int err = 0;

	for (i = 0; i < n; i++) {
		memset(&key, 0, sizeof(key));
		key.netns = netns;
		memcpy(key.name, e[i].name, sizeof(key.name) - 1);
		id = (struct sock464_uplink_id){ .netns = netns, .ifindex = e[i].link.ifindex };
		if (bpf_map_update_elem(ids, &id, &e[i].link, BPF_ANY) ||
		    bpf_map_update_elem(fd, &key, &e[i].link, BPF_ANY))
			err = err ?: -errno;
	}
	/* then the namespace's links that are gone */
	uplinks_prune(fd, sizeof(key), netns, keep_name, e, n);
	uplinks_prune(ids, sizeof(id), netns, keep_id, e, n);
	return err;
}

/* sock464_config is one entry: read, change one field, write back. */
static int set_config(struct hooks *h, int trace, int pass_unserved)
{
	int fd = bpf_map__fd(h->skel->maps.sock464_config);
	struct sock464_config cfg = {};
	__u32 key = 0;

	bpf_map_lookup_elem(fd, &key, &cfg);
	if (trace >= 0)
		cfg.trace = trace;
	if (pass_unserved >= 0)
		cfg.pass_unserved = pass_unserved;
	return bpf_map_update_elem(fd, &key, &cfg, BPF_ANY) ? -errno : 0;
}

int hooks_set_trace(struct hooks *h, int on)
{
	return set_config(h, !!on, -1);
}

int hooks_set_pass_unserved(struct hooks *h, int pass)
{
	return set_config(h, -1, !!pass);
}

int hooks_events_fd(struct hooks *h)
{
	return bpf_map__fd(h->skel->maps.sock464_events);
}

int hooks_cg_counters(struct hooks *h,
		      void (*cb)(__u64 cgid, const __u64 c[SOCK464_CNT_MAX], void *arg),
		      void *arg)
{
	int fd = bpf_map__fd(h->skel->maps.sock464_cg_counters);
	int ncpus = libbpf_num_possible_cpus();
	struct sock464_cg_counters *percpu;
	__u64 key, next, sum[SOCK464_CNT_MAX];
	void *prev = NULL;
	int c, i;

	if (ncpus < 0)
		return ncpus;
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, percpu))
			continue;
		for (i = 0; i < SOCK464_CNT_MAX; i++)
			for (sum[i] = 0, c = 0; c < ncpus; c++)
				sum[i] += percpu[c].c[i];
		cb(key, sum, arg);
	}
	free(percpu);
	return 0;
}

/* Remove every UDP destination and alias of namespace @netns. */
void hooks_alias_flush(struct hooks *h, __u64 netns)
{
	int dfd = bpf_map__fd(h->skel->maps.sock464_udp_dst);
	int afd = bpf_map__fd(h->skel->maps.sock464_alias);
	struct sock464_udp_dst key, next;
	struct sock464_udp_alias val;
	struct sock464_alias_key akey = { .netns = netns };
	void *prev = NULL;

	while (bpf_map_get_next_key(dfd, prev, &next) == 0) {
		key = next;
		if (key.netns == netns && !bpf_map_lookup_elem(dfd, &key, &val)) {
			bpf_map_delete_elem(dfd, &key);
			akey.alias = val.alias;
			bpf_map_delete_elem(afd, &akey);
			continue;	/* deleted: the walk goes on from the start */
		}
		prev = &key;
	}
}
