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
#include "xlat_rt.h"
#include "sock464.skel.h"
#include "sock464_xlat.skel.h"

/* tcx attach types (Linux 6.6), missing from older UAPI headers. */
#define XLAT_BPF_TCX_INGRESS 46
#define XLAT_BPF_TCX_EGRESS 47

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
	err = bpf_map__reuse_fd(skel->maps.sock464_netns, x->netns_map_fd);
	if (!err && shared)
		err = bpf_map__reuse_fd(skel->maps.xlat_counters,
					bpf_map__fd(shared->maps.xlat_counters));
	if (!err && shared)
		err = bpf_map__reuse_fd(skel->maps.xlat_echo,
					bpf_map__fd(shared->maps.xlat_echo));
	if (!err && shared)
		err = bpf_map__reuse_fd(skel->maps.xlat_frags,
					bpf_map__fd(shared->maps.xlat_frags));
	if (!err)
		err = sock464_xlat__load(skel);
	if (err) {
		log_err("loading the TC translator failed: %s (the kernel data path "
			"needs Linux 6.8 or later; -v shows more)", strerror(-err));
		sock464_xlat__destroy(skel);
		return NULL;
	}
	return skel;
}

int xlat_load(struct xlat *x, struct hooks *h, bool verbose)
{
	(void)verbose;
	x->netns_map_fd = bpf_map__fd(h->skel->maps.sock464_netns);
	x->skel = load_copy(x, 0, NULL);	/* the kernel can run it; the counters */
	return x->skel ? 0 : -EOPNOTSUPP;
}

void xlat_destroy(struct xlat *x)
{
	sock464_xlat__destroy(x->skel);
	x->skel = NULL;
}

/* The one way the translator is attached (issue 15 adds clsact). */
int xlat_attach(int prog_fd, int ifindex, bool ingress)
{
	int fd = bpf_link_create(prog_fd, ifindex,
				 ingress ? XLAT_BPF_TCX_INGRESS : XLAT_BPF_TCX_EGRESS, NULL);

	return fd < 0 ? -errno : fd;
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
	if (n->state_path[0])
		unlink(n->state_path);
}

/* Attach ingress on every link but lo that has none; drop gone ones. */
static void sync_links(struct xlat_ns *n)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	unsigned int k;
	int fd, prog = bpf_program__fd(n->skel->progs.sock464_xlat_in);

	if (!ifs)
		return;
	for (k = 0; k < n->nlinks;) {
		for (i = ifs; i->if_index && (int)i->if_index != n->links[k].ifindex; i++)
			;
		if (i->if_index) {
			k++;
			continue;
		}
		close(n->links[k].fd);
		n->links[k] = n->links[--n->nlinks];
	}
	for (i = ifs; i->if_index; i++) {
		if (i->if_index == 1)
			continue;
		for (k = 0; k < n->nlinks && n->links[k].ifindex != (int)i->if_index; k++)
			;
		if (k < n->nlinks || n->nlinks == XLAT_MAX_LINKS)
			continue;
		fd = xlat_attach(prog, i->if_index, true);
		if (fd < 0) {
			log_err("kernel path: attaching to %s ingress failed: %s",
				i->if_name, strerror(-fd));
			continue;
		}
		n->links[n->nlinks++] = (struct xlat_link){ i->if_index, fd };
		log_debug("kernel path: translating replies on %s", i->if_name);
	}
	if_freenameindex(ifs);
}

/* Everything but the sysctls, in the namespace (entered by the caller). */
static int start_here(struct xlat_ns *n)
{
	int err;

	n->mtu = xlat_route_mtu(xlat_rt_uplink_mtu());
	err = xlat_rt_set(true, n->mtu);
	if (err)
		return err;
	n->skel = load_copy(n->x, n->cookie, n->x->skel);
	if (!n->skel)
		return -EOPNOTSUPP;
	n->lo_fd = xlat_attach(bpf_program__fd(n->skel->progs.sock464_xlat_out), 1, false);
	if (n->lo_fd < 0) {
		err = n->lo_fd;
		log_err("kernel path: attaching to lo egress (tcx) failed: %s",
			strerror(-err));
		return err;
	}
	sync_links(n);
	return 0;
}

int xlat_start(struct xlat_ns *n, struct xlat *x, int nsfd, __u64 cookie,
	       const char *state_path)
{
	int err;

	memset(n, 0, sizeof(*n));
	n->x = x;
	n->nsfd = nsfd;
	n->cookie = cookie;
	n->lo_fd = -1;
	if (state_path)
		snprintf(n->state_path, sizeof(n->state_path), "%s", state_path);
	err = netns_enter(nsfd);
	if (err) {
		log_err("kernel path: entering the namespace failed: %s", strerror(-err));
		return err;
	}
	xlat_rt_set(false, 0);	/* a killed daemon's rule and route */
	err = save_sysctls(n);
	if (!err)
		err = set_sysctls();
	if (!err)
		err = start_here(n);
	n->running = true;
	netns_leave(nsfd);
	if (err)
		xlat_stop(n);
	else
		log_info("kernel path: rules fwmark 0x%x pref %u and 0x%x pref %u, "
			 "table %u via lo mtu %u", SOCK464_XLAT_MARK, SOCK464_XLAT_PREF,
			 SOCK464_XLAT_MARK_CONN, SOCK464_XLAT_PREF_CONN,
			 SOCK464_XLAT_TABLE, n->mtu);
	return err;
}

void xlat_stop(struct xlat_ns *n)
{
	unsigned int k;

	if (!n->running)
		return;
	if (n->lo_fd >= 0)
		close(n->lo_fd);
	for (k = 0; k < n->nlinks; k++)
		close(n->links[k].fd);
	n->nlinks = 0;
	n->lo_fd = -1;
	sock464_xlat__destroy(n->skel);
	n->skel = NULL;
	if (!netns_enter(n->nsfd)) {
		xlat_rt_set(false, 0);
		restore_sysctls(n);
		netns_leave(n->nsfd);
	}
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

void xlat_status_write(struct xlat_ns *n, FILE *out, bool json)
{
	static const char *const names[] = SOCK464_XLAT_COUNTER_NAMES;
	__u64 c[SOCK464_XC_MAX];
	unsigned int i;

	if (!n->running) {
		fputs(json ? ",\"data_path\":{\"kind\":\"relay\"}" : "data path: relay\n", out);
		return;
	}
	xlat_counters(n->x, c);
	if (json)
		fprintf(out, ",\"data_path\":{\"kind\":\"kernel\",\"attach\":\"tcx\","
			"\"uplinks\":%u,\"route_mtu\":%u,\"counters\":{", n->nlinks, n->mtu);
	else
		fprintf(out, "data path: kernel (tcx on lo egress and %u uplinks, route mtu %u)\n"
			"xlat counters:", n->nlinks, n->mtu);
	for (i = 0; i < SOCK464_XC_MAX; i++) {
		if (json)
			fprintf(out, "%s\"%s\":%llu", i ? "," : "", names[i],
				(unsigned long long)c[i]);
		else
			fprintf(out, " %s=%llu", names[i], (unsigned long long)c[i]);
	}
	fputs(json ? "}}" : "\n", out);
}
