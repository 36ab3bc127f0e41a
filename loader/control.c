// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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
	if (!strchr(cl->line, '\n') && cl->len < sizeof(cl->line) - 1)
		return;		/* wait for the rest of the line */
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
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		c->clients[i] = (struct control_client){
			.src = { .fd = fd, .handler = on_client },
			.ctl = c,
		};
		if (loop_add(c->loop, &c->clients[i].src, EPOLLIN)) {
			close(fd);
			c->clients[i].src.fd = -1;
		}
	}
}

int control_start(struct control *c, struct loop *l, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)];
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

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* A socket left by a daemon that died: replace it, unless one answers. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		log_err("--control %s: another sock464-load is running there", path);
		return -EADDRINUSE;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, 0600) ||
	    listen(fd, 16))
		goto fail;
	c->listener.fd = fd;
	c->listener.handler = on_listener;
	err = loop_add(l, &c->listener, EPOLLIN);
	if (err) {
		errno = -err;
		goto fail;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
fail:
	err = -errno;
	log_err("control socket %s: %s", path, strerror(-err));
	if (fd >= 0)
		close(fd);
	c->listener.fd = -1;
	return err;
}

void control_stop(struct control *c)
{
	int i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].src.fd >= 0)
			client_close(&c->clients[i]);
	if (c->listener.fd < 0)
		return;
	loop_del(c->loop, &c->listener);
	close(c->listener.fd);
	c->listener.fd = -1;
	unlink(c->path);
}
