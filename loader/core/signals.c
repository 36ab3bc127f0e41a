// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "signals.h"

static void on_signal(struct ev_source *src, uint32_t events)
{
	struct signals *s = container_of(src, struct signals, src);
	struct signalfd_siginfo si;

	(void)events;
	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("%s: detaching and exiting", sigabbrev_np(si.ssi_signo));
			s->loop->stop = true;
		} else if (si.ssi_signo == SIGHUP) {
			s->reload(s->arg);
		}
	}
}

int signals_start(struct signals *s, struct loop *l, void (*reload)(void *arg), void *arg)
{
	sigset_t set;

	s->loop = l;
	s->reload = reload;
	s->arg = arg;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	s->src.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->src.fd < 0)
		return -errno;
	s->src.handler = on_signal;
	return loop_add(l, &s->src, EPOLLIN);
}

void signals_stop(struct signals *s)
{
	if (s->src.fd >= 0)
		close(s->src.fd);
	s->src.fd = -1;
}
