// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The clsact side of tc_attach.h: rtnetlink through libmnl.  The clsact
 * qdisc is created when missing and never deleted (other software may
 * have filters on it); sock464's filter sits at TC_SOCK464_PRIO with handle
 * TC_SOCK464_HANDLE, protocol all, direct action, named "sock464:<name>",
 * and only filters with that name prefix are ever removed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "tc_attach.h"

#define TC_LIST_MAX	64

struct talk {
	mnl_cb_t cb;		/* for each reply that is not a control message */
	void *data;
	char why[256];		/* the kernel's extended ack message, if any */
};

static __u32 hook_parent(enum tc_dir dir)
{
	return TC_H_MAKE(TC_H_CLSACT, dir == TC_INGRESS ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

static struct nlmsghdr *tc_msg(char *buf, __u16 type, __u16 flags, int ifindex,
			       __u32 parent, __u32 handle, __u32 info)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = time(NULL);
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	tcm->tcm_handle = handle;
	tcm->tcm_info = info;
	return nlh;
}

static int on_ext_ack_attr(const struct nlattr *attr, void *data)
{
	struct talk *t = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
		snprintf(t->why, sizeof(t->why), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* NLMSG_ERROR: the ACK (error 0) ends the exchange; an error keeps its message. */
static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!e->error)
		return MNL_CB_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && off < mnl_nlmsg_get_payload_len(nlh))
		mnl_attr_parse_payload((const char *)e + off,
				       mnl_nlmsg_get_payload_len(nlh) - off, on_ext_ack_attr, data);
	errno = -e->error;
	return MNL_CB_ERROR;
}

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

/*
 * Send @nlh on a NETLINK_ROUTE socket of the current namespace and run the
 * replies until the ACK or the end of the dump.  0 or -errno, t->why set.
 */
static int nl_talk(struct nlmsghdr *nlh, struct talk *t)
{
	/* Types past the array (NLMSG_DONE, ...) get libmnl's own handling. */
	static mnl_cb_t ctl[NLMSG_ERROR + 1] = { [NLMSG_ERROR] = on_error };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int portid;
	int one = 1, ret, err = 0;
	ssize_t n;

	t->why[0] = '\0';
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	/* Best effort: the kernel's own words on what it refused, no echo. */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			err = -errno;
			break;
		}
		ret = mnl_cb_run2(buf, n, nlh->nlmsg_seq, portid, on_data, t, ctl,
				  NLMSG_ERROR + 1);
		if (ret < 0)
			err = errno ? -errno : -EIO;
	} while (ret > 0);
out:
	mnl_socket_close(nl);
	return err;
}

static const char *ifname(int ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "ifindex %d", ifindex);
	return buf;
}

struct qdisc_kind {
	int ifindex;
	char kind[16];
};

static int on_qdisc(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct qdisc_kind *q = data;
	const struct nlattr *attr;

	if (tcm->tcm_ifindex != q->ifindex || tcm->tcm_parent != TC_H_CLSACT)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*tcm))
		if (mnl_attr_get_type(attr) == TCA_KIND &&
		    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
			snprintf(q->kind, sizeof(q->kind), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* Create the clsact qdisc unless there; an ingress qdisc does for ingress. */
static int clsact_ensure(int ifindex, enum tc_dir dir)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], name[IF_NAMESIZE];
	struct qdisc_kind q = { .ifindex = ifindex };
	struct talk t = { 0 };
	struct nlmsghdr *nlh;
	int err;

	nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ifindex,
		     TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0);
	mnl_attr_put_strz(nlh, TCA_KIND, "clsact");
	err = nl_talk(nlh, &t);
	if (err != -EEXIST)
		goto out;
	nlh = tc_msg(buf, RTM_GETQDISC, NLM_F_DUMP, 0, 0, 0, 0);
	t.cb = on_qdisc;
	t.data = &q;
	err = nl_talk(nlh, &t);
	if (!err && strcmp(q.kind, "clsact") && !(dir == TC_INGRESS && !strcmp(q.kind, "ingress")))
		err = -EEXIST;
	if (err == -EEXIST)
		snprintf(t.why, sizeof(t.why), "an '%s' qdisc of other software holds its place",
			 q.kind);
out:
	if (err)
		log_err("creating the clsact qdisc on %s failed: %s%s%s", ifname(ifindex, name),
			strerror(-err), t.why[0] ? ": " : "", t.why);
	return err;
}

int tc_clsact_add(int ifindex, enum tc_dir dir, int prog_fd, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], full[64], dev[IF_NAMESIZE];
	struct talk t = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *opts;
	int err;

	err = clsact_ensure(ifindex, dir);
	if (err)
		return err;
	snprintf(full, sizeof(full), "%s%s", TC_NAME_PREFIX, name);
	/* No NLM_F_EXCL: a filter already in our slot is replaced in place. */
	nlh = tc_msg(buf, RTM_NEWTFILTER, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, ifindex,
		     hook_parent(dir), TC_SOCK464_HANDLE,
		     TC_H_MAKE((__u32)TC_SOCK464_PRIO << 16, htons(ETH_P_ALL)));
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u32(nlh, TCA_BPF_FD, prog_fd);
	mnl_attr_put_strz(nlh, TCA_BPF_NAME, full);
	mnl_attr_put_u32(nlh, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	mnl_attr_nest_end(nlh, opts);
	err = nl_talk(nlh, &t);
	if (err)
		log_err("adding the cls_bpf filter %s (pref %u handle %#x) on %s %s failed: %s%s%s",
			full, TC_SOCK464_PRIO, TC_SOCK464_HANDLE, ifname(ifindex, dev),
			tc_dir_name(dir), strerror(-err), t.why[0] ? ": " : "", t.why);
	return err;
}

struct filter_list {
	struct tc_filter *out;
	int n, max;
};

static void bpf_opts(const struct nlattr *nest, struct tc_filter *f)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, nest) {
		if (mnl_attr_get_type(attr) == TCA_BPF_NAME &&
		    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
			snprintf(f->name, sizeof(f->name), "%s", mnl_attr_get_str(attr));
		else if (mnl_attr_get_type(attr) == TCA_BPF_ID &&
			 !mnl_attr_validate(attr, MNL_TYPE_U32))
			f->prog_id = mnl_attr_get_u32(attr);
	}
}

/* One filter of the dump: kept if it is a cls_bpf filter named "sock464:...". */
static int on_filter(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct filter_list *l = data;
	const struct nlattr *attr;
	struct tc_filter f = { .prio = TC_H_MAJ(tcm->tcm_info) >> 16,
			       .handle = tcm->tcm_handle };
	bool is_bpf = false;

	if (nlh->nlmsg_type != RTM_NEWTFILTER || !tcm->tcm_handle)
		return MNL_CB_OK;	/* handle 0: the priority's own entry */
	mnl_attr_for_each(attr, nlh, sizeof(*tcm)) {
		if (mnl_attr_get_type(attr) == TCA_KIND &&
		    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
			is_bpf = !strcmp(mnl_attr_get_str(attr), "bpf");
		else if (mnl_attr_get_type(attr) == TCA_OPTIONS)
			bpf_opts(attr, &f);
	}
	if (!is_bpf || strncmp(f.name, TC_NAME_PREFIX, strlen(TC_NAME_PREFIX)))
		return MNL_CB_OK;
	if (l->n < l->max)
		l->out[l->n] = f;
	l->n++;
	return MNL_CB_OK;
}

int tc_clsact_list(int ifindex, enum tc_dir dir, struct tc_filter *out, int max)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct filter_list l = { .out = out, .max = max };
	struct talk t = { .cb = on_filter, .data = &l };
	int err;

	err = nl_talk(tc_msg(buf, RTM_GETTFILTER, NLM_F_DUMP, ifindex, hook_parent(dir), 0, 0),
		      &t);
	/* No clsact qdisc: no filters (kernels differ in how they say so). */
	if (err == -EINVAL || err == -ENOENT)
		return 0;
	return err ? err : (l.n < max ? l.n : max);
}

static int filter_del(int ifindex, enum tc_dir dir, const struct tc_filter *f)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], dev[IF_NAMESIZE];
	struct talk t = { 0 };
	struct nlmsghdr *nlh;
	int err;

	nlh = tc_msg(buf, RTM_DELTFILTER, NLM_F_ACK, ifindex, hook_parent(dir), f->handle,
		     TC_H_MAKE((__u32)f->prio << 16, htons(ETH_P_ALL)));
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
	err = nl_talk(nlh, &t);
	if (err)
		log_err("removing the filter %s (pref %u handle %#x) from %s %s failed: %s%s%s",
			f->name, f->prio, f->handle, ifname(ifindex, dev), tc_dir_name(dir),
			strerror(-err), t.why[0] ? ": " : "", t.why);
	return err;
}

int tc_clsact_sweep(int ifindex, enum tc_dir dir, __u32 keep_handle)
{
	struct tc_filter f[TC_LIST_MAX];
	char dev[IF_NAMESIZE];
	int n, i, removed = 0, err;

	n = tc_clsact_list(ifindex, dir, f, TC_LIST_MAX);
	if (n < 0) {
		log_err("listing the filters on %s %s failed: %s", ifname(ifindex, dev),
			tc_dir_name(dir), strerror(-n));
		return n;
	}
	for (i = 0; i < n; i++) {
		if (keep_handle && f[i].prio == TC_SOCK464_PRIO && f[i].handle == keep_handle)
			continue;
		err = filter_del(ifindex, dir, &f[i]);
		if (err && err != -ENOENT)
			return err;
		log_info("removed the stale filter %s (pref %u handle %#x, program %u) from %s %s",
			 f[i].name, f[i].prio, f[i].handle, f[i].prog_id, ifname(ifindex, dev),
			 tc_dir_name(dir));
		removed++;
	}
	return removed;
}

int tc_clsact_del_own(int ifindex, enum tc_dir dir, __u32 prog_id)
{
	struct tc_filter f[TC_LIST_MAX];
	char dev[IF_NAMESIZE];
	int n, i;

	n = tc_clsact_list(ifindex, dir, f, TC_LIST_MAX);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (f[i].prio != TC_SOCK464_PRIO || f[i].handle != TC_SOCK464_HANDLE)
			continue;
		if (f[i].prog_id == prog_id)
			return filter_del(ifindex, dir, &f[i]);
		log_info("%s %s: the filter now runs program %u, not ours (%u): left in place",
			 ifname(ifindex, dev), tc_dir_name(dir), f[i].prog_id, prog_id);
	}
	return 0;
}
