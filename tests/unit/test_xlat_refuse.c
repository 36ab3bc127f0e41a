// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * include/xlat_refuse.h: the RST+ACK that refuses a translated SYN whose
 * IPv6 4-tuple a native socket owns.  It must be what a closed port sends:
 * addresses and ports swapped, the SYN (and any data) acknowledged, valid
 * IPv4 and TCP checksums; anything but a SYN is not answered.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "xlat_refuse.h"
#include "csum_ref.h"

static struct xlat_ip4 syn_ip(__u16 tot)
{
	struct xlat_ip4 h = {
		.ver_ihl = 0x45, .tot_len = htons(tot), .frag_off = htons(0x4000),
		.ttl = 64, .protocol = 6,
	};

	inet_pton(AF_INET, "127.0.0.1", &h.saddr);
	inet_pton(AF_INET, "198.51.100.10", &h.daddr);
	h.check = xlat_ip4_check(&h);
	return h;
}

static struct xlat_tcp syn_tcp(__u8 doff, __u8 flags)
{
	struct xlat_tcp t = {
		.source = htons(41000), .dest = htons(9100), .seq = htonl(0xfffffff0U),
		.doff_res = (__u8)(doff << 4), .flags = flags, .window = htons(64240),
	};

	return t;
}

static void test_refuse_syn(void **state)
{
	/* a SYN with 20 bytes of options, then one with 100 bytes of data (TFO) */
	static const struct { __u16 tot; __u8 doff; __u32 ack; } cases[] = {
		{ 60, 10, 0xfffffff1U }, { 160, 10, 0x55U },
	};
	struct xlat_ip4 h4, o4;
	struct xlat_tcp syn, rst;
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		h4 = syn_ip(cases[i].tot);
		syn = syn_tcp(cases[i].doff, XLAT_TCP_SYN);
		assert_int_equal(xlat_tcp_refuse(&h4, &syn, &o4, &rst), 0);
		assert_int_equal(o4.saddr, h4.daddr);
		assert_int_equal(o4.daddr, h4.saddr);
		assert_int_equal(ntohs(o4.tot_len), 40);
		assert_int_equal(o4.protocol, 6);
		assert_int_equal(xlat_csum_fold(csum_ref_sum(0, &o4, 20)), 0xffff);
		assert_int_equal(rst.source, syn.dest);
		assert_int_equal(rst.dest, syn.source);
		assert_int_equal(rst.flags, XLAT_TCP_RST | XLAT_TCP_ACK);
		assert_int_equal(rst.doff_res, 0x50);
		assert_int_equal(ntohl(rst.ack_seq), cases[i].ack);
		assert_int_equal(rst.seq, 0);
		/* the TCP checksum over the IPv4 pseudo-header sums to -0 */
		assert_int_equal(csum_ref4(o4.saddr, o4.daddr, 6, &rst, 20), 0);
	}
}

static void test_refuse_only_syn(void **state)
{
	struct xlat_ip4 h4 = syn_ip(40), o4;
	struct xlat_tcp t, rst;

	(void)state;
	t = syn_tcp(5, XLAT_TCP_SYN | XLAT_TCP_ACK);
	assert_int_equal(xlat_tcp_refuse(&h4, &t, &o4, &rst), -1);
	t = syn_tcp(5, XLAT_TCP_ACK);
	assert_int_equal(xlat_tcp_refuse(&h4, &t, &o4, &rst), -1);
	t = syn_tcp(5, XLAT_TCP_SYN | XLAT_TCP_RST);
	assert_int_equal(xlat_tcp_refuse(&h4, &t, &o4, &rst), -1);
	t = syn_tcp(4, XLAT_TCP_SYN);		/* data offset below 5 */
	assert_int_equal(xlat_tcp_refuse(&h4, &t, &o4, &rst), -1);
	t = syn_tcp(10, XLAT_TCP_SYN);		/* options past the packet */
	assert_int_equal(xlat_tcp_refuse(&h4, &t, &o4, &rst), -1);
	h4.protocol = 17;
	t = syn_tcp(5, XLAT_TCP_SYN);
	assert_int_equal(xlat_tcp_refuse(&h4, &t, &o4, &rst), -1);
	assert_int_equal(xlat_htonl(0x01020304U), htonl(0x01020304U));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuse_syn),
		cmocka_unit_test(test_refuse_only_syn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
