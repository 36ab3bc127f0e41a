// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "datapath.h"
#include "options.h"

#define DATAPATH_REF(n) &datapath_##n,
static const struct datapath_ops *const datapaths[] = { DATAPATHS(DATAPATH_REF) };
#undef DATAPATH_REF

const struct datapath_ops *datapath_select(const struct options *o, char *why, size_t whylen)
{
	const char *name = o->data_path;
	const size_t n = sizeof(datapaths) / sizeof(datapaths[0]);
	bool any = !strcmp(name, "auto");
	size_t i;

	for (i = 0; i < n; i++) {
		if (!any && strcmp(name, datapaths[i]->name))
			continue;
		if (!datapaths[i]->usable || datapaths[i]->usable(o))
			return datapaths[i];
		if (!any) {
			snprintf(why, whylen, "data path %s: this kernel cannot run it", name);
			return NULL;
		}
	}
	snprintf(why, whylen, "data path %s: %s", name, any ? "none usable" : "unknown");
	return NULL;
}
