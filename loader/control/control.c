// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

#define CLIENT_TIMEOUT_S 2	/* a stalled client cannot hold the loop longer */

static void client_close(struct control_client *cl)
{
	struct control *c = cl->ctl;

	loop_del(c->loop, &cl->src);
	close(cl->src.fd);
	cl->src.fd = -1;
	if (cl->subscribed) {
		cl->subscribed = false;
		c->nsubscribed--;
		if (c->subscribers)
			c->subscribers(c->nsubscribed, c->arg);
	}
}

void control_broadcast(struct control *c, const char *line, bool json)
{
	size_t len = strlen(line);
	int i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *cl = &c->clients[i];

		if (cl->src.fd < 0 || !cl->subscribed || cl->json != json)
			continue;
		if (send(cl->src.fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
			c->dropped++;
	}
}

/*
 * Answer with everything at once; the socket blocks at most
 * CLIENT_TIMEOUT_S.  Returns CONTROL_SUBSCRIBE if the client stays.
 */
static int client_answer(struct control_client *cl)
{
	char *buf = NULL;
	size_t size = 0, off = 0;
	FILE *out = open_memstream(&buf, &size);
	int flags, ret;
	ssize_t n;

	if (!out)
		return CONTROL_CLOSE;
	cl->line[strcspn(cl->line, "\r\n")] = '\0';
	ret = cl->ctl->handle(cl->line, out, &cl->json, cl->ctl->arg);
	if (ret < 0)
		fprintf(out, "error: %s\n", strerror(-ret));
	fclose(out);
	flags = fcntl(cl->src.fd, F_GETFL);
	fcntl(cl->src.fd, F_SETFL, flags & ~O_NONBLOCK);
	while (off < size) {
		n = send(cl->src.fd, buf + off, size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += n;
	}
	fcntl(cl->src.fd, F_SETFL, flags);
	free(buf);
	return ret == CONTROL_SUBSCRIBE ? CONTROL_SUBSCRIBE : CONTROL_CLOSE;
}

/* Answer @fmt without running anything, and hang up. */
static void __attribute__((format(printf, 2, 3)))
refuse(struct control_client *cl, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	send(cl->src.fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	client_close(cl);
}

/* Drop clients that did not send a whole request in time; again later. */
static void on_idle(struct timer *t)
{
	struct control *c = container_of(t, struct control, idle);
	uint64_t now = loop_now_ms();
	bool waiting = false;
	int i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *cl = &c->clients[i];

		if (cl->src.fd < 0 || cl->subscribed)
			continue;
		if (now - cl->since_ms >= CONTROL_READ_TIMEOUT_MS)
			refuse(cl, "error: no request line within %d s: closing\n",
			       CONTROL_READ_TIMEOUT_MS / 1000);
		else
			waiting = true;
	}
	if (waiting)
		timer_arm(c->loop, &c->idle, on_idle, 500);
}

static void on_client(struct ev_source *src, uint32_t events)
{
	struct control_client *cl = container_of(src, struct control_client, src);
	char drain[64];
	ssize_t n;

	(void)events;
	if (cl->subscribed) {	/* a subscriber only ever hangs up */
		n = read(src->fd, drain, sizeof(drain));
		if (n == 0 || (n < 0 && errno != EAGAIN))
			client_close(cl);
		return;
	}
	n = read(src->fd, cl->line + cl->len, sizeof(cl->line) - 1 - cl->len);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		client_close(cl);
		return;
	}
	cl->len += n;
	cl->line[cl->len] = '\0';
	if (!strchr(cl->line, '\n')) {
		if (cl->len < sizeof(cl->line) - 1)
			return;		/* wait for the rest of the line */
		refuse(cl, "error: request longer than %zu bytes: refused\n",
		       sizeof(cl->line) - 2);
		return;
	}
	if (client_answer(cl) == CONTROL_SUBSCRIBE) {
		cl->subscribed = true;
		cl->ctl->nsubscribed++;
		if (cl->ctl->subscribers)
			cl->ctl->subscribers(cl->ctl->nsubscribed, cl->ctl->arg);
		return;
	}
	client_close(cl);
}

static void on_listener(struct ev_source *src, uint32_t events)
{
	struct control *c = container_of(src, struct control, listener);
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, i;

	(void)events;
	while ((fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
		    (cred.uid != 0 && cred.uid != geteuid())) {
			static const char denied[] = "error: only root may use the control socket\n";

			send(fd, denied, sizeof(denied) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		for (i = 0; i < CONTROL_MAX_CLIENTS && c->clients[i].src.fd >= 0; i++)
			;
		if (i == CONTROL_MAX_CLIENTS) {
			static const char full[] = "error: too many control clients at once; "
						   "try again in a few seconds\n";

			send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		c->clients[i] = (struct control_client){
			.src = { .fd = fd, .handler = on_client },
			.ctl = c,
			.since_ms = loop_now_ms(),
		};
		if (loop_add(c->loop, &c->clients[i].src, EPOLLIN)) {
			close(fd);
			c->clients[i].src.fd = -1;
			continue;
		}
		if (!c->idle.armed)
			timer_arm(c->loop, &c->idle, on_idle, CONTROL_READ_TIMEOUT_MS);
	}
}

static const char *kind_of(mode_t mode)
{
	return S_ISREG(mode) ? "a regular file" : S_ISDIR(mode) ? "a directory" :
	       S_ISLNK(mode) ? "a symbolic link" : S_ISFIFO(mode) ? "a FIFO" :
	       "a device";
}

/*
 * Make @path free for our socket: nothing there, or a socket nobody answers
 * on (left by a daemon that died), which is removed.  Anything else (a
 * file, a live socket) is never touched: 0, or -errno, logged.
 */
static int claim_path(const struct sockaddr_un *sun, const char *path)
{
	struct stat st;
	int fd, err;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		log_err("--control %s: %s", path, strerror(-err));
		return err;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_err("--control %s: %s is there, not a socket: remove it or choose "
			"another path", path, kind_of(st.st_mode));
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) ? errno : 0;
	close(fd);
	if (!err || err == EAGAIN) {
		log_err("--control %s: another sock464-load (or another program) is "
			"listening there", path);
		return -EADDRINUSE;
	}
	if (err != ECONNREFUSED) {
		log_err("--control %s: a socket that cannot be checked (%s): not replacing it",
			path, strerror(err));
		return -err;
	}
	log_info("--control %s: replacing a stale socket nobody answers on", path);
	if (unlink(path) && errno != ENOENT) {
		err = -errno;
		log_err("--control %s: removing the stale socket failed: %s", path,
			strerror(-err));
		return err;
	}
	return 0;
}

int control_start(struct control *c, struct loop *l, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)];
	struct stat st;
	mode_t mask;
	int fd = -1, err, i;

	c->loop = l;
	c->listener.fd = -1;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->clients[i].src.fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("--control %s: path too long for a unix socket", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	strcpy(dir, path);
	mkdir(dirname(dir), 0755);	/* /run/sock464; fine if it exists */

	err = claim_path(&sun, path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	mask = umask(0177);	/* born 0600: never reachable by others */
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (err)
		goto fail;
	if (lstat(path, &st) || listen(fd, 64))
		goto fail_bound;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->listener.fd = fd;
	c->listener.handler = on_listener;
	err = loop_add(l, &c->listener, EPOLLIN);
	if (err) {
		errno = -err;
		goto fail_bound;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
fail_bound:
	err = errno;
	unlink(path);		/* ours: bound a moment ago */
	errno = err;
fail:
	err = -errno;
	log_err("control socket %s: %s", path, strerror(-err));
	if (fd >= 0)
		close(fd);
	c->listener.fd = -1;
	return err;
}

/* Remove the socket at c->path only if it is still the one we made. */
static void unlink_own(const struct control *c)
{
	struct stat st;

	if (lstat(c->path, &st)) {
		if (errno != ENOENT)
			log_warn("control socket %s: cannot check it: %s (the next start "
				 "replaces it)", c->path, strerror(errno));
		return;
	}
	if (!S_ISSOCK(st.st_mode) || st.st_dev != c->dev || st.st_ino != c->ino) {
		log_warn("control socket %s: no longer ours there: not removing it", c->path);
		return;
	}
	if (unlink(c->path))
		log_warn("control socket %s: removing it failed: %s (the next start "
			 "replaces it)", c->path, strerror(errno));
}

void control_stop(struct control *c)
{
	int i;

	if (c->loop)
		timer_cancel(c->loop, &c->idle);
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].src.fd >= 0)
			client_close(&c->clients[i]);
	if (c->listener.fd < 0)
		return;
	loop_del(c->loop, &c->listener);
	close(c->listener.fd);
	c->listener.fd = -1;
	unlink_own(c);
}

void control_beside(char *buf, size_t len, const char *control, const char *name)
{
	const char *slash = strrchr(control, '/');

	snprintf(buf, len, "%.*s/%s", slash ? (int)(slash - control) : 1,
		 slash ? control : ".", name);
}
