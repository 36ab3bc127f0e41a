// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tctool: drives loader/datapath/tc_attach.c and loader/datapath/probe.c directly, for
 * tests/integration/15-tc-attach.sh and the boot test.  Everything happens
 * in the caller's network namespace.
 *
 *   tctool probe [auto|tcx|clsact]       the probes and the choice
 *   tctool attach MODE IF DIR [--pin P] [--map P] [--keep] [--obj FILE]
 *                                        load bpf/tc_probe.bpf.c (--obj: the
 *                                        first program of FILE instead, as
 *                                        bench/xlat-floor does), attach it,
 *                                        print "ATTACHED prog=ID mode=M", wait
 *                                        for SIGTERM/SIGINT, detach (--keep:
 *                                        leave it, as a daemon with --pin)
 *   tctool count MAP|prog:ID             the packets counted by the program whose
 *                                        map is pinned at MAP, or by program ID
 *                                        (an instance tc itself loaded)
 *   tctool list IF DIR [PROG]            sock464's clsact filters, the tcx links of
 *                                        programs named PROG... (default tc_probe)
 *   tctool sweep IF DIR                  remove sock464's clsact filters
 *
 * Exit 0 on success, 1 on failure, 64 on bad usage.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"
#include "tc_attach.h"
#include "tc_probe.skel.h"

static int usage(void)
{
	fprintf(stderr, "usage: tctool probe [auto|tcx|clsact]\n"
		"       tctool attach tcx|clsact IF ingress|egress [--pin P] [--map P] [--keep]\n"
		"                     [--obj FILE]\n"
		"       tctool count MAP|prog:ID\n"
		"       tctool list IF ingress|egress [PROG]\n"
		"       tctool sweep IF ingress|egress\n");
	return 64;
}

static int parse_hook(const char *ifname, const char *dir, int *ifindex, enum tc_dir *d)
{
	*ifindex = if_nametoindex(ifname);
	if (!*ifindex) {
		fprintf(stderr, "tctool: %s: %s\n", ifname, strerror(errno));
		return -1;
	}
	if (!strcmp(dir, "ingress"))
		*d = TC_INGRESS;
	else if (!strcmp(dir, "egress"))
		*d = TC_EGRESS;
	else
		return -1;
	return 0;
}

static int cmd_probe(int argc, char **argv)
{
	enum opt_tc_attach want = OPT_TC_AUTO;
	struct probe_result r;
	char buf[512];

	if (argc > 2 && !strcmp(argv[2], "tcx"))
		want = OPT_TC_TCX;
	else if (argc > 2 && !strcmp(argv[2], "clsact"))
		want = OPT_TC_CLSACT;
	else if (argc > 2 && strcmp(argv[2], "auto"))
		return usage();
	probe_kernel(&r);
	probe_choose(&r, want);
	printf("features: %s\n", probe_format(&r, buf, sizeof(buf)));
	printf("mode: %s\n", tc_mode_name(r.mode));
	printf("reason: %s\n", r.reason);
	return 0;
}

static int wait_for_signal(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fflush(stdout);
	return sigwait(&set, &sig);
}

/* The first program of the object file @path, loaded: its fd, or -1 (said why). */
static int load_obj(const char *path, struct bpf_object **obj, const char **name)
{
	struct bpf_program *prog;

	*obj = bpf_object__open_file(path, NULL);
	if (!*obj || bpf_object__load(*obj)) {
		fprintf(stderr, "tctool: loading %s failed: %s\n", path, strerror(errno));
		return -1;
	}
	prog = bpf_object__next_program(*obj, NULL);
	if (!prog) {
		fprintf(stderr, "tctool: %s has no program\n", path);
		return -1;
	}
	*name = bpf_program__name(prog);
	return bpf_program__fd(prog);
}

static int cmd_attach(int argc, char **argv)
{
	const char *pin = NULL, *map = NULL, *objpath = NULL, *name = "tc_probe";
	struct bpf_object *obj = NULL;
	struct tc_probe *skel = NULL;
	struct tc_attachment a;
	enum tc_mode mode;
	enum tc_dir dir;
	bool keep = false;
	int ifindex, i, err, fd;

	if (argc < 5)
		return usage();
	mode = !strcmp(argv[2], "tcx") ? TC_MODE_TCX :
	       !strcmp(argv[2], "clsact") ? TC_MODE_CLSACT : TC_MODE_NONE;
	for (i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--pin") && i + 1 < argc)
			pin = argv[++i];
		else if (!strcmp(argv[i], "--map") && i + 1 < argc)
			map = argv[++i];
		else if (!strcmp(argv[i], "--keep"))
			keep = true;
		else if (!strcmp(argv[i], "--obj") && i + 1 < argc)
			objpath = argv[++i];
		else
			return usage();
	}
	if (mode == TC_MODE_NONE || parse_hook(argv[3], argv[4], &ifindex, &dir) ||
	    (objpath && map))
		return usage();
	if (objpath) {
		fd = load_obj(objpath, &obj, &name);
	} else {
		skel = tc_probe__open_and_load();
		if (!skel)
			fprintf(stderr, "tctool: loading tc_probe failed: %s\n", strerror(errno));
		fd = skel ? bpf_program__fd(skel->progs.tc_probe) : -1;
	}
	err = fd < 0;
	if (!err && map && bpf_map__pin(skel->maps.tc_probe_count, map)) {
		fprintf(stderr, "tctool: pinning the map at %s failed: %s\n", map, strerror(errno));
		err = 1;
	}
	if (!err)
		err = tc_attach(&a, mode, ifindex, dir, fd, name, pin);
	if (!err) {
		printf("ATTACHED prog=%u mode=%s\n", a.prog_id, tc_mode_name(mode));
		wait_for_signal();
		err = tc_detach(&a, keep);
		printf("DETACHED%s\n", keep ? " (kept)" : "");
	}
	tc_probe__destroy(skel);
	bpf_object__close(obj);
	return err ? 1 : 0;
}

/* The counter map of tc_probe program @id. */
static int map_of_prog(__u32 id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), maps[8];
	int fd = bpf_prog_get_fd_by_id(id), map = -1;

	if (fd < 0)
		return -1;
	info.nr_map_ids = 8;
	info.map_ids = (__u64)(unsigned long)maps;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.nr_map_ids >= 1)
		map = bpf_map_get_fd_by_id(maps[0]);
	close(fd);
	return map;
}

static int cmd_count(int argc, char **argv)
{
	__u32 key = 0;
	__u64 n;
	int fd;

	if (argc != 3)
		return usage();
	if (!strncmp(argv[2], "prog:", 5))
		fd = map_of_prog(strtoul(argv[2] + 5, NULL, 10));
	else
		fd = bpf_obj_get(argv[2]);
	if (fd < 0 || bpf_map_lookup_elem(fd, &key, &n)) {
		fprintf(stderr, "tctool: reading %s failed: %s\n", argv[2], strerror(errno));
		return 1;
	}
	printf("%llu\n", (unsigned long long)n);
	return 0;
}

static int cmd_list_sweep(int argc, char **argv)
{
	struct tc_filter f[64];
	__u32 links[64];
	enum tc_dir dir;
	int ifindex, n, i;

	if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[1], "list")) ||
	    parse_hook(argv[2], argv[3], &ifindex, &dir))
		return usage();
	if (!strcmp(argv[1], "sweep")) {
		n = tc_clsact_sweep(ifindex, dir, 0);
		if (n >= 0)
			printf("removed %d\n", n);
		return n < 0;
	}
	n = tc_clsact_list(ifindex, dir, f, 64);
	if (n < 0) {
		fprintf(stderr, "tctool: listing failed: %s\n", strerror(-n));
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("clsact pref %u handle %#x prog %u %s\n", f[i].prio, f[i].handle,
		       f[i].prog_id, f[i].name);
	n = tc_tcx_list(ifindex, dir, argc == 5 ? argv[4] : "tc_probe", links, 64);
	printf("tcx %d\n", n < 0 ? 0 : n);
	for (i = 0; i < n && i < 64; i++)
		printf("tcx link %u\n", links[i]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc, argv);
	if (!strcmp(argv[1], "attach"))
		return cmd_attach(argc, argv);
	if (!strcmp(argv[1], "count"))
		return cmd_count(argc, argv);
	if (!strcmp(argv[1], "list") || !strcmp(argv[1], "sweep"))
		return cmd_list_sweep(argc, argv);
	return usage();
}
