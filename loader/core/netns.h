/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Network namespaces other than the daemon's own (containers): a socket
 * belongs to the namespace it was created in, so the relays of a served
 * namespace create theirs inside it, through netns_socket().
 */
#ifndef SOCK464_NETNS_H
#define SOCK464_NETNS_H

#include <stdbool.h>
#include <stdint.h>

/* The relays bind their IPv6 sockets to an uplink by index (Linux 5.0). */
#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif

/* Remember the daemon's own namespace; 0 or -errno. */
int netns_init(void);
/* Enter @nsfd (-1: stay); netns_leave() returns home.  0 or -errno. */
int netns_enter(int nsfd);
void netns_leave(int nsfd);
/*
 * The cookie of namespace @nsfd (-1: the daemon's own); 0 if unreadable.
 * SO_NETNS_COOKIE (5.14), else netns_cookie_bpf(); logs which, once.
 */
uint64_t netns_cookie(int nsfd);
/* The cookie through a cgroup/connect4 program and a child (netns_cookie.c). */
uint64_t netns_cookie_bpf(int nsfd);
/* socket(2) in namespace @nsfd (-1: the daemon's own). */
int netns_socket(int nsfd, int domain, int type, int protocol);
/*
 * The same, created under file system uid @uid (setfsuid(2) around
 * socket()), so that the host firewall's owner match (nft meta skuid,
 * iptables -m owner) sees the socket as @uid's.  *@as_uid says whether
 * that worked (it needs CAP_SETUID); else the socket is the daemon's.
 */
int netns_socket_as(int nsfd, unsigned int uid, bool *as_uid, int domain, int type,
		    int protocol);

#endif
