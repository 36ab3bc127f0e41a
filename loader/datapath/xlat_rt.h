/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel data path's routing, in the calling thread's network
 * namespace, through rtnetlink (libmnl):
 *   ip rule add fwmark SOCK464_XLAT_MARK lookup SOCK464_XLAT_TABLE pref SOCK464_XLAT_PREF
 *   ip route replace default dev lo src 127.0.0.1 mtu MTU table SOCK464_XLAT_TABLE
 * The rule comes after the main table, so a native IPv4 route always wins
 * and unmarked sockets still find no route (ENETUNREACH).
 */
#ifndef SOCK464_XLAT_RT_H
#define SOCK464_XLAT_RT_H

#include <stdbool.h>

/*
 * @add: add the rules where missing (a previous daemon's stay, so that
 * established flows see no gap) and replace the route, with MTU @mtu;
 * otherwise remove them.  0 or -errno (logged).
 */
int xlat_rt_set(bool add, unsigned int mtu);
/* The smallest MTU of the links that are up, lo aside (1500 if none). */
unsigned int xlat_rt_uplink_mtu(void);

#endif
