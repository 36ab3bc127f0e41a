// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hooks.h"
#include "log.h"
#include "netns.h"
#include "routes.h"

#define MAX_ROUTES	4096	/* per namespace; more are not mirrored */
#define DEBOUNCE_MS	100

struct dump {
	struct hooks_lpm_entry *e;
	unsigned int n;
	bool truncated;
	int default_oif;	/* the first default route's device; 0: none or multipath */
};

static int on_route(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct dump *d = data;
	const struct nlattr *attr;
	__u32 table = rtm->rtm_table, dst = 0, oif = 0;

	if (rtm->rtm_family != AF_INET)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(attr) == RTA_TABLE &&
		    !mnl_attr_validate(attr, MNL_TYPE_U32))
			table = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == RTA_DST &&
			 mnl_attr_get_payload_len(attr) == 4)
			memcpy(&dst, mnl_attr_get_payload(attr), 4);
		else if (mnl_attr_get_type(attr) == RTA_OIF &&
			 !mnl_attr_validate(attr, MNL_TYPE_U32))
			oif = mnl_attr_get_u32(attr);
	}
	if (table != RT_TABLE_MAIN && table != RT_TABLE_LOCAL)
		return MNL_CB_OK;
	if (rtm->rtm_type != RTN_UNICAST && rtm->rtm_type != RTN_LOCAL &&
	    rtm->rtm_type != RTN_BROADCAST)
		return MNL_CB_OK;
	if (d->n == MAX_ROUTES) {
		d->truncated = true;
		return MNL_CB_OK;
	}
	if (rtm->rtm_dst_len == 0 && !d->default_oif)
		d->default_oif = oif;
	d->e[d->n++] = (struct hooks_lpm_entry){
		.ip4 = dst, .plen = rtm->rtm_dst_len, .table = table,
	};
	return MNL_CB_OK;
}

/* Every IPv4 route of this namespace, by a netlink dump. */
static int dump_routes(struct dump *d, int netns_fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	unsigned int seq = time(NULL), portid;
	ssize_t n;
	int ret = MNL_CB_OK, err = 0;

	err = netns_enter(netns_fd);
	if (err)
		return err;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	netns_leave(netns_fd);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	while (ret > MNL_CB_STOP) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		ret = mnl_cb_run(buf, n, seq, portid, on_route, d);
		if (ret == MNL_CB_ERROR)
			err = -errno;
	}
out:
	if (nl)
		mnl_socket_close(nl);
	return err;
}

/* The name of the default route's device, in the routes' namespace. */
static void default_dev(struct routes *r, int oif)
{
	char name[IF_NAMESIZE] = "?";

	if (oif && !netns_enter(r->netns_fd)) {
		if (!if_indextoname(oif, name))
			snprintf(name, sizeof(name), "#%d", oif);
		netns_leave(r->netns_fd);
	}
	memcpy(r->default_dev, name, sizeof(name));
}

int routes_sync(struct routes *r)
{
	struct dump d = { .e = calloc(MAX_ROUTES, sizeof(*d.e)) };
	bool has_default = false;
	unsigned int i;
	int err;

	if (!d.e)
		return -ENOMEM;
	err = dump_routes(&d, r->netns_fd);
	if (!err)
		err = hooks_set_routes(r->hooks, r->netns, d.e, d.n);
	if (err) {
		log_err("mirroring the IPv4 routes failed: %s", strerror(-err));
		free(d.e);
		return err;
	}
	for (i = 0; i < d.n; i++)
		has_default |= d.e[i].plen == 0;
	if (d.truncated)
		log_warn("more than %d IPv4 routes: the rest are not mirrored", MAX_ROUTES);
	if (has_default)
		default_dev(r, d.default_oif);
	/* Another CLAT (NetworkManager's) gives the host such a route too. */
	if (has_default != r->has_default && has_default)
		log_info("native IPv4 default route via %s: nothing translated", r->default_dev);
	else if (has_default != r->has_default)
		log_info("no IPv4 default route: translating destinations without a native route");
	if (d.n != r->count)
		log_debug("%u IPv4 routes mirrored", d.n);
	r->has_default = has_default;
	r->count = d.n;
	free(d.e);
	return 0;
}

static void on_debounce(struct timer *t)
{
	routes_sync(container_of(t, struct routes, debounce));
}

void routes_changed(struct routes *r)
{
	if (!r->debounce.armed)
		timer_arm(r->loop, &r->debounce, on_debounce, DEBOUNCE_MS);
}

void routes_stop(struct routes *r)
{
	if (r->loop)
		timer_cancel(r->loop, &r->debounce);
}
