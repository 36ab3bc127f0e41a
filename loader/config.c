// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The config file (options.h): one "key value" per line, '#' comments. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define CONFIG_MAX_BYTES	(1 << 20)

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int options_parse_text(struct options *o, const char *text, const char *file,
		       char *why, size_t whylen)
{
	char line[1024], msg[256], *key, *value, *hash;
	const char *p = text, *nl;
	unsigned int lineno = 0;
	size_t len;

	while (*p) {
		lineno++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line)) {
			snprintf(why, whylen, "%s:%u: line too long", file, lineno);
			return -EINVAL;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);

		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		key = trim(line);
		if (!*key)
			continue;
		value = key + strcspn(key, " \t");
		if (*value) {
			*value++ = '\0';
			value = trim(value);
		}
		if (options_set(o, key, *value ? value : NULL, msg, sizeof(msg))) {
			snprintf(why, whylen, "%s:%u: %s: %s", file, lineno, key, msg);
			return -EINVAL;
		}
	}
	return 0;
}

int options_load(struct options *o, const char *path, char *why, size_t whylen)
{
	FILE *f = fopen(path, "re");
	char *text;
	size_t n;
	int err;

	if (!f) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
		return err;
	}
	text = malloc(CONFIG_MAX_BYTES + 1);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(text, 1, CONFIG_MAX_BYTES + 1, f);
	fclose(f);
	if (n > CONFIG_MAX_BYTES) {
		free(text);
		snprintf(why, whylen, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
		return -EFBIG;
	}
	if (memchr(text, '\0', n)) {
		free(text);
		snprintf(why, whylen, "%s: not a text file (NUL byte)", path);
		return -EINVAL;
	}
	text[n] = '\0';
	err = options_parse_text(o, text, path, why, whylen);
	free(text);
	return err;
}
