// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel data path's pins, and --purge (see xlat_pin.h). */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "control.h"
#include "log.h"
#include "netns.h"
#include "xlat.h"
#include "xlat_pin.h"
#include "sock464_xlat.skel.h"

/* What the translator's programs are called (BPF_OBJ_NAME_LEN cuts them). */
#define XLAT_PROG_PREFIX "sock464_xlat_"

int xlat_pin_dir(char *out, size_t len, const char *pin)
{
	int err;

	if ((size_t)snprintf(out, len, "%s/xlat", pin) >= len) {
		log_err("--pin %s: too long a path for the kernel path's pins", pin);
		return -ENAMETOOLONG;
	}
	if (mkdir(out, 0700) && errno != EEXIST) {
		err = -errno;
		log_err("kernel path: creating %s failed: %s (nothing of it survives a restart)",
			out, strerror(-err));
		return err;
	}
	return 0;
}

/* Does the map pinned at @path have @m's definition?  (libbpf would refuse it.) */
static bool pin_fits(const char *path, const struct bpf_map *m)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	bool fits;

	if (fd < 0)
		return true;	/* none there: libbpf pins a new one */
	fits = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	       info.type == (__u32)bpf_map__type(m) && info.key_size == bpf_map__key_size(m) &&
	       info.value_size == bpf_map__value_size(m) &&
	       info.max_entries == bpf_map__max_entries(m) && info.map_flags == bpf_map__map_flags(m);
	close(fd);
	return fits;
}

int xlat_pin_maps(struct sock464_xlat *skel, const char *dir)
{
	struct bpf_map *maps[] = { skel->maps.xlat_counters, skel->maps.xlat_echo,
				   skel->maps.xlat_frags, skel->maps.xlat_bound };
	char path[512];
	unsigned int i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(maps[i]));
		if (!pin_fits(path, maps[i])) {
			log_warn("kernel path: the map pinned at %s is another version's: "
				 "replaced", path);
			unlink(path);
		}
		if (bpf_map__set_pin_path(maps[i], path))
			return -errno;
	}
	return 0;
}

const char *xlat_pin_link(char *buf, size_t len, const char *dir, __u64 cookie,
			  int ifindex, enum tc_dir tdir)
{
	if (!dir[0])
		return NULL;
	if (ifindex == 1)
		snprintf(buf, len, "%s/link_%llu_lo_%s", dir, (unsigned long long)cookie,
			 tc_dir_name(tdir));
	else
		snprintf(buf, len, "%s/link_%llu_%d_%s", dir, (unsigned long long)cookie, ifindex,
			 tc_dir_name(tdir));
	return buf;
}

void xlat_pin_prune(const char *dir, __u64 cookie)
{
	char prefix[40], path[512];
	struct dirent *e;
	DIR *d = opendir(dir);
	int fd;

	if (!d)
		return;
	snprintf(prefix, sizeof(prefix), "link_%llu_", (unsigned long long)cookie);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = bpf_obj_get(path);
		if (fd >= 0 && tc_tcx_defunct(fd) && !unlink(path))
			log_info("kernel path: %s: the pin of a link whose device is gone, removed",
				 path);
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
}

void xlat_state_path(char *buf, size_t len, const char *control, __u64 cookie)
{
	char name[48];

	snprintf(name, sizeof(name), "xlat.%llu.state", (unsigned long long)cookie);
	control_beside(buf, len, control, name);
}

/* Does a daemon answer on the control socket @path? */
static bool daemon_answers(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool yes;

	if (fd < 0)
		return false;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	yes = !connect(fd, (const struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return yes;
}

static int removed;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (remove(path))
		log_err("--purge: removing %s failed: %m", path);
	else if (flag != FTW_DP)
		removed++;
	return 0;
}

/* Every pin under @pin, and the directory; it must be on a bpffs.  Count or -errno. */
static int remove_pins(const char *pin)
{
	struct statfs sfs;

	if (statfs(pin, &sfs))
		return errno == ENOENT ? 0 : -errno;
	if (sfs.f_type != BPF_FS_MAGIC) {
		log_err("--purge: %s is not on a bpffs: nothing removed there", pin);
		return -EINVAL;
	}
	removed = 0;
	nftw(pin, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return access(pin, F_OK) ? removed : -ENOTEMPTY;
}

int xlat_purge(const char *pin, const char *control)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	char state[512];
	uint64_t cookie;
	int n = 0, r;

	if (daemon_answers(control)) {
		log_err("--purge: a daemon answers on %s: stop it first (--control names "
			"another one's socket)", control);
		if (ifs)
			if_freenameindex(ifs);
		return 1;
	}
	for (i = ifs; i && i->if_index; i++) {
		r = tc_sweep(i->if_index, TC_INGRESS, XLAT_PROG_PREFIX);
		n += r > 0 ? r : 0;
		r = tc_sweep(i->if_index, TC_EGRESS, XLAT_PROG_PREFIX);
		n += r > 0 ? r : 0;
	}
	if (ifs)
		if_freenameindex(ifs);
	/* the state file (the sysctls' old values) is named by the namespace's cookie */
	cookie = netns_cookie(-1);
	if (!cookie)
		log_err("--purge: cannot read this network namespace's cookie: %s; the "
			"kernel path's sysctls are left as they are", strerror(errno));
	xlat_state_path(state, sizeof(state), control, cookie);
	xlat_forget(cookie ? state : "");
	r = pin ? remove_pins(pin) : 0;
	if (r < 0) {
		log_err("--purge: removing the pins in %s failed: %s", pin, strerror(-r));
		return 1;
	}
	if (!cookie)
		return 1;
	log_info("--purge: %d TC attachments and %d pins%s%s removed; no rules or table %u "
		 "left", n, r, pin ? " in " : "", pin ? pin : "", SOCK464_XLAT_TABLE);
	return 0;
}
