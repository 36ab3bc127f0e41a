// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "log.h"
#include "privs.h"

static const int kept[] = {
	CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_PTRACE,
	CAP_SETUID,
};

/*
 * System calls the daemon never makes once running, refused with EPERM:
 * what an attacker in control of it would want (a shell, mounts, modules,
 * another process's memory, the clock, keys, new namespaces, a new
 * identity; setfsuid() stays, for the relays' upstream sockets).  An
 * allow-list would break on every libc or c-ares change.
 */
static const char *const denied[] = {
	"execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
	"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "unshare",
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"reboot", "swapon", "swapoff", "acct", "settimeofday", "clock_settime",
	"clock_adjtime", "adjtimex", "sethostname", "setdomainname", "iopl", "ioperm",
	"keyctl", "add_key", "request_key", "userfaultfd", "personality", "quotactl",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
	"setfsgid", "setgroups", "capset", "name_to_handle_at",
	"open_by_handle_at", "lookup_dcookie", "vhangup", "syslog",
};

/* Which of @kept the process has now; whether it may change its bounding set. */
static unsigned int have_now(bool *setpcap)
{
	unsigned int i, mask = 0;

	capng_get_caps_process();
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (capng_have_capability(CAPNG_PERMITTED, kept[i]))
			mask |= 1u << i;
	*setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	return mask;
}

static int set_caps(const char *user)
{
	struct passwd *pw = NULL;
	unsigned int i, mask;
	bool setpcap;
	int err;

	if (user && *user) {
		errno = 0;
		pw = getpwnam(user);
		if (!pw) {
			log_err("--user %s: %s", user, errno ? strerror(errno) : "no such user");
			return errno ? -errno : -ENOENT;
		}
	}
	mask = have_now(&setpcap);	/* a caller may have given fewer (setpriv, a unit) */
	capng_clear(CAPNG_SELECT_ALL);
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (mask & (1u << i))
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
				     CAPNG_BOUNDING_SET |
				     (pw ? CAPNG_INHERITABLE | CAPNG_AMBIENT : 0), kept[i]);
	if (pw) {
		err = setpcap ? capng_apply(CAPNG_SELECT_BOUNDS) : 0;
		if (!err)
			err = capng_change_id(pw->pw_uid, pw->pw_gid, CAPNG_DROP_SUPP_GRP);
		if (!err)	/* change_id applies the capabilities, not the ambient set */
			err = capng_apply(CAPNG_SELECT_AMBIENT);
	} else {
		err = capng_apply(setpcap ? CAPNG_SELECT_ALL : CAPNG_SELECT_CAPS);
	}
	if (err) {
		log_err("dropping capabilities%s%s failed (libcap-ng: %d): %s",
			pw ? " and becoming " : "", pw ? user : "", err, strerror(errno));
		return -EPERM;
	}
	return 0;
}

static int set_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	unsigned int i;
	int nr, err = 0;

	if (!ctx)
		return -ENOMEM;
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]) && !err; i++) {
		nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr != __NR_SCMP_ERROR)
			err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	if (!err)
		err = seccomp_load(ctx);	/* NoNewPrivs is set: no CAP_SYS_ADMIN needed */
	seccomp_release(ctx);
	return err;
}

int privs_drop(const char *user)
{
	int err = set_caps(user);

	if (err)
		return err;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err = -errno;
		log_err("setting NoNewPrivs failed: %s", strerror(-err));
		return err;
	}
	err = set_seccomp();
	if (err) {
		log_err("installing the seccomp filter failed: %s", strerror(-err));
		return err;
	}
	log_info("privileges dropped: running as uid %u with CAP_BPF, CAP_PERFMON, "
		 "CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SETUID; "
		 "NoNewPrivs, seccomp", (unsigned int)geteuid());
	return 0;
}
