// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup_id.h"
#include "client.h"
#include "hooks.h"
#include "log.h"
#include "probe.h"
#include "sock464.skel.h"

static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG || !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

const char *hooks_attach_name(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	if (!strcmp(sec, "sockops"))
		return "sock_ops";
	return strncmp(sec, "cgroup/", 7) ? sec : sec + 7;
}

/* Pin every map by name under h->pin_dir (libbpf reuses existing pins). */
static int set_map_pins(struct hooks *h)
{
	struct bpf_map *map;
	char path[512];

	bpf_object__for_each_map(map, h->skel->obj) {
		if (bpf_map__is_internal(map))	/* .rodata, .bss: per program */
			continue;
		snprintf(path, sizeof(path), "%s/%s", h->pin_dir, bpf_map__name(map));
		if (bpf_map__set_pin_path(map, path))
			return -errno;
	}
	return 0;
}

static int pin_programs(struct hooks *h)
{
	struct bpf_program *prog;
	char path[512];
	int err;

	bpf_object__for_each_program(prog, h->skel->obj) {
		snprintf(path, sizeof(path), "%s/%s", h->pin_dir, hooks_attach_name(prog));
		unlink(path);	/* a previous daemon's; what it is attached to keeps it */
		err = bpf_program__pin(prog, path);
		if (err) {
			log_err("pinning %s failed: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

int hooks_load(struct hooks *h, bool verbose, const char *pin_dir)
{
	int err;

	memset(h, 0, sizeof(*h));
	if (pin_dir)
		snprintf(h->pin_dir, sizeof(h->pin_dir), "%s", pin_dir);
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);

	h->skel = sock464__open();
	if (!h->skel) {
		err = -errno;
		log_err("opening the BPF object failed: %s", strerror(-err));
		return err;
	}
	h->skel->rodata->daemon_tgid = getpid();
	h->skel->rodata->have_set_retval = probe_one(PROBE_SET_RETVAL);
	if (!h->skel->rodata->have_set_retval)
		log_warn("this kernel has no bpf_set_retval (Linux 5.18): refused connects and "
			 "sends fail with EPERM rather than ENETUNREACH or ENOBUFS");
	if (h->pin_dir[0]) {
		if (mkdir(h->pin_dir, 0700) && errno != EEXIST) {
			err = -errno;
			log_err("--pin %s: %s (is bpffs mounted at /sys/fs/bpf?)",
				h->pin_dir, strerror(-err));
			goto fail;
		}
		err = set_map_pins(h);
		if (err)
			goto fail;
	}

	err = sock464__load(h->skel);
	if (err) {
		log_err("loading the BPF programs failed: %s", strerror(-err));
		if (err == -EPERM || err == -EACCES)
			log_err("sock464-load needs root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN "
				"(CAP_SYS_ADMIN before Linux 5.8)");
		else if (h->pin_dir[0])
			log_err("sock464 needs Linux 5.10 or later with BPF, cgroup v2 "
				"and BTF support; maps pinned in %s by another version "
				"must be removed first; -v shows more", h->pin_dir);
		else
			log_err("sock464 needs Linux 5.10 or later with BPF, cgroup v2 "
				"and BTF support; -v shows the verifier's log");
		goto fail;
	}
	if (h->pin_dir[0]) {
		err = pin_programs(h);
		if (err)
			goto fail;
	}
	return 0;
fail:
	sock464__destroy(h->skel);
	h->skel = NULL;
	return err;
}

int hooks_open_cgroup(const char *path)
{
	char mnt[4096];
	struct statfs sfs;
	int fd, err;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_err("--cgroup %s: %s", path, strerror(-err));
		return err;
	}
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return fd;
	close(fd);
	client_cgroup2_mount(mnt, sizeof(mnt));
	if (mnt[0])
		log_err("--cgroup %s: not a cgroup v2 directory (cgroup v2 is mounted at %s)",
			path, mnt);
	else
		log_err("--cgroup %s: not a cgroup v2 directory (no cgroup v2 is mounted)",
			path);
	return -ENOTDIR;
}

int hooks_check_cgroups(char *paths, size_t stride, unsigned int *n)
{
	static __u64 ids[HOOKS_MAX_CGROUPS][CGROUP_MAX_DEPTH];
	int nids[HOOKS_MAX_CGROUPS];
	unsigned int i, j, kept = 0;
	char why[2048];
	int fd, err;

	for (i = 0; i < *n && i < HOOKS_MAX_CGROUPS; i++) {
		char *path = paths + i * stride;

		fd = hooks_open_cgroup(path);
		if (fd < 0)
			return fd;
		nids[kept] = cgroup_chain(fd, ids[kept], CGROUP_MAX_DEPTH);
		close(fd);
		if (nids[kept] < 0) {
			log_err("--cgroup %s: %s", path, strerror(-nids[kept]));
			return nids[kept];
		}
		for (j = 0, err = 0; j < kept && !err; j++)
			err = cgroup_relation(path, ids[kept], nids[kept], paths + j * stride,
					      ids[j], nids[j], why, sizeof(why));
		if (err == -EEXIST) {
			log_warn("--cgroup %s: served once", why);
			continue;
		}
		if (err) {
			log_err("--cgroup %s", why);
			return err;
		}
		if (kept != i)
			memmove(paths + kept * stride, path, stride);
		kept++;
	}
	*n = kept;
	return 0;
}

/* Is the cgroup open as @fd (ids in @ids) one we may attach to?  0, or -errno with h->refused. */
static int cgroup_conflict(struct hooks *h, const char *path, const __u64 *ids, int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < h->ncgroups; i++) {
		const struct hooks_cgroup *cg = &h->cgroups[i];
		__u64 bids[CGROUP_MAX_DEPTH];
		unsigned int bn = cg->nup + 1 < CGROUP_MAX_DEPTH ? cg->nup + 1 : CGROUP_MAX_DEPTH;

		bids[0] = cg->id;
		memcpy(bids + 1, cg->up, (bn - 1) * sizeof(*bids));
		err = cgroup_relation(path, ids, n, cg->path, bids, bn,
				      h->refused, sizeof(h->refused));
		if (err == -EEXIST)
			snprintf(h->refused + strlen(h->refused),
				 sizeof(h->refused) - strlen(h->refused), ", served already");
		if (err)
			return err;
	}
	return 0;
}

static void cgroup_detach(struct hooks_cgroup *cg)
{
	unsigned int j;

	for (j = 0; j < cg->nlinks; j++)
		bpf_link__destroy(cg->links[j]);
	free(cg->path);
	free(cg->up);
	memset(cg, 0, sizeof(*cg));
}

int hooks_attach(struct hooks *h, const char *path, enum hooks_set set)
{
	__u64 ids[CGROUP_MAX_DEPTH];
	struct hooks_cgroup *cg;
	struct bpf_program *prog;
	int fd, nids, err = 0;

	if (h->ncgroups == HOOKS_MAX_CGROUPS) {
		log_err("--cgroup %s: at most %d cgroups can be served", path,
			HOOKS_MAX_CGROUPS);
		return -E2BIG;
	}
	fd = hooks_open_cgroup(path);
	if (fd < 0)
		return fd;
	nids = cgroup_chain(fd, ids, CGROUP_MAX_DEPTH);
	err = nids < 0 ? nids : cgroup_conflict(h, path, ids, nids);
	if (err) {
		if (nids < 0)
			snprintf(h->refused, sizeof(h->refused), "%s: %s", path, strerror(-err));
		log_err("--cgroup %s", h->refused);
		close(fd);
		return err;
	}
	cg = &h->cgroups[h->ncgroups++];
	memset(cg, 0, sizeof(*cg));
	cg->path = strdup(path);
	cg->id = ids[0];
	cg->up = malloc(nids * sizeof(*ids));
	if (cg->up) {
		memcpy(cg->up, ids + 1, (nids - 1) * sizeof(*ids));
		cg->nup = nids - 1;
	}

	bpf_object__for_each_program(prog, h->skel->obj) {
		struct bpf_link *link;

		if (set == HOOKS_COMPLEMENT &&
		    client_systemd_can_attach(hooks_attach_name(prog)))
			continue;
		link = bpf_program__attach_cgroup(prog, fd);
		if (!link) {
			err = -errno;
			log_err("attaching %s (%s) to %s failed: %s",
				bpf_program__name(prog),
				bpf_program__section_name(prog), path,
				strerror(-err));
			if (err == -EINVAL || err == -EOPNOTSUPP)
				log_err("this kernel lacks the hook; sock464 needs Linux 5.10 or later");
			break;
		}
		cg->links[cg->nlinks++] = link;
	}
	close(fd);
	if (err) {		/* all hooks or none */
		cgroup_detach(cg);
		h->ncgroups--;
	}
	return err;
}

/* The index of the served cgroup @path names (as spelt, or by id), or -1. */
static int served_index(const struct hooks *h, const char *path)
{
	struct statfs sfs;
	struct stat st;
	unsigned int i;

	for (i = 0; i < h->ncgroups; i++)
		if (!strcmp(h->cgroups[i].path, path))
			return i;
	if (stat(path, &st) || statfs(path, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -1;
	for (i = 0; i < h->ncgroups; i++)
		if (h->cgroups[i].id == st.st_ino)
			return i;
	return -1;
}

int hooks_detach(struct hooks *h, const char *path)
{
	int i = served_index(h, path);

	if (i < 0)
		return -ENOENT;
	cgroup_detach(&h->cgroups[i]);
	h->cgroups[i] = h->cgroups[--h->ncgroups];
	/* the last slot was moved, not freed: forget it there */
	memset(&h->cgroups[h->ncgroups], 0, sizeof(h->cgroups[0]));
	return 0;
}

void hooks_prune(struct hooks *h)
{
	unsigned int i = 0;
	char path[4096];

	while (i < h->ncgroups) {
		if (access(h->cgroups[i].path, F_OK) == 0 || errno != ENOENT) {
			i++;
			continue;
		}
		snprintf(path, sizeof(path), "%s", h->cgroups[i].path);
		hooks_detach(h, path);
		log_info("cgroup %s is gone: no longer serving it", path);
	}
}

void hooks_destroy(struct hooks *h)
{
	unsigned int i;

	for (i = 0; i < h->ncgroups; i++)
		cgroup_detach(&h->cgroups[i]);
	h->ncgroups = 0;
	if (h->skel)
		sock464__destroy(h->skel);
	h->skel = NULL;
}

/* cgroup id -> path, remembered; found by walking the attached trees. */
#define CG_CACHE 256
static struct { __u64 id; char path[512]; } cg_cache[CG_CACHE];
static unsigned int cg_next;
static __u64 cg_wanted;
static char cg_found[512];

static int cg_walk(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D && st->st_ino == cg_wanted) {
		snprintf(cg_found, sizeof(cg_found), "%s", path);
		return 1;
	}
	return 0;
}

const char *hooks_cgroup_path(struct hooks *h, __u64 cgid)
{
	unsigned int i;

	for (i = 0; i < CG_CACHE; i++)
		if (cg_cache[i].id == cgid && cg_cache[i].path[0])
			return cg_cache[i].path;
	cg_wanted = cgid;
	for (i = 0; i < h->ncgroups; i++)
		if (nftw(h->cgroups[i].path, cg_walk, 16, FTW_PHYS) == 1) {
			cg_cache[cg_next].id = cgid;
			snprintf(cg_cache[cg_next].path, sizeof(cg_cache[0].path), "%s", cg_found);
			cg_next = (cg_next + 1) % CG_CACHE;
			return cg_found;
		}
	return "?";
}
