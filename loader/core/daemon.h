/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's state, put together by main.c; read by the control requests. */
#ifndef SOCK464_DAEMON_H
#define SOCK464_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

#include "containers.h"
#include "control.h"
#include "hooks.h"
#include "loop.h"
#include "netns_svc.h"
#include "options.h"
#include "signals.h"
#include "trace.h"

struct daemon {
	struct options opt;
	char config[OPT_PATH_MAX];	/* the config file */
	bool config_given;		/* by --config (else the default, if any) */
	bool check_only;		/* --check-config */
	bool purge;			/* --purge */
	int argc;			/* the command line, read again on SIGHUP */
	char **argv;
	struct loop loop;
	struct hooks hooks;
	struct netns_env env;		/* served namespaces; env.own is ours */
	struct control control;
	struct trace trace;
	struct signals signals;
	struct timer prune;		/* drops cgroups that were removed */
	struct container *containers;	/* served through serve-container */
	uint64_t started_ms;
};

/* SIGHUP (loader/core/reload.c). */
void daemon_reload(void *arg);
/* The status, as text or one JSON object (loader/control/status.c). */
int status_write(struct daemon *d, FILE *out, bool json);
/* The control socket's requests (loader/control/commands.c). */
int daemon_request(const char *request, FILE *out, bool *json, void *arg);
void daemon_subscribers(unsigned int n, void *arg);

#endif
