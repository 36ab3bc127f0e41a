// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

#define TCX_ATTACH_INGRESS	46	/* BPF_TCX_INGRESS, Linux 6.6 */

/* Name, and for helper probes the program type and helper. */
static const struct {
	const char *name;
	enum bpf_prog_type type;
	enum bpf_func_id helper;	/* 0: not a helper probe */
	const char *since;		/* the mainline release that added it */
} features[PROBE_COUNT] = {
	[PROBE_PROG_SCHED_CLS] = { "sched_cls", BPF_PROG_TYPE_SCHED_CLS, 0, "4.1" },
	[PROBE_PROG_CGROUP_SOCK] = { "cgroup_sock", BPF_PROG_TYPE_CGROUP_SOCK, 0, "4.10" },
	[PROBE_PROG_SOCK_ADDR] = { "cgroup_sock_addr", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 0, "4.17" },
	[PROBE_REDIRECT_NEIGH] = { "bpf_redirect_neigh", BPF_PROG_TYPE_SCHED_CLS,
				   BPF_FUNC_redirect_neigh, "5.10" },
	[PROBE_CHANGE_PROTO] = { "bpf_skb_change_proto", BPF_PROG_TYPE_SCHED_CLS,
				 BPF_FUNC_skb_change_proto, "4.8" },
	[PROBE_FIB_LOOKUP] = { "bpf_fib_lookup", BPF_PROG_TYPE_SCHED_CLS,
			       BPF_FUNC_fib_lookup, "4.18" },
	[PROBE_SKC_LOOKUP_TCP] = { "bpf_skc_lookup_tcp", BPF_PROG_TYPE_SCHED_CLS,
				   BPF_FUNC_skc_lookup_tcp, "5.2" },
	[PROBE_SK_LOOKUP_UDP] = { "bpf_sk_lookup_udp", BPF_PROG_TYPE_SCHED_CLS,
				  BPF_FUNC_sk_lookup_udp, "4.20" },
	[PROBE_SOCK_MARK] = { "sock_create_mark", BPF_PROG_TYPE_CGROUP_SOCK, 0, "4.15" },
	[PROBE_SET_RETVAL] = { "bpf_set_retval", BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
			       BPF_FUNC_set_retval, "5.18" },
	[PROBE_FIB_SRC] = { "fib_lookup_src", BPF_PROG_TYPE_SCHED_CLS, 0, "6.8" },
	[PROBE_CHECK_MTU] = { "bpf_check_mtu", BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_check_mtu, "5.12" },
	[PROBE_NETNS_COOKIE_TC] = { "tc_netns_cookie", BPF_PROG_TYPE_SCHED_CLS,
				    BPF_FUNC_get_netns_cookie, "6.15" },
	[PROBE_TCX] = { "tcx", BPF_PROG_TYPE_SCHED_CLS, 0, "6.6" },
};

const char *probe_name(enum probe_feature f)
{
	return f < PROBE_COUNT ? features[f].name : "?";
}

/* Load a program of a few instructions; its fd or -errno. */
static int load_insns(enum bpf_prog_type type, enum bpf_attach_type expected,
		      const struct bpf_insn *insns, size_t cnt)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = expected);
	int fd = bpf_prog_load(type, "s464_probe", "GPL", insns, cnt, &opts);

	return fd < 0 ? -errno : fd;
}

/*
 * Can a program of @type call @helper?  As libbpf_probe_bpf_helper() does,
 * but libbpf 1.1 knows only the verifier's older words for "no" ("invalid
 * func", "unknown func"); newer kernels (6.18 here) say "program of this
 * type cannot use helper", which libbpf 1.1 takes for a yes.
 */
static bool probe_helper(enum bpf_prog_type type, enum bpf_func_id helper)
{
	static const char *const no[] = {
		"invalid func ", "unknown func ", "program of this type cannot use helper ",
	};
	const struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = helper },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1);
	unsigned int i;
	int fd;

	if (type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR)
		opts.expected_attach_type = BPF_CGROUP_INET4_CONNECT;
	else if (type == BPF_PROG_TYPE_CGROUP_SOCK)
		opts.expected_attach_type = BPF_CGROUP_INET_SOCK_CREATE;
	fd = bpf_prog_load(type, "s464_probe", "GPL", insns, 3, &opts);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	if (!log[0])		/* refused before the verifier ran (EPERM) */
		return false;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strstr(log, no[i]))
			return false;
	return true;		/* known: it only disliked the (absent) arguments */
}

/* cgroup/sock_create may write ctx->mark: the verifier accepts the store. */
static bool probe_sock_mark(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 1 },
		{ .code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_2,
		  .off = offsetof(struct bpf_sock, mark) },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = load_insns(BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, insns, 4);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/*
 * tcx: a tcx link for ifindex 0.  A kernel with tcx gets as far as looking
 * the device up (ENODEV); one without rejects the attach type (EINVAL).
 * Nothing is attached either way, in no namespace.
 */
static bool probe_tcx(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd, link, err;

	fd = load_insns(BPF_PROG_TYPE_SCHED_CLS, 0, insns, 2);
	if (fd < 0)
		return false;
	link = bpf_link_create(fd, 0, TCX_ATTACH_INGRESS, NULL);
	err = link < 0 ? errno : 0;
	if (link >= 0)
		close(link);
	close(fd);
	return err == ENODEV;
}

/*
 * bpf_fib_lookup() takes BPF_FIB_LOOKUP_SRC: run a program that looks
 * up an IPv6 route on interface 0 with it, once (BPF_PROG_TEST_RUN).  A
 * kernel that knows the flag gets as far as the device (-ENODEV); one
 * that does not refuses the flags first (-EINVAL).
 */
static bool probe_fib_src(void)
{
	const int fib = -(int)sizeof(struct bpf_fib_lookup), len = sizeof(struct bpf_fib_lookup);
	struct bpf_insn insns[32] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_6, .src_reg = BPF_REG_1 },
	};
	unsigned char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pkt, .data_size_in = sizeof(pkt));
	unsigned int n = 1;
	int off, fd, err;

	for (off = fib; off < 0; off += 8)	/* the struct zeroed, on the stack */
		insns[n++] = (struct bpf_insn){ .code = BPF_ST | BPF_MEM | BPF_DW,
						.dst_reg = BPF_REG_10, .off = (short)off };
	insns[n++] = (struct bpf_insn){ .code = BPF_ST | BPF_MEM | BPF_B, .dst_reg = BPF_REG_10,
					.off = (short)(fib + (int)offsetof(struct bpf_fib_lookup, family)),
					.imm = 10 /* AF_INET6 */ };
	insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X,
					.dst_reg = BPF_REG_1, .src_reg = BPF_REG_6 };
	insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X,
					.dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 };
	insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_K,
					.dst_reg = BPF_REG_2, .imm = fib };
	insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K,
					.dst_reg = BPF_REG_3, .imm = len };
	insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K,
					.dst_reg = BPF_REG_4, .imm = BPF_FIB_LOOKUP_SRC };
	insns[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_fib_lookup };
	insns[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	fd = load_insns(BPF_PROG_TYPE_SCHED_CLS, 0, insns, n);
	if (fd < 0)
		return false;
	err = bpf_prog_test_run_opts(fd, &run);
	close(fd);
	return !err && (int)run.retval != -EINVAL;
}

/* Is @name in SOCK464_PROBE_DISABLE (comma-separated)? */
bool probe_disabled(const char *name)
{
	const char *list = getenv(PROBE_DISABLE_ENV), *p;
	size_t len = strlen(name);

	for (p = list; p && *p; p += strcspn(p, ","), p += *p == ',') {
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
	}
	return false;
}

bool probe_one(enum probe_feature f)
{
	if (f >= PROBE_COUNT || probe_disabled(features[f].name))
		return false;
	if (f == PROBE_TCX)
		return probe_tcx();
	if (f == PROBE_SOCK_MARK)
		return probe_sock_mark();
	if (f == PROBE_FIB_SRC)
		return probe_fib_src();
	if (features[f].helper)
		return probe_helper(features[f].type, features[f].helper);
	return libbpf_probe_bpf_prog_type(features[f].type, NULL) == 1;
}

void probe_kernel(struct probe_result *r)
{
	unsigned int f;

	r->have = 0;
	for (f = 0; f < PROBE_COUNT; f++)
		if (probe_one(f))
			r->have |= 1u << f;
}

/* "bpf_redirect_neigh (5.10), bpf_set_retval (5.18)": what @missing names. */
static void list_missing(unsigned int missing, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int f;

	buf[0] = '\0';
	for (f = 0; f < PROBE_COUNT && n < len; f++)
		if (missing & (1u << f))
			n += snprintf(buf + n, len - n, "%s%s (%s)", n ? ", " : "",
				      features[f].name, features[f].since);
}

/* "; without bpf_set_retval (5.18): fallbacks" when the kernel lacks optional features. */
static void add_fallbacks(struct probe_result *r)
{
	unsigned int lacking = ~r->have & ((1u << PROBE_SET_RETVAL) | (1u << PROBE_FIB_SRC) |
					  (1u << PROBE_CHECK_MTU));
	size_t n = strlen(r->reason);
	char list[80];

	if (!lacking || r->mode == TC_MODE_NONE)
		return;
	list_missing(lacking, list, sizeof(list));
	snprintf(r->reason + n, sizeof(r->reason) - n, "; without %s: fallbacks", list);
}

void probe_choose(struct probe_result *r, enum opt_tc_attach want)
{
	unsigned int missing = PROBE_REQUIRED & ~r->have;
	bool tcx = r->have & (1u << PROBE_TCX);
	char list[160];

	if (missing) {
		list_missing(missing, list, sizeof(list));
		r->mode = TC_MODE_NONE;
		snprintf(r->reason, sizeof(r->reason), "relay: the kernel lacks %s", list);
	} else if (want == OPT_TC_CLSACT) {
		r->mode = TC_MODE_CLSACT;
		snprintf(r->reason, sizeof(r->reason), "clsact: tc-attach clsact%s",
			 tcx ? " (tcx would be available)" : "");
	} else if (tcx) {
		r->mode = TC_MODE_TCX;
		snprintf(r->reason, sizeof(r->reason), "tcx: the kernel has tcx links%s",
			 want == OPT_TC_TCX ? " (tc-attach tcx)" : "");
	} else if (want == OPT_TC_TCX) {
		r->mode = TC_MODE_NONE;
		snprintf(r->reason, sizeof(r->reason),
			 "relay: tc-attach tcx, but the kernel has no tcx links (6.6)");
	} else {
		r->mode = TC_MODE_CLSACT;
		snprintf(r->reason, sizeof(r->reason),
			 "clsact: no tcx links in this kernel (6.6), cls_bpf filters instead");
	}
	add_fallbacks(r);
}

char *probe_format(const struct probe_result *r, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int f;

	buf[0] = '\0';
	for (f = 0; f < PROBE_COUNT && n < len; f++)
		n += snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "", features[f].name,
			      r->have & (1u << f) ? "yes" : "no");
	return buf;
}
