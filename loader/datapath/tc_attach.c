// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tc_attach.h: the one way sock464 attaches its TC programs, with tcx links
 * or clsact filters (tc_clsact.c).  Debian 12's libbpf 1.1 and UAPI headers
 * (Linux 6.1) know nothing of tcx: the few constants and struct layouts it
 * needs are defined here, as the kernel (6.6+) has them.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "tc_attach.h"

/* include/uapi/linux/bpf.h of Linux 6.6 */
#define TCX_ATTACH_INGRESS	46	/* BPF_TCX_INGRESS */
#define TCX_ATTACH_EGRESS	47	/* BPF_TCX_EGRESS */
#define TCX_LINK_TYPE		11	/* BPF_LINK_TYPE_TCX */
#define TCX_MAX_LINKS		64

/* struct bpf_link_info up to its tcx member (6.6+). */
struct tcx_link_info {
	__u32 type, id, prog_id, pad;
	__u32 ifindex, attach_type;
};

/* union bpf_attr's query member as of 6.6 (libbpf 1.1 has no link_ids). */
struct tcx_query_attr {
	__u32 target_ifindex, attach_type, query_flags, attach_flags;
	__aligned_u64 prog_ids;
	__u32 count, pad;
	__aligned_u64 prog_attach_flags, link_ids, link_attach_flags;
	__u64 revision;
};

const char *tc_mode_name(enum tc_mode mode)
{
	return mode == TC_MODE_TCX ? "tcx" : mode == TC_MODE_CLSACT ? "clsact" : "none";
}

const char *tc_dir_name(enum tc_dir dir)
{
	return dir == TC_INGRESS ? "ingress" : "egress";
}

static __u32 tcx_type(enum tc_dir dir)
{
	return dir == TC_INGRESS ? TCX_ATTACH_INGRESS : TCX_ATTACH_EGRESS;
}

static const char *ifname(int ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "ifindex %d", ifindex);
	return buf;
}

/* The id and name of a program, from its fd; 0 or -errno. */
static int prog_info(int prog_fd, __u32 *id, char *name, size_t len)
{
	struct bpf_prog_info info = { 0 };
	__u32 info_len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &info_len))
		return -errno;
	*id = info.id;
	if (name)
		snprintf(name, len, "%s", info.name);
	return 0;
}

/* Is @fd a live tcx link on (@ifindex, @dir) of this namespace?  Its program in *prog_id. */
static bool tcx_link_on(int fd, int ifindex, enum tc_dir dir, __u32 *prog_id)
{
	struct tcx_link_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != TCX_LINK_TYPE)
		return false;
	*prog_id = info.prog_id;
	return (int)info.ifindex == ifindex && info.attach_type == tcx_type(dir);
}

/* BPF_PROG_QUERY of a tcx hook: program and link ids; count or -errno. */
static int tcx_query(int ifindex, enum tc_dir dir, __u32 *progs, __u32 *links, __u32 max)
{
	struct tcx_query_attr attr = {
		.target_ifindex = ifindex, .attach_type = tcx_type(dir),
		.prog_ids = (__u64)(unsigned long)progs, .count = max,
		.link_ids = (__u64)(unsigned long)links,
	};

	if (syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		return -errno;
	return attr.count < max ? attr.count : max;
}

/*
 * Detach the tcx links on the hook whose program's name starts with
 * @prog_name, except link @keep_link: a previous daemon's (pinned) links.
 * Count or -errno.
 */
static int tcx_sweep(int ifindex, enum tc_dir dir, const char *prog_name, __u32 keep_link)
{
	__u32 progs[TCX_MAX_LINKS], links[TCX_MAX_LINKS], id;
	char name[BPF_OBJ_NAME_LEN], dev[IF_NAMESIZE];
	int n, i, fd, removed = 0;

	n = tcx_query(ifindex, dir, progs, links, TCX_MAX_LINKS);
	if (n == -EINVAL)	/* no tcx in this kernel: nothing to sweep */
		return 0;
	for (i = 0; i < n; i++) {
		if (!links[i] || links[i] == keep_link)
			continue;
		fd = bpf_prog_get_fd_by_id(progs[i]);
		if (fd < 0)
			continue;
		if (prog_info(fd, &id, name, sizeof(name)) ||
		    strncmp(name, prog_name, strlen(prog_name))) {
			close(fd);
			continue;
		}
		close(fd);
		fd = bpf_link_get_fd_by_id(links[i]);
		if (fd < 0 || bpf_link_detach(fd)) {
			log_err("detaching the stale tcx link %u (program %u %s) from %s %s failed: %m",
				links[i], progs[i], name, ifname(ifindex, dev), tc_dir_name(dir));
		} else {
			log_info("detached the stale tcx link %u (program %u %s) from %s %s",
				 links[i], progs[i], name, ifname(ifindex, dev), tc_dir_name(dir));
			removed++;
		}
		if (fd >= 0)
			close(fd);
	}
	return n < 0 ? n : removed;
}

int tc_tcx_list(int ifindex, enum tc_dir dir, const char *prog_name, __u32 *out, int max)
{
	__u32 progs[TCX_MAX_LINKS], links[TCX_MAX_LINKS], id;
	char name[BPF_OBJ_NAME_LEN];
	int n, i, fd, count = 0;

	n = tcx_query(ifindex, dir, progs, links, TCX_MAX_LINKS);
	for (i = 0; i < n; i++) {
		fd = bpf_prog_get_fd_by_id(progs[i]);
		if (fd < 0)
			continue;
		if (!prog_info(fd, &id, name, sizeof(name)) &&
		    !strncmp(name, prog_name, strlen(prog_name))) {
			if (out && count < max)
				out[count] = links[i];
			count++;
		}
		close(fd);
	}
	return n < 0 ? n : count;
}

/* A link pinned at @pin for this hook: update it to @prog_fd.  fd, or -1. */
static int tcx_take_over(const char *pin, int ifindex, enum tc_dir dir, int prog_fd)
{
	char dev[IF_NAMESIZE];
	__u32 old = 0;
	int fd = bpf_obj_get(pin);

	if (fd < 0)
		return -1;
	if (tcx_link_on(fd, ifindex, dir, &old) && !bpf_link_update(fd, prog_fd, NULL)) {
		log_info("took over the tcx link pinned at %s on %s %s (program %u before)",
			 pin, ifname(ifindex, dev), tc_dir_name(dir), old);
		return fd;
	}
	/* Defunct (its device is gone), for another hook, or not a link. */
	log_info("%s: a stale pin, not a live tcx link on %s %s: removed", pin,
		 ifname(ifindex, dev), tc_dir_name(dir));
	bpf_link_detach(fd);
	close(fd);
	unlink(pin);
	return -1;
}

static int tcx_attach(struct tc_attachment *a, int prog_fd, const char *pin)
{
	char dev[IF_NAMESIZE];
	int fd = -1, err;

	if (pin && *pin)
		fd = tcx_take_over(pin, a->ifindex, a->dir, prog_fd);
	if (fd >= 0) {
		a->link_fd = fd;
		return 0;
	}
	fd = bpf_link_create(prog_fd, a->ifindex, tcx_type(a->dir), NULL);
	if (fd < 0) {
		err = -errno;
		log_err("creating a tcx link on %s %s failed: %s%s", ifname(a->ifindex, dev),
			tc_dir_name(a->dir), strerror(-err),
			err == -EINVAL ? " (no tcx before Linux 6.6: use clsact)" : "");
		return err;
	}
	if (pin && *pin && bpf_obj_pin(fd, pin)) {
		/* attached all the same, only not past this daemon */
		log_warn("pinning the tcx link of %s %s at %s failed: %s (it ends with the "
			 "daemon)", ifname(a->ifindex, dev), tc_dir_name(a->dir), pin,
			 strerror(errno));
		a->pin[0] = '\0';
	}
	a->link_fd = fd;
	return 0;
}

/* After a mode's attachment is in place: leftovers of earlier daemons go. */
static void sweep_others(struct tc_attachment *a, const char *prog_name)
{
	struct tcx_link_info info = { 0 };
	__u32 len = sizeof(info);

	if (a->mode == TC_MODE_TCX) {
		bpf_obj_get_info_by_fd(a->link_fd, &info, &len);
		tcx_sweep(a->ifindex, a->dir, prog_name, info.id);
		tc_clsact_sweep(a->ifindex, a->dir, 0);
	} else {
		tc_clsact_sweep(a->ifindex, a->dir, TC_SOCK464_HANDLE);
		tcx_sweep(a->ifindex, a->dir, prog_name, 0);
		if (a->pin[0] && unlink(a->pin) == 0)
			log_info("%s: the pin of a tcx link, removed (now clsact)", a->pin);
		a->pin[0] = '\0';
	}
}

int tc_attach(struct tc_attachment *a, enum tc_mode mode, int ifindex,
	      enum tc_dir dir, int prog_fd, const char *name, const char *pin)
{
	char prog_name[BPF_OBJ_NAME_LEN], dev[IF_NAMESIZE];
	int err;

	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	a->ifindex = ifindex;
	a->dir = dir;
	if (pin && strlen(pin) >= sizeof(a->pin)) {
		log_err("attaching to %s %s: the pin path %s is too long",
			ifname(ifindex, dev), tc_dir_name(dir), pin);
		return -ENAMETOOLONG;
	}
	snprintf(a->pin, sizeof(a->pin), "%s", pin ? pin : "");
	err = prog_info(prog_fd, &a->prog_id, prog_name, sizeof(prog_name));
	if (err) {
		log_err("reading the program to attach to %s %s failed: %s",
			ifname(ifindex, dev), tc_dir_name(dir), strerror(-err));
		return err;
	}
	if (mode == TC_MODE_TCX)
		err = tcx_attach(a, prog_fd, pin);
	else if (mode == TC_MODE_CLSACT)
		err = tc_clsact_add(ifindex, dir, prog_fd, name);
	else
		err = -EINVAL;
	if (err)
		return err;
	a->mode = mode;
	sweep_others(a, prog_name);
	log_info("attached program %u (%s) to %s %s with %s", a->prog_id, prog_name,
		 ifname(ifindex, dev), tc_dir_name(dir), tc_mode_name(mode));
	return 0;
}

static int tcx_detach(struct tc_attachment *a, bool keep)
{
	struct tcx_link_info info = { 0 };
	__u32 len = sizeof(info), now = 0;
	int err = 0;

	if (!keep && tcx_link_on(a->link_fd, a->ifindex, a->dir, &now) && now == a->prog_id) {
		if (bpf_link_detach(a->link_fd))
			err = -errno;
		if (a->pin[0])
			unlink(a->pin);
	} else if (!keep && a->pin[0] && !bpf_obj_get_info_by_fd(a->link_fd, &info, &len) &&
		   !info.ifindex && info.prog_id == a->prog_id) {
		unlink(a->pin);		/* our link, defunct: its device is gone */
	}
	close(a->link_fd);
	a->link_fd = -1;
	return err;
}

int tc_detach(struct tc_attachment *a, bool keep)
{
	char dev[IF_NAMESIZE];
	int err = 0;

	if (a->mode == TC_MODE_TCX)
		err = tcx_detach(a, keep);
	else if (a->mode == TC_MODE_CLSACT && !keep)
		err = tc_clsact_del_own(a->ifindex, a->dir, a->prog_id);
	if (err)
		log_err("detaching program %u from %s %s (%s) failed: %s", a->prog_id,
			ifname(a->ifindex, dev), tc_dir_name(a->dir), tc_mode_name(a->mode),
			strerror(-err));
	a->mode = TC_MODE_NONE;
	return err;
}

int tc_sweep(int ifindex, enum tc_dir dir, const char *prog_prefix)
{
	int a = tcx_sweep(ifindex, dir, prog_prefix, 0), b = tc_clsact_sweep(ifindex, dir, 0);

	if (a < 0)
		return a;
	return b < 0 ? b : a + b;
}

bool tc_tcx_defunct(int fd)
{
	struct tcx_link_info info = { 0 };
	__u32 len = sizeof(info);

	return !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == TCX_LINK_TYPE &&
	       !info.ifindex;
}
