// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Before Linux 6.8 bpf_fib_lookup() cannot choose the IPv6 source
 * (BPF_FIB_LOOKUP_SRC): the daemon asks the kernel which source it would
 * use towards PREF64 in the namespace (a UDP socket connected to
 * PREF64::192.0.0.170; nothing is sent) and hands it to the namespace's
 * copy of the programs (fib_src6 in bpf/sock464_xlat.bpf.c), docs/kernels.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dns64.h"
#include "log.h"
#include "netns.h"
#include "rfc6052.h"
#include "xlat.h"
#include "sock464_xlat.skel.h"

/* The source of IPv6 packets to @dst in the current namespace (no packet sent). */
static int source_for(const __u8 dst[16], __u8 src[16])
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	memcpy(&sa.sin6_addr, dst, 16);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		err = -errno;
	else
		memcpy(src, &sa.sin6_addr, 16);
	close(fd);
	return err;
}

/* The IPv6 source towards PREF64 (in @e) here, or -errno. */
static int pref64_source(const struct sock464_netns *e, __u8 src[16])
{
	__u8 dst[16];

	if (!rfc6052_len_valid(e->plen))
		return -ENOENT;
	rfc6052_synthesize(dst, e->pref64, e->plen, htonl(DNS64_WKA_170));
	return source_for(dst, src);
}

/*
 * Before 6.8, a new copy starts with the source for the prefix the
 * namespace's entry has already (a restart with --pin: the connections the
 * old copy translated must not lose a packet), before it is attached.
 * Called in the namespace.
 */
void xlat_source_preset(struct xlat *x, __u64 cookie, struct sock464_xlat *skel)
{
	struct sock464_netns e;

	if (x->no_fib_src && skel->bss && !bpf_map_lookup_elem(x->netns_map_fd, &cookie, &e))
		pref64_source(&e, skel->bss->fib_src6);
}

void xlat_source_update(struct xlat_ns *n, const __u8 pref64[16], unsigned int plen)
{
	struct sock464_netns e = { .plen = (__u8)plen };
	char text[INET6_ADDRSTRLEN] = "none";
	__u8 src[16] = { 0 };
	int err;

	if (!n->running || !n->x->no_fib_src || !n->skel->bss)
		return;
	memcpy(e.pref64, pref64, sizeof(e.pref64));
	err = netns_enter(n->nsfd);
	if (!err) {
		err = pref64_source(&e, src);
		netns_leave(n->nsfd);
	}
	if (!memcmp(src, n->src6, 16) && err == n->src_err)
		return;
	memcpy(n->src6, src, 16);
	n->src_err = err;
	memcpy(n->skel->bss->fib_src6, src, 16);
	if (err)
		log_warn("kernel path: no IPv6 source towards PREF64 (%s): translated packets are "
			 "dropped (xlat_out_no_route) until there is one", strerror(-err));
	else
		log_info("kernel path: IPv6 source %s, chosen by the daemon (bpf_fib_lookup "
			 "chooses none before Linux 6.8)", inet_ntop(AF_INET6, src, text, sizeof(text)));
}
