// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sock464.h"
#include "xlat_rt.h"

/* Send one request and wait for its acknowledgement: 0 or -errno. */
static int rt_request(struct nlmsghdr *nlh)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid;
	ssize_t n;
	int err;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto fail;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, n, nlh->nlmsg_seq, portid, NULL, NULL) < 0)
		goto fail;
	mnl_socket_close(nl);
	return 0;
fail:
	err = -errno;
	mnl_socket_close(nl);
	return err;
}

/* The rule "fwmark @mark [ipproto @proto] lookup @table pref @pref". */
static int rule(int type, int flags, __u32 mark, __u32 pref, __u8 proto, __u32 table)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *r;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->family = AF_INET;
	r->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, pref);
	mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffU);
	if (proto)
		mnl_attr_put_u8(nlh, FRA_IP_PROTO, proto);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	return rt_request(nlh);
}

/* "default dev lo src 127.0.0.1 [mtu @mtu] table @table" (@mtu 0: lo's). */
static int route(int type, int flags, unsigned int mtu, __u32 table)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *metrics;
	struct rtmsg *rt;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_UNSPEC;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (type == RTM_NEWROUTE) {
		mnl_attr_put_u32(nlh, RTA_OIF, 1);	/* lo */
		mnl_attr_put_u32(nlh, RTA_PREFSRC, htonl(SOCK464_XLAT_SRC_HOST));
		if (mtu) {
			metrics = mnl_attr_nest_start(nlh, RTA_METRICS);
			mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
			mnl_attr_nest_end(nlh, metrics);
		}
	}
	return rt_request(nlh);
}

/*
 * The rules: TCP and UDP of marked sockets to table 464 (route MTU @mtu);
 * their ICMP, one preference earlier, to table 465 with lo's MTU, so that
 * an ICMP message reaches lo egress whole (its ICMPv6 checksum needs the
 * whole length) and sock464_xlat_out() fragments it as IPv6.
 */
static const struct xlat_rule {
	__u32 mark, pref, table;
	__u8 proto;
} rules[] = {
	{ SOCK464_XLAT_MARK, SOCK464_XLAT_PREF, SOCK464_XLAT_TABLE, 0 },
	{ SOCK464_XLAT_MARK_CONN, SOCK464_XLAT_PREF_CONN, SOCK464_XLAT_TABLE, 0 },
	{ SOCK464_XLAT_MARK, SOCK464_XLAT_PREF - 1, SOCK464_XLAT_TABLE_ICMP, 1 },
	{ SOCK464_XLAT_MARK_CONN, SOCK464_XLAT_PREF_CONN - 1, SOCK464_XLAT_TABLE_ICMP, 1 },
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

/* A rule, unless the very same is there already (a previous daemon's). */
static int rule_ensure(const struct xlat_rule *r)
{
	int err = rule(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r->mark, r->pref, r->proto,
		       r->table);

	return err == -EEXIST ? 0 : err;
}

int xlat_rt_set(bool add, unsigned int mtu)
{
	const struct xlat_rule *r;
	int err = 0, i;

	if (!add) {
		for (r = rules; r < rules + N_RULES; r++)
			for (i = 0; i < 16 && !rule(RTM_DELRULE, 0, r->mark, r->pref, r->proto,
						    r->table); i++)
				;
		route(RTM_DELROUTE, 0, 0, SOCK464_XLAT_TABLE);
		route(RTM_DELROUTE, 0, 0, SOCK464_XLAT_TABLE_ICMP);
		return 0;
	}
	/* Added where missing, never removed first: established flows see no gap. */
	for (r = rules; !err && r < rules + N_RULES; r++)
		err = rule_ensure(r);
	if (err) {
		r--;
		log_err("kernel path: adding the rule 'fwmark 0x%x%s lookup %u pref %u' failed: %s",
			r->mark, r->proto ? " ipproto icmp" : "", r->table, r->pref, strerror(-err));
		xlat_rt_set(false, 0);
		return err;
	}
	err = route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, mtu, SOCK464_XLAT_TABLE);
	if (!err)
		err = route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, 0, SOCK464_XLAT_TABLE_ICMP);
	if (err) {
		log_err("kernel path: adding the routes 'default dev lo src 127.0.0.1 "
			"mtu %u table %u' and '... table %u' failed: %s", mtu, SOCK464_XLAT_TABLE,
			SOCK464_XLAT_TABLE_ICMP, strerror(-err));
		xlat_rt_set(false, 0);
	}
	return err;
}

unsigned int xlat_rt_uplink_mtu(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	unsigned int mtu = 0;
	struct ifreq ifr;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	for (i = ifs; fd >= 0 && i && i->if_index; i++) {
		if (i->if_index == 1)
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) || !(ifr.ifr_flags & IFF_UP) ||
		    ioctl(fd, SIOCGIFMTU, &ifr))
			continue;
		if (!mtu || (unsigned int)ifr.ifr_mtu < mtu)
			mtu = ifr.ifr_mtu;
	}
	if (ifs)
		if_freenameindex(ifs);
	if (fd >= 0)
		close(fd);
	return mtu ? mtu : 1500;
}
