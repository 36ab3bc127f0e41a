/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * RFC 6052 IPv4-embedded IPv6 addresses: synthesis and extraction.
 *
 * Written once and used by both the BPF programs and the daemon, so it
 * depends only on fixed-width types and uses no libc.  Addresses are byte
 * arrays in network order; IPv4 addresses are __u32 in network order (as
 * struct in_addr and bpf_sock_addr.user_ip4 hold them).
 *
 * Prefix lengths 32, 40, 48, 56, 64 and 96 are allowed.  The IPv4 octets
 * fill the bytes after the prefix, skipping byte 8 (the "u-octet", bits
 * 64-71), which is always zero; the suffix after them is zero.
 */
#ifndef SOCK464_RFC6052_H
#define SOCK464_RFC6052_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define RFC6052_UOCTET 8

/* 1 if @plen is one of the six prefix lengths RFC 6052 allows, else 0. */
static __always_inline int rfc6052_len_valid(unsigned int plen)
{
	switch (plen) {
	case 32: case 40: case 48: case 56: case 64: case 96:
		return 1;
	default:
		return 0;
	}
}

/*
 * 1 if @prefix is usable with @plen: a valid length, no bits set past the
 * length, and a zero u-octet (which only lengths of 64 and more cover).
 */
static __always_inline int rfc6052_prefix_valid(const __u8 prefix[16],
						 unsigned int plen)
{
	unsigned int i;

	if (!rfc6052_len_valid(plen))
		return 0;
	for (i = 0; i < 16; i++)
		if (i >= plen / 8 && prefix[i])
			return 0;
	return prefix[RFC6052_UOCTET] == 0;
}

/*
 * Write into @out the address that embeds @ip4 (network order) in @prefix
 * of length @plen.  @plen must satisfy rfc6052_len_valid(); bytes of
 * @prefix past the length are ignored.
 */
static __always_inline void rfc6052_synthesize(__u8 out[16],
					       const __u8 prefix[16],
					       unsigned int plen, __u32 ip4)
{
	const __u8 *v4 = (const __u8 *)&ip4;
	unsigned int i, pos = plen / 8;

	for (i = 0; i < 16; i++)
		out[i] = i < pos ? prefix[i] : 0;
	for (i = 0; i < 4; i++) {
		if (pos == RFC6052_UOCTET)
			pos++;
		out[pos & 15] = v4[i];
		pos++;
	}
}

/*
 * If @addr lies in @prefix/@plen, store the embedded IPv4 address (network
 * order) in @ip4 and return 1; otherwise return 0.  The u-octet and the
 * suffix are ignored, as RFC 6052 section 2.2 says.
 */
static __always_inline int rfc6052_extract(const __u8 addr[16],
					   const __u8 prefix[16],
					   unsigned int plen, __u32 *ip4)
{
	__u8 *v4 = (__u8 *)ip4;
	unsigned int i, pos = plen / 8;

	if (!rfc6052_len_valid(plen))
		return 0;
	for (i = 0; i < 12; i++)
		if (i < pos && addr[i] != prefix[i])
			return 0;
	for (i = 0; i < 4; i++) {
		if (pos == RFC6052_UOCTET)
			pos++;
		v4[i] = addr[pos & 15];
		pos++;
	}
	return 1;
}

#endif /* SOCK464_RFC6052_H */
