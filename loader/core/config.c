// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The config file (options.h): one "key value" per line, '#' comments. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static const char *file_kind(mode_t mode)
{
	return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO" :
	       S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device" :
	       S_ISSOCK(mode) ? "a socket" : "something else";
}

/*
 * Open @path for reading only if it is a regular file: O_NONBLOCK so that
 * a FIFO without a writer cannot hang the daemon, then fstat() of what
 * was opened (no race with a rename).  NULL with @why on failure.
 */
static FILE *open_regular(const char *path, char *why, size_t whylen, int *err)
{
	struct stat st = { 0 };
	FILE *f;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*err = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-*err));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		*err = -EINVAL;
		snprintf(why, whylen, "%s: is %s, not a regular file (a config file must be one)",
			 path, file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		*err = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-*err));
		close(fd);
	}
	return f;
}

int options_load(struct options *o, const char *path, char *why, size_t whylen)
{
	char *text;
	size_t n;
	int err = 0;
	FILE *f = open_regular(path, why, whylen, &err);

	if (!f)
		return err;
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
