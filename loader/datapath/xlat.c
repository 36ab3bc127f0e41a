// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel data path's set-up in each served namespace (see xlat.h). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hooks.h"
#include "log.h"
#include "netns.h"
#include "rfc7915.h"
#include "xlat.h"
#include "xlat_pin.h"
#include "xlat_rt.h"
#include "sock464.skel.h"
#include "sock464_xlat.skel.h"

/* The sysctls the kernel path needs in a namespace, and their values. */
static const struct {
	const char *path;
	const char *value;
} sysctls[XLAT_NSYSCTL] = {
	/* replies to 127.0.0.1 from afar are not martians */
	{ "/proc/sys/net/ipv4/conf/lo/route_localnet", "1" },
	/* the reverse-path check of replies uses their mark */
	{ "/proc/sys/net/ipv4/conf/lo/src_valid_mark", "1" },
	/* bpf_fib_lookup() answers only for a device that forwards */
	{ "/proc/sys/net/ipv6/conf/lo/forwarding", "1" },
};

/*
 * A copy of the programs for namespace @cookie, sharing the namespace map
 * with the hooks and the counters with the first copy (@shared, or NULL
 * for the first).  NULL on failure (logged).
 */
static struct sock464_xlat *load_copy(struct xlat *x, __u64 cookie,
				      struct sock464_xlat *shared)
{
	struct sock464_xlat *skel = sock464_xlat__open();
	int err;

	if (!skel) {
		log_err("opening the TC translator failed: %s", strerror(errno));
		return NULL;
	}
	skel->rodata->netns_cookie = cookie;
	skel->rodata->fib_src_flag = !x->no_fib_src;
	skel->rodata->check_mtu_flag = !x->no_check_mtu;
	err = bpf_map__reuse_fd(skel->maps.sock464_netns, x->netns_map_fd);
	if (!err)	/* the bound uplink of each socket (SO_BINDTODEVICE) */
		err = bpf_map__reuse_fd(skel->maps.sock464_sk, x->sk_map_fd);
	if (!err)	/* and its source */
		err = bpf_map__reuse_fd(skel->maps.sock464_uplink_ids, x->uplinks_map_fd);
	if (!err && shared)
		err = bpf_map__reuse_fd(skel->maps.xlat_counters,
					bpf_map__fd(shared->maps.xlat_counters));
	if (!err && shared)
		err = bpf_map__reuse_fd(skel->maps.xlat_echo,
					bpf_map__fd(shared->maps.xlat_echo));
	if (!err && shared)
		err = bpf_map__reuse_fd(skel->maps.xlat_frags,
					bpf_map__fd(shared->maps.xlat_frags));
	if (!err && shared)
		err = bpf_map__reuse_fd(skel->maps.xlat_bound,
					bpf_map__fd(shared->maps.xlat_bound));
	if (!err && !shared && x->pin_dir[0])
		err = xlat_pin_maps(skel, x->pin_dir);
	if (!err)
		err = sock464_xlat__load(skel);
	if (!err)
		xlat_source_preset(x, cookie, skel);
	if (err) {
		log_err("loading the TC translator failed: %s (the kernel data path "
			"needs Linux 5.10 or later; -v shows more)", strerror(-err));
		sock464_xlat__destroy(skel);
		return NULL;
	}
	return skel;
}

int xlat_load(struct xlat *x, struct hooks *h, bool verbose)
{
	(void)verbose;
	x->netns_map_fd = bpf_map__fd(h->skel->maps.sock464_netns);
	x->sk_map_fd = bpf_map__fd(h->skel->maps.sock464_sk);
	x->uplinks_map_fd = bpf_map__fd(h->skel->maps.sock464_uplink_ids);
	x->pin_dir[0] = '\0';
	if (h->pin_dir[0] && xlat_pin_dir(x->pin_dir, sizeof(x->pin_dir), h->pin_dir))
		x->pin_dir[0] = '\0';	/* logged: nothing survives a restart */
	x->skel = load_copy(x, 0, NULL);	/* the kernel can run it; the counters */
	return x->skel ? 0 : -EOPNOTSUPP;
}

void xlat_destroy(struct xlat *x)
{
	sock464_xlat__destroy(x->skel);
	x->skel = NULL;
}

static int read_sysctl(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * The sysctls' original values: those a killed daemon wrote down, or the
 * current ones (then written down, for the next start after a crash).
 */
static int save_sysctls(struct xlat_ns *n)
{
	FILE *f = n->state_path[0] ? fopen(n->state_path, "re") : NULL;
	unsigned int i, got = 0;
	int err;

	if (f) {
		for (i = 0; i < XLAT_NSYSCTL; i++)
			got += fscanf(f, "%15s", n->saved[i]) == 1;
		fclose(f);
		if (got == XLAT_NSYSCTL) {
			log_info("kernel path: restoring what a previous daemon left");
			return 0;
		}
	}
	for (i = 0; i < XLAT_NSYSCTL; i++) {
		err = read_sysctl(sysctls[i].path, n->saved[i], sizeof(n->saved[i]));
		if (err) {
			log_err("reading %s failed: %s", sysctls[i].path, strerror(-err));
			return err;
		}
	}
	f = n->state_path[0] ? fopen(n->state_path, "we") : NULL;
	if (f) {
		for (i = 0; i < XLAT_NSYSCTL; i++)
			fprintf(f, "%s\n", n->saved[i]);
		fclose(f);
	}
	return 0;
}

static int set_sysctls(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < XLAT_NSYSCTL; i++) {
		err = write_sysctl(sysctls[i].path, sysctls[i].value);
		if (err) {
			log_err("setting %s to %s failed: %s", sysctls[i].path,
				sysctls[i].value, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void restore_sysctls(struct xlat_ns *n)
{
	unsigned int i;
	int err;

	for (i = 0; i < XLAT_NSYSCTL; i++) {
		if (!n->saved[i][0])
			continue;
		err = write_sysctl(sysctls[i].path, n->saved[i]);
		if (err)
			log_err("restoring %s to %s failed: %s", sysctls[i].path,
				n->saved[i], strerror(-err));
	}
	if (n->state_path[0] && unlink(n->state_path) && errno != ENOENT)
		log_warn("kernel path: removing %s failed: %s (the next start restores "
			 "the values it holds)", n->state_path, strerror(errno));
}

/* Translate replies on uplink @ifindex (@name, for logs). */
static void attach_link(struct xlat_ns *n, int ifindex, const char *name)
{
	struct xlat_link *l = &n->links[n->nlinks];
	int prog = bpf_program__fd(n->skel->progs.sock464_xlat_in);
	char pin[sizeof(n->pin_dir) + 32];

	/* a previous daemon's is taken over or replaced in place, a killed one's swept */
	memset(l, 0, sizeof(*l));
	if (tc_attach(&l->a, n->mode, ifindex, TC_INGRESS, prog, "xlat_in",
		      xlat_pin_link(pin, sizeof(pin), n->pin_dir, n->cookie, ifindex,
				    TC_INGRESS)))
		return;		/* logged */
	l->ifindex = ifindex;
	n->nlinks++;
	log_debug("kernel path: translating replies on %s (%s)", name,
		  tc_mode_name(n->mode));
}

/* Attach ingress on every link but lo that has none; drop gone ones. */
static void sync_links(struct xlat_ns *n)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	unsigned int k;

	if (!ifs)
		return;
	for (k = 0; k < n->nlinks;) {
		for (i = ifs; i->if_index && (int)i->if_index != n->links[k].ifindex; i++)
			;
		if (i->if_index) {
			k++;
			continue;
		}
		tc_detach(&n->links[k].a, false);	/* gone with the device */
		n->links[k] = n->links[--n->nlinks];
	}
	for (i = ifs; i->if_index; i++) {
		if (i->if_index == 1)
			continue;
		for (k = 0; k < n->nlinks && n->links[k].ifindex != (int)i->if_index; k++)
			;
		if (k < n->nlinks || n->nlinks == XLAT_MAX_LINKS)
			continue;
		attach_link(n, i->if_index, i->if_name);
	}
	if_freenameindex(ifs);
}

/* Everything but the sysctls, in the namespace (entered by the caller). */
static int start_here(struct xlat_ns *n)
{
	char pin[sizeof(n->pin_dir) + 32];
	int err;

	n->mtu = xlat_route_mtu(xlat_rt_uplink_mtu());
	err = xlat_rt_set(true, n->mtu);
	if (err)
		return err;
	n->skel = load_copy(n->x, n->cookie, n->x->skel);
	if (!n->skel)
		return -EOPNOTSUPP;
	err = tc_attach(&n->lo, n->mode, 1, TC_EGRESS,
			bpf_program__fd(n->skel->progs.sock464_xlat_out), "xlat_out",
			xlat_pin_link(pin, sizeof(pin), n->pin_dir, n->cookie, 1, TC_EGRESS));
	if (err)
		return err;	/* logged */
	sync_links(n);
	if (n->pin_dir[0])
		xlat_pin_prune(n->pin_dir, n->cookie);	/* devices gone meanwhile */
	return 0;
}

int xlat_start(struct xlat_ns *n, struct xlat *x, int nsfd, __u64 cookie,
	       const char *state_path, enum tc_mode mode, bool keep)
{
	int err;

	memset(n, 0, sizeof(*n));
	n->x = x;
	n->nsfd = nsfd;
	n->cookie = cookie;
	n->mode = mode;
	if (state_path)
		snprintf(n->state_path, sizeof(n->state_path), "%s", state_path);
	if (keep)
		snprintf(n->pin_dir, sizeof(n->pin_dir), "%s", x->pin_dir);
	err = netns_enter(nsfd);
	if (err) {
		log_err("kernel path: entering the namespace failed: %s", strerror(-err));
		return err;
	}
	err = save_sysctls(n);
	if (!err)
		err = set_sysctls();
	if (!err)
		err = start_here(n);
	n->running = true;
	netns_leave(nsfd);
	if (err) {
		n->pin_dir[0] = '\0';	/* a failed start leaves nothing */
		xlat_stop(n);
	}
	else
		log_info("kernel path: rules fwmark 0x%x pref %u and 0x%x pref %u, "
			 "table %u via lo mtu %u, attached by %s", SOCK464_XLAT_MARK,
			 SOCK464_XLAT_PREF, SOCK464_XLAT_MARK_CONN, SOCK464_XLAT_PREF_CONN,
			 SOCK464_XLAT_TABLE, n->mtu, tc_mode_name(mode));
	return err;
}

bool xlat_keeps(const struct xlat_ns *n)
{
	return n->running && n->pin_dir[0];
}

/* --pin: what established flows need stays for the next daemon to adopt. */
static void leave_running(struct xlat_ns *n)
{
	unsigned int k;

	tc_detach(&n->lo, true);
	for (k = 0; k < n->nlinks; k++)
		tc_detach(&n->links[k].a, true);
	log_info("kernel path: left running for the established flows and the next "
		 "daemon (--pin): %s attachments (links pinned in %s), rules, table %u, "
		 "sysctls (originals in %s); sock464-load --purge removes them",
		 tc_mode_name(n->mode), n->pin_dir, SOCK464_XLAT_TABLE, n->state_path);
}

void xlat_stop(struct xlat_ns *n)
{
	unsigned int k;

	if (!n->running)
		return;
	if (n->pin_dir[0]) {
		leave_running(n);
	} else if (!netns_enter(n->nsfd)) {
		/* clsact filters outlive us: removed in their namespace */
		tc_detach(&n->lo, false);
		for (k = 0; k < n->nlinks; k++)
			tc_detach(&n->links[k].a, false);
		xlat_rt_set(false, 0);
		restore_sysctls(n);
		netns_leave(n->nsfd);
	} else if (n->mode == TC_MODE_TCX) {
		/* the namespace is gone: only our links' fds are left to close */
		tc_detach(&n->lo, false);
		for (k = 0; k < n->nlinks; k++)
			tc_detach(&n->links[k].a, false);
	}
	n->nlinks = 0;
	sock464_xlat__destroy(n->skel);
	n->skel = NULL;
	n->running = false;
}

void xlat_links_changed(struct xlat_ns *n)
{
	if (!n->running || netns_enter(n->nsfd))
		return;
	sync_links(n);
	netns_leave(n->nsfd);
}

int xlat_counters(struct xlat *x, __u64 out[SOCK464_XC_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), fd, c;
	__u32 i;
	__u64 *v;

	memset(out, 0, sizeof(__u64) * SOCK464_XC_MAX);
	if (!x->skel || ncpu <= 0)
		return -ENOENT;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	fd = bpf_map__fd(x->skel->maps.xlat_counters);
	for (i = 0; i < SOCK464_XC_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, v))
			continue;
		for (c = 0; c < ncpu; c++)
			out[i] += v[c];
	}
	free(v);
	return 0;
}

void xlat_forget(const char *state_path)
{
	struct xlat_ns n = { 0 };
	FILE *f = fopen(state_path, "re");
	unsigned int i, got = 0;

	xlat_rt_set(false, 0);
	if (!f)
		return;
	for (i = 0; i < XLAT_NSYSCTL; i++)
		got += fscanf(f, "%15s", n.saved[i]) == 1;
	fclose(f);
	if (got != XLAT_NSYSCTL) {
		log_warn("%s: not the %d values sock464 writes: the sysctls and the file are "
			 "left as they are", state_path, XLAT_NSYSCTL);
		return;
	}
	snprintf(n.state_path, sizeof(n.state_path), "%s", state_path);
	restore_sysctls(&n);
	log_info("kernel path: the sysctls restored from %s", state_path);
}
