// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: the config file parser (loader/core/options.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct options o;
	char why[512], *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';	/* the loader refuses NUL bytes before parsing */
	options_defaults(&o);
	why[0] = '\0';
	if (options_parse_text(&o, text, "fuzz.conf", why, sizeof(why)) && !why[0])
		abort();	/* every error must say why */
	if (o.ncgroups > OPT_MAX_CGROUPS || o.nrules > OPT_MAX_RULES ||
	    o.ninterfaces > OPT_MAX_INTERFACES)
		abort();
	free(text);
	return 0;
}
