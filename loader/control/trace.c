// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "control.h"
#include "hooks.h"
#include "log.h"
#include "status.h"
#include "trace.h"

static int on_event(void *ctx, void *data, size_t size)
{
	struct trace *t = ctx;
	const struct sock464_event *e = data;
	char v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN], when[32], line[768], comm[17];
	const char *cg, *what, *proto;
	struct tm tm;
	time_t secs;
	int64_t real;
	int translated;

	if (size < sizeof(*e) || e->counter >= SOCK464_CNT_MAX)
		return 0;
	t->events++;
	real = (int64_t)e->ts_ns + t->realtime_offset_ns;
	secs = real / 1000000000;
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	inet_ntop(AF_INET, &e->ip4, v4, sizeof(v4));
	inet_ntop(AF_INET6, e->dst6, v6, sizeof(v6));
	memcpy(comm, e->comm, 16);
	comm[16] = '\0';
	cg = hooks_cgroup_path(t->hooks, e->cgroup_id);
	what = counter_descs[e->counter].trace[0] ? counter_descs[e->counter].trace :
							 counter_descs[e->counter].name;
	translated = counter_descs[e->counter].flags & SOCK464_CNTF_TRANSLATED;
	proto = e->proto == IPPROTO_TCP ? "tcp" : "udp";

	if (translated)
		snprintf(line, sizeof(line), "%s.%03lld pid %u (%s) cgroup %s %s%s:%u -> [%s]:%u %s %s\n",
			 when, (long long)(real / 1000000 % 1000), e->pid, comm, cg,
			 e->family == 10 ? "::ffff:" : "", v4, ntohs(e->port), v6,
			 ntohs(e->port), proto, what);
	else
		snprintf(line, sizeof(line), "%s.%03lld pid %u (%s) cgroup %s %s%s:%u %s %s\n",
			 when, (long long)(real / 1000000 % 1000), e->pid, comm, cg,
			 e->family == 10 ? "::ffff:" : "", v4, ntohs(e->port), proto, what);
	control_broadcast(t->control, line, false);

	snprintf(line, sizeof(line),
		 "{\"time_ns\":%lld,\"pid\":%u,\"comm\":\"%s\",\"cgroup\":\"%s\","
		 "\"family\":%u,\"proto\":\"%s\",\"dst\":\"%s\",\"port\":%u,"
		 "\"decision\":\"%s\",\"dst6\":%s%s%s}\n",
		 (long long)real, e->pid, comm, cg, e->family == 10 ? 6 : 4, proto, v4,
		 ntohs(e->port), counter_descs[e->counter].name, translated ? "\"" : "",
		 translated ? v6 : "null", translated ? "\"" : "");
	/* comm and cgroup paths with quotes or control characters: drop them */
	if (!strpbrk(comm, "\"\\") && !strpbrk(cg, "\"\\"))
		control_broadcast(t->control, line, true);
	return 0;
}

static void on_readable(struct ev_source *src, uint32_t events)
{
	struct trace *t = container_of(src, struct trace, src);

	(void)events;
	ring_buffer__consume(t->rb);
}

int trace_start(struct trace *t, struct loop *l, struct hooks *h,
		struct control *c)
{
	struct timespec mono, realtime;
	int err;

	t->hooks = h;
	t->control = c;
	t->loop = l;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &realtime);
	t->realtime_offset_ns = (realtime.tv_sec - mono.tv_sec) * 1000000000LL +
				(realtime.tv_nsec - mono.tv_nsec);
	t->rb = ring_buffer__new(hooks_events_fd(h), on_event, t, NULL);
	if (!t->rb) {
		err = -errno;
		log_err("opening the trace ring buffer failed: %s", strerror(-err));
		return err;
	}
	t->src.fd = ring_buffer__epoll_fd(t->rb);
	t->src.handler = on_readable;
	hooks_set_trace(h, 0);	/* a daemon that died tracing may have left it on */
	return loop_add(l, &t->src, EPOLLIN);
}

void trace_stop(struct trace *t)
{
	if (!t->rb)
		return;
	hooks_set_trace(t->hooks, 0);
	loop_del(t->loop, &t->src);
	ring_buffer__free(t->rb);
	t->rb = NULL;
}

void trace_subscribers(unsigned int n, struct trace *t)
{
	hooks_set_trace(t->hooks, n > 0);
	if (n)
		ring_buffer__consume(t->rb);	/* nothing stale for the new one */
}
