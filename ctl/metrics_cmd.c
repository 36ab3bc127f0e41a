// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464ctl metrics: fetch "status json" from the daemon, format it
 * (metrics.c) and print it or replace a file with it atomically, as
 * node_exporter's textfile collector needs (it must never read half a file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "metrics.h"

/* The answer to "status json": 0, 1 (the daemon's "error: ..." on stderr), 3. */
static int fetch_status(const char *path, char **out)
{
	char *buf = NULL, why[PATH_MAX + 128];
	size_t len = 0, cap = 0;
	ssize_t n = 0;
	int fd = client_request(path, VERB_STATUS " " ARG_JSON, why, sizeof(why));

	if (fd < 0) {
		fprintf(stderr, "sock464ctl: metrics: %s\n", why);
		return 3;
	}
	do {
		if (cap - len < 4096) {
			char *b = realloc(buf, cap += 65536);

			if (!b) {
				n = -1;
				break;
			}
			buf = b;
		}
		n = read(fd, buf + len, cap - len - 1);
		len += n > 0 ? (size_t)n : 0;
	} while (n > 0);
	close(fd);
	if (!buf || n < 0) {
		fprintf(stderr, "sock464ctl: metrics: reading the status from %s failed: %s\n",
			path, strerror(errno));
		free(buf);
		return 3;
	}
	buf[len] = '\0';
	if (!strncmp(buf, ANSWER_ERROR, strlen(ANSWER_ERROR))) {
		fprintf(stderr, "%s", buf);
		free(buf);
		return 1;
	}
	*out = buf;
	return 0;
}

/* Replace @path by @len bytes of @buf: DIR/.NAME.XXXXXX, fsync, rename. */
static int write_atomic(const char *path, const char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	char tmp[4096];
	int fd, err = 0;

	if (slash)
		snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
	else
		snprintf(tmp, sizeof(tmp), ".%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "sock464ctl: metrics: creating a temporary file %s failed: %s\n",
			tmp, strerror(errno));
		return 1;
	}
	/* Readable by node_exporter, which does not run as root. */
	errno = 0;
	if (fchmod(fd, 0644) || write(fd, buf, len) != (ssize_t)len || fsync(fd))
		err = errno ? errno : EIO;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		fprintf(stderr, "sock464ctl: metrics: writing %s (through %s) failed: %s\n",
			path, tmp, strerror(err));
		unlink(tmp);
		return 1;
	}
	return 0;
}

int metrics_command(const char *control, const char *output)
{
	char *json = NULL, *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	ret = fetch_status(control, &json);
	if (ret)
		return ret;
	f = open_memstream(&text, &len);
	if (!f || metrics_format(json, f)) {
		fprintf(stderr, "sock464ctl: metrics: %s\n",
			f ? "the daemon's status is not the JSON object expected" : strerror(errno));
		if (f)
			fclose(f);
		free(text);
		free(json);
		return 1;
	}
	fclose(f);
	free(json);
	if (output)
		ret = write_atomic(output, text, len);
	else if (fwrite(text, 1, len, stdout) != len || fflush(stdout))
		ret = 1;
	free(text);
	return ret;
}
