/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by bpf/netns_cookie_probe.bpf.c and loader/core/netns_cookie.c. */
#ifndef SOCK464_NETNS_COOKIE_PROBE_H
#define SOCK464_NETNS_COOKIE_PROBE_H

/* Where the probe socket connects: 192.0.2.1 (TEST-NET-1), port 9 (discard). */
#define NETNS_COOKIE_PROBE_ADDR	0xc0000201
#define NETNS_COOKIE_PROBE_PORT	9

#endif
