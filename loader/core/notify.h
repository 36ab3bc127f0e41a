/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* sd_notify(3) for Type=notify: one datagram to $NOTIFY_SOCKET, if set. */
#ifndef SOCK464_NOTIFY_H
#define SOCK464_NOTIFY_H

void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
