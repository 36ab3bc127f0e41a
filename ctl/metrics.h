/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* sock464ctl metrics: the daemon's status in the Prometheus text format. */
#ifndef SOCK464_CTL_METRICS_H
#define SOCK464_CTL_METRICS_H

#include <stdio.h>

/* Write @status_json (the answer to "status json") to @f; 0 or -EINVAL. */
int metrics_format(const char *status_json, FILE *f);

/*
 * Ask the daemon at @control and print the metrics, or with @output write
 * them to that file atomically (a temporary file in its directory, then
 * rename(2)).  The exit status: 0; 1 (the daemon answered with an error,
 * or writing failed); 3 (the daemon cannot be reached).
 */
int metrics_command(const char *control, const char *output);

#endif
