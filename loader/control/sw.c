// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <string.h>

#include "status.h"
#include "sw.h"

void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

void figures_write(FILE *out, bool json, const char *name, const char *head,
		   const struct figure *f, size_t n)
{
	size_t i;

	if (json)
		fprintf(out, ",\"%s\":{", name);
	else
		fprintf(out, "%s: %s", name, head);
	for (i = 0; i < n; i++) {
		if (json)
			fprintf(out, "%s\"%s\":%llu", i ? "," : "", f[i].json, f[i].v);
		else if (f[i].text)
			fprintf(out, ", %llu %s", f[i].v, f[i].text);
	}
	fputs(json ? "}" : "\n", out);
}

/* JSON: the comma and the key of the next member (none in a list). */
static void member(struct sw *w, const char *key)
{
	if (w->lv[w->depth].n++)
		fputc(',', w->out);
	if (key && !w->lv[w->depth].list) {
		json_str(w->out, key);
		fputc(':', w->out);
	}
}

/* Text: the separator, then the field. */
static bool text_field(struct sw *w)
{
	if (w->lv[w->depth].hidden)
		return false;
	if (w->lv[w->depth].tn++)
		fputs(w->lv[w->depth].sep, w->out);
	return true;
}

static void open_level(struct sw *w, bool list, const char *sep, bool line, bool hidden)
{
	w->depth++;
	w->lv[w->depth].sep = sep ? sep : "";
	w->lv[w->depth].n = w->lv[w->depth].tn = 0;
	w->lv[w->depth].list = list;
	w->lv[w->depth].line = line;
	w->lv[w->depth].hidden = hidden;
}

void sw_begin_if(struct sw *w, const char *key, const char *head, const char *sep, bool show)
{
	bool hidden = !show || (w->depth && w->lv[w->depth].hidden);

	if (w->json) {
		if (w->depth || key)
			member(w, key);
		fputc('{', w->out);
	} else if (!hidden) {
		fputs(head, w->out);
	}
	open_level(w, false, sep, !hidden && head[0], hidden);
}

void sw_begin(struct sw *w, const char *key, const char *head, const char *sep)
{
	sw_begin_if(w, key, head, sep, true);
}

void sw_list(struct sw *w, const char *key)
{
	if (w->json) {
		member(w, key);
		fputc('[', w->out);
	}
	open_level(w, true, "", false, w->lv[w->depth].hidden);
}

void sw_line(struct sw *w)
{
	if (!w->json && w->lv[w->depth].line)
		fputc('\n', w->out);
	w->lv[w->depth].line = false;
	w->lv[w->depth].tn = 0;		/* what follows starts a line of its own */
}

void sw_end(struct sw *w)
{
	if (w->json)
		fputc(w->lv[w->depth].list ? ']' : '}', w->out);
	else
		sw_line(w);
	w->depth--;
}

void sw_finish(struct sw *w)
{
	while (w->depth > 1)
		sw_end(w);
	if (w->json)
		fputs("}\n", w->out);
	w->depth = 0;
}

void sw_raw(struct sw *w, const char *key, const char *jvalue, const char *text)
{
	if (w->json) {
		if (key || w->lv[w->depth].list) {
			member(w, key);
			fputs(jvalue, w->out);
		}
	} else if (text && text_field(w)) {
		fputs(text, w->out);
	}
}

void sw_u64(struct sw *w, const char *key, const char *fmt, unsigned long long v)
{
	char j[24], t[256];

	snprintf(j, sizeof(j), "%llu", v);
	if (fmt)
		snprintf(t, sizeof(t), fmt, v);
	sw_raw(w, key, j, fmt ? t : NULL);
}

void sw_str(struct sw *w, const char *key, const char *fmt, const char *s)
{
	if (w->json) {
		if (key || w->lv[w->depth].list) {
			member(w, key);
			json_str(w->out, s);
		}
	} else if (fmt && text_field(w)) {
		fprintf(w->out, fmt, s);
	}
}

void sw_bool(struct sw *w, const char *key, bool v, const char *text)
{
	sw_raw(w, key, v ? "true" : "false", text);
}

void sw_text(struct sw *w, const char *fmt, ...)
{
	va_list ap;

	if (w->json || !text_field(w))
		return;
	va_start(ap, fmt);
	vfprintf(w->out, fmt, ap);
	va_end(ap);
}
