// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock464_uplinks for one served namespace (uplinks.h): a link dump, then
 * one route request per link, on one rtnetlink socket made inside it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hooks.h"
#include "log.h"
#include "netns.h"
#include "dns64.h"
#include "rfc6052.h"
#include "uplinks.h"

#define UPLINKS_MAX	256	/* per namespace; more are not listed */
#define DEBOUNCE_MS	150	/* after the route mirror's 100 */

struct links {
	struct hooks_uplink_entry e[UPLINKS_MAX];
	unsigned int n;
};

static int on_link(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct links *l = data;
	const struct nlattr *attr;
	const char *name = NULL;

	if (nlh->nlmsg_type != RTM_NEWLINK || (ifi->ifi_flags & IFF_LOOPBACK) ||
	    l->n == UPLINKS_MAX)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifi))
		if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
		    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
			name = mnl_attr_get_str(attr);
	if (!name || strlen(name) >= SOCK464_IFNAMSIZ)
		return MNL_CB_OK;
	memset(&l->e[l->n], 0, sizeof(l->e[l->n]));
	strcpy(l->e[l->n].name, name);
	l->e[l->n].link.ifindex = ifi->ifi_index;
	l->n++;
	return MNL_CB_OK;
}

/* What a route request answered: the device and the source it would use. */
struct answer {
	int oif;
	__u8 src6[16];
	__u8 gw6[16];		/* :: for on-link */
};

static int on_route(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	struct answer *a = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(attr) == RTA_OIF && !mnl_attr_validate(attr, MNL_TYPE_U32))
			a->oif = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == RTA_PREFSRC &&
			 mnl_attr_get_payload_len(attr) == 16)
			memcpy(a->src6, mnl_attr_get_payload(attr), 16);
		else if (mnl_attr_get_type(attr) == RTA_GATEWAY &&
			 mnl_attr_get_payload_len(attr) == 16)
			memcpy(a->gw6, mnl_attr_get_payload(attr), 16);
	}
	return MNL_CB_OK;
}

/* Send @nlh on @nl and run @cb on the answer; 0 or -errno. */
static int ask(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	int ret = MNL_CB_OK;
	ssize_t n;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (ret > MNL_CB_STOP) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		ret = mnl_cb_run(buf, n, seq, portid, cb, data);
		if (ret == MNL_CB_ERROR)
			return -errno;
	}
	return 0;
}

static int dump_links(struct mnl_socket *nl, struct links *l, unsigned int seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	return ask(nl, nlh, on_link, l);
}

/*
 * 1 with its source and next hop in @e if the kernel routes @dst out of @e's link when
 * asked to use it (as for a socket bound to it), else 0.
 */
static int routes_out(struct mnl_socket *nl, const __u8 dst[16],
		      struct hooks_uplink_entry *e, unsigned int seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct answer a = { 0 };
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;	/* the ack ends the answer */
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = 128;
	mnl_attr_put(nlh, RTA_DST, 16, dst);
	mnl_attr_put_u32(nlh, RTA_OIF, e->link.ifindex);
	/* no route (ENETUNREACH, EHOSTUNREACH...), another device, no source: no */
	if (ask(nl, nlh, on_route, &a) || a.oif != (int)e->link.ifindex ||
	    !memcmp(a.src6, (__u8[16]){ 0 }, 16))
		return 0;
	memcpy(e->link.src6, a.src6, 16);
	memcpy(e->link.gw6, a.gw6, 16);
	return 1;
}

/* The links and which route @dst (NULL: none flagged); 0 or -errno. */
static int look(struct uplinks *u, struct links *l, const __u8 *dst)
{
	struct mnl_socket *nl;
	unsigned int seq = time(NULL), i;
	int err;

	err = netns_enter(u->netns_fd);
	if (err)
		return err;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	netns_leave(u->netns_fd);
	if (!nl)
		return -errno;
	err = mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ? -errno : 0;
	if (!err)
		err = dump_links(nl, l, seq);
	for (i = 0; !err && dst && i < l->n; i++)
		if (routes_out(nl, dst, &l->e[i], ++seq))
			l->e[i].link.flags |= SOCK464_UPLINK_PREF64;
	mnl_socket_close(nl);
	return err;
}

int uplinks_sync(struct uplinks *u)
{
	struct links *l = calloc(1, sizeof(*l));
	struct pref64 buf;
	const struct pref64 *p = u->prefix(u->arg, &buf);
	bool flag = p && !*u->native_default;
	unsigned int usable = 0, i;
	__u8 dst[16];
	int err;

	if (!l)
		return -ENOMEM;
	if (flag)
		rfc6052_synthesize(dst, p->addr, p->plen, htonl(DNS64_WKA_170));
	err = look(u, l, flag ? dst : NULL);
	if (!err)
		err = hooks_set_uplinks(u->hooks, u->netns, l->e, l->n);
	if (err) {
		log_err("listing the links for sockets bound to a device failed: %s",
			strerror(-err));
		free(l);
		return err;
	}
	for (i = 0; i < l->n; i++)
		usable += !!(l->e[i].link.flags & SOCK464_UPLINK_PREF64);
	if (usable != u->usable || l->n != u->count)
		log_debug("%u of %u links route PREF64 (sockets bound to the others get "
			  "ENETUNREACH)", usable, l->n);
	u->count = l->n;
	u->usable = usable;
	free(l);
	return 0;
}

static void on_debounce(struct timer *t)
{
	uplinks_sync(container_of(t, struct uplinks, debounce));
}

void uplinks_changed(struct uplinks *u)
{
	if (u->loop && !u->debounce.armed)
		timer_arm(u->loop, &u->debounce, on_debounce, DEBOUNCE_MS);
}

void uplinks_stop(struct uplinks *u, bool forget)
{
	if (u->loop)
		timer_cancel(u->loop, &u->debounce);
	if (forget && u->hooks)
		hooks_set_uplinks(u->hooks, u->netns, NULL, 0);
}
