/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the daemon's clients (sock464ctl, sock464-oci-hook) and the daemon
 * itself share: reaching the control socket, finding a process's cgroup v2
 * directory, and the hooks systemd can attach.  No BPF, no logging: the
 * caller reports what failed (@why).
 */
#ifndef SOCK464_CLIENT_H
#define SOCK464_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "protocol.h"

/*
 * Connect to the control socket at @path and send @req and a newline.
 * Returns the connected socket, or -errno with @why saying what failed
 * ("cannot reach sock464-load at PATH: ... (is it running?)").  A daemon
 * that refuses the client (not root) may close before reading the
 * request: that is no error here (no SIGPIPE either: MSG_NOSIGNAL, and
 * EPIPE or ECONNRESET are ignored), its answer is still there to be read.
 */
int client_request(const char *path, const char *req, char *why, size_t whylen);

/*
 * Read the whole answer (until the daemon closes, @alen - 1 bytes at most,
 * NUL-terminated) within @timeout_ms.  Its length, or -ETIMEDOUT.
 */
ssize_t client_read_answer(int fd, char *answer, size_t alen, int timeout_ms);

/*
 * Why a request got no answer at all: the daemon closed the connection
 * without one (it had no free client slot, or it hung up), or said nothing
 * in time.  "no answer from sock464-load at PATH (...)" in @why.
 */
void client_no_answer(const char *path, char *why, size_t whylen);

/* A word the one-line protocol can carry: not empty, no spaces or controls. */
bool client_is_word(const char *s);

/* Where cgroup v2 is mounted in this mount namespace ("" if nowhere). */
void client_cgroup2_mount(char *buf, size_t len);

/*
 * The absolute path, in this mount namespace, of the cgroup v2 directory
 * process @pid (0: this one) is in: the "0::" line of /proc/PID/cgroup
 * under the cgroup2 mount of /proc/self/mountinfo that shows it.  0, or
 * -errno with @why.
 */
int client_cgroup_of(long pid, char *out, size_t outlen, char *why, size_t whylen);

/*
 * The sock464 programs systemd's BPFProgram= can attach (systemd 252), by
 * their attach type names: the drop-in names them, and the daemon's
 * "attach PATH complement" attaches all the others.
 */
extern const char *const client_systemd_hooks[];
extern const size_t client_nsystemd_hooks;
bool client_systemd_can_attach(const char *name);

#endif
