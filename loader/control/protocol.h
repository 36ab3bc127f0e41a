/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The control socket's protocol, shared by the daemon (loader/control/control.c,
 * loader/control/commands.c) and its clients (sock464ctl, sock464-oci-hook): one
 * request line per connection, answered with text until the daemon closes;
 * an answer that starts with "error:" is a refusal and says why.
 */
#ifndef SOCK464_PROTOCOL_H
#define SOCK464_PROTOCOL_H

#define CONTROL_DEFAULT_PATH	"/run/sock464/control"

/* The daemon's line buffer: a request, its newline and a NUL. */
#define CONTROL_LINE_MAX	1024
/* The longest request line the daemon reads whole. */
#define REQUEST_MAX		(CONTROL_LINE_MAX - 2)

/* The verbs, and the usage line of each. */
#define VERB_STATUS		"status"		/* status [json] */
#define VERB_ATTACH		"attach"		/* attach PATH [complement] */
#define VERB_DETACH		"detach"		/* detach PATH */
#define VERB_TRACE		"trace"			/* trace [json] */
#define VERB_SERVE		"serve-container"	/* NAME PID CGROUP [PREFIX/LEN] [dns=ADDR,...] */
#define VERB_UNSERVE		"unserve-container"	/* NAME */
#define ARG_JSON		"json"
#define ARG_COMPLEMENT		"complement"
#define ARG_DNS			"dns="	/* serve-container: the container's resolvers */

#define PROTOCOL_USAGE							\
	VERB_STATUS " [" ARG_JSON "], " VERB_ATTACH " PATH [" ARG_COMPLEMENT	\
	"], " VERB_DETACH " PATH, " VERB_TRACE " [" ARG_JSON "], " VERB_SERVE	\
	" NAME PID CGROUP [PREFIX/LEN] [" ARG_DNS "ADDR,...], " VERB_UNSERVE " NAME"

/* The start of a refusal. */
#define ANSWER_ERROR		"error:"

#endif
