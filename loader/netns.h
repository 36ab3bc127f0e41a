/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Network namespaces other than the daemon's own (containers): a socket
 * belongs to the namespace it was created in, so the relays of a served
 * namespace create theirs inside it, through netns_socket().
 */
#ifndef SOCK464_NETNS_H
#define SOCK464_NETNS_H

#include <stdint.h>

/* Remember the daemon's own namespace; 0 or -errno. */
int netns_init(void);
/* Enter @nsfd (-1: stay); netns_leave() returns home.  0 or -errno. */
int netns_enter(int nsfd);
void netns_leave(int nsfd);
/* The cookie of namespace @nsfd (-1: the daemon's own); 0 if unreadable. */
uint64_t netns_cookie(int nsfd);
/* socket(2) in namespace @nsfd (-1: the daemon's own). */
int netns_socket(int nsfd, int domain, int type, int protocol);

#endif
