/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A status writer: each field is given once, with its JSON key and value
 * and its text, and written as one or the other.  Text: a section is a
 * line ("HEAD" then its fields joined by the section's separator); JSON:
 * an object member, or an array element where the section is a list.
 */
#ifndef SOCK464_SW_H
#define SOCK464_SW_H

#include <stdbool.h>
#include <stdio.h>

#define SW_DEPTH 6

struct sw {
	FILE *out;
	bool json;
	int depth;			/* open sections; 0: the top-level object is not */
	struct {
		const char *sep;	/* text between fields */
		unsigned int n, tn;	/* JSON members, text fields written */
		bool list, line, hidden;
	} lv[SW_DEPTH];
};

/* A section: JSON ,"KEY":{ (KEY NULL in a list: an element); text: HEAD. */
void sw_begin(struct sw *w, const char *key, const char *head, const char *sep);
/* The same, with its text left out unless @show. */
void sw_begin_if(struct sw *w, const char *key, const char *head, const char *sep, bool show);
/* A list: JSON ,"KEY":[; no text of its own. */
void sw_list(struct sw *w, const char *key);
/* End the text line here (the JSON section stays open). */
void sw_line(struct sw *w);
void sw_end(struct sw *w);
/* Close the top-level JSON object. */
void sw_finish(struct sw *w);

/* Fields: @fmt is the text (NULL: JSON only); @key NULL: text only (or a list element). */
void sw_u64(struct sw *w, const char *key, const char *fmt, unsigned long long v);
void sw_str(struct sw *w, const char *key, const char *fmt, const char *s);
void sw_bool(struct sw *w, const char *key, bool v, const char *text);
/* JSON @jvalue as is (a number, null), and @text as is. */
void sw_raw(struct sw *w, const char *key, const char *jvalue, const char *text);
void sw_text(struct sw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
