/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Least privilege without systemd: once the programs are loaded and
 * attached, the control socket made and the open-file limit raised, the
 * daemon keeps only the capabilities it still uses (PRIVS_KEPT), sets
 * NoNewPrivs and a seccomp filter refusing what it never does (exec,
 * mount, ptrace, module loading, ...), and optionally becomes another user.
 */
#ifndef SOCK464_PRIVS_H
#define SOCK464_PRIVS_H

/*
 * Kept, measured on Linux 6.18 for what the running daemon does:
 *   CAP_BPF, CAP_PERFMON   map updates (the bpf() syscall needs CAP_BPF
 *                          when unprivileged BPF is off), attaching later
 *                          cgroups; the kernel data path's maps
 *   CAP_NET_ADMIN          attaching cgroup programs later (sock464ctl
 *                          attach, containers, SIGHUP); netlink rules and
 *                          tcx links of the kernel data path
 *   CAP_NET_RAW            raw ICMPv6 (RAs) and ICMP sockets in containers'
 *                          namespaces
 *   CAP_SYS_ADMIN          setns() into containers' network namespaces
 *   CAP_SYS_PTRACE         opening /proc/PID/ns/net and /proc/PID/root of
 *                          containers' processes
 *   CAP_SETUID             setfsuid(): the relays create their upstream
 *                          sockets under the application's uid, so that a
 *                          firewall rule by uid matches (issue 13, i13a);
 *                          setuid() and the like are refused by seccomp
 * Dropped: everything else, CAP_SYS_RESOURCE (the open-file limit is
 * raised before), CAP_SETGID (after --user), CAP_DAC_OVERRIDE.
 */

/*
 * Drop to the kept set (and to @user, if not NULL or ""), then NoNewPrivs
 * and the seccomp filter.  0, or -errno with the reason logged.
 */
int privs_drop(const char *user);

#endif
