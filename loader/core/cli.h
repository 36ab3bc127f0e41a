/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The command line and the config file, through the settings table
 * (options.h): at start-up, and again on SIGHUP (reload.c).
 */
#ifndef SOCK464_CLI_H
#define SOCK464_CLI_H

struct daemon;
struct options;

/* The first pass: --config, --check-config, --help (which exits). */
void cli_parse_mode(struct daemon *d);
/*
 * The settings: the defaults, then the config file (the default one only
 * if it exists), then the command line; a list given on the command line
 * replaces the file's.  0, or -EINVAL (logged).
 */
int cli_load_settings(struct daemon *d, struct options *o);

#endif
