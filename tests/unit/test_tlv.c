/* SPDX-License-Identifier: BSD-3-Clause */
/* apdu/tlv.c: bounded BER-TLV reader and sticky writer (X.690 §8.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../apdu/tlv.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;
	for (; *s; s++) {
		if (*s == ' ')
			continue;
		if (n >= cap || sscanf(s, "%2x", &v) != 1)
			fail_msg("bad hex in test");
		out[n++] = (uint8_t)v;
		s++;
	}
	return n;
}

struct tlv_case {
	const char *name;
	const char *in;
	bool ok;
	unsigned tag;
	size_t vlen;
	size_t consumed; /* bytes rd_tlv advanced */
};

static void test_rd_tlv_table(void **state)
{
	(void)state;
	static const struct tlv_case cases[] = {
	        {"1-byte tag, short len", "80 02 AA BB", true, 0x80, 2, 4},
	        {"empty value", "04 00", true, 0x04, 0, 2},
	        {"2-byte tag", "5F 20 01 41", true, 0x5F20, 1, 4},
	        {"3-byte tag", "9F 81 01 01 00", true, 0x9F8101, 1, 5},
	        {"4-byte tag refused", "9F 81 81 01 01 00", false, 0, 0, 0},
	        {"tag cut after first byte", "5F", false, 0, 0, 0},
	        {"len 81", "30 81 03 01 02 03 FF", true, 0x30, 3, 6},
	        {"len 82", "30 82 00 02 01 02", true, 0x30, 2, 6},
	        {"len 83", "04 83 00 00 01 07", true, 0x04, 1, 6},
	        {"len 84", "04 84 00 00 00 01 07", true, 0x04, 1, 7},
	        {"len 85 refused", "04 85 00 00 00 00 01 07", false, 0, 0, 0},
	        {"indefinite refused", "30 80 04 00 00 00", false, 0, 0, 0},
	        {"no length byte", "30", false, 0, 0, 0},
	        {"len bytes cut", "30 82 01", false, 0, 0, 0},
	        {"value truncated", "04 03 01 02", false, 0, 0, 0},
	        {"len past end (82)", "04 82 01 00 01 02", false, 0, 0, 0},
	        {"huge 84 length", "04 84 FF FF FF FF 00", false, 0, 0, 0},
	        {"empty input", "", false, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[64];
		size_t n = unhex(cases[i].in, buf, sizeof(buf));
		struct rd r = rd_init(buf, n), v = {0};
		unsigned tag = 0;
		bool ok = rd_tlv(&r, &tag, &v);
		if (ok != cases[i].ok)
			fail_msg("%s: ok=%d", cases[i].name, ok);
		if (!ok) {
			if (r.p != buf)
				fail_msg("%s: reader moved on failure", cases[i].name);
			continue;
		}
		if (tag != cases[i].tag || rd_left(&v) != cases[i].vlen ||
		    (size_t)(r.p - buf) != cases[i].consumed)
			fail_msg("%s: tag %X vlen %zu consumed %zu", cases[i].name, tag,
			         rd_left(&v), (size_t)(r.p - buf));
	}
}

static void test_rd_scalars(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x12, 0x34, 0x56};
	struct rd r = rd_init(b, sizeof(b)), sub;
	uint16_t v16;
	uint8_t v8, out[4];

	assert_true(rd_u16be(&r, &v16));
	assert_int_equal(v16, 0x1234);
	assert_false(rd_u16be(&r, &v16)); /* one byte left */
	assert_int_equal(rd_left(&r), 1);
	assert_true(rd_u8(&r, &v8));
	assert_int_equal(v8, 0x56);
	assert_false(rd_u8(&r, &v8));
	assert_true(rd_empty(&r));
	r = rd_init(b, sizeof(b));
	assert_false(rd_skip(&r, 4));
	assert_false(rd_bytes(&r, out, 4));
	assert_false(rd_sub(&r, 4, &sub));
	assert_int_equal(rd_left(&r), 3);
	assert_true(rd_sub(&r, 2, &sub));
	assert_int_equal(rd_left(&sub), 2);
	assert_true(rd_bytes(&r, out, 1));
	assert_int_equal(out[0], 0x56);
	assert_true(rd_skip(&r, 0));
}

/* A PKCS#15-like nested structure: 30 { 30 { 0C label, 04 id }, A1 { 30 { 04 path } } } */
static void test_nested_and_find(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t n = unhex("30 14 30 08 0C 02 41 42 04 02 45 01 A1 08 30 06 04 04 3F 00 2F 10 FF FF",
	                 buf, sizeof(buf));
	struct rd r = rd_init(buf, n), seq, common, v, ctx, path;
	unsigned tag;

	assert_true(rd_expect(&r, 0x30, &seq));
	assert_int_equal(rd_left(&r), 2); /* trailing FF FF padding left to the caller */
	assert_false(rd_expect(&seq, 0x31, &common));
	assert_int_equal(rd_left(&seq), 0x14); /* unchanged after a failed expect */
	assert_true(rd_peek_tag(&seq, &tag));
	assert_int_equal(tag, 0x30);
	assert_true(rd_expect(&seq, 0x30, &common));
	assert_true(rd_find(&common, 0x04, &v));
	assert_int_equal(rd_left(&v), 2);
	assert_int_equal(v.p[0], 0x45);
	assert_int_equal(rd_left(&common), 8); /* rd_find does not advance */
	assert_false(rd_find(&common, 0x02, &v));
	assert_true(rd_expect(&seq, 0xA1, &ctx));
	assert_true(rd_expect(&ctx, 0x30, &path));
	assert_true(rd_expect(&path, 0x04, &v));
	assert_int_equal(rd_left(&v), 4);
	assert_true(rd_empty(&seq));
	/* rd_find stops at a malformed TLV before the wanted one */
	n = unhex("80 01 00 81 05 00 82 01 07", buf, sizeof(buf));
	r = rd_init(buf, n);
	assert_false(rd_find(&r, 0x82, &v));
	assert_true(rd_find(&r, 0x80, &v));
}

struct uint_case {
	const char *in; /* INTEGER contents */
	bool ok;
	unsigned long v;
};

static void test_der_uint(void **state)
{
	(void)state;
	static const struct uint_case cases[] = {
	        {"00", true, 0},
	        {"7F", true, 127},
	        {"00 80", true, 128},
	        {"01 00", true, 256},
	        {"7F FF FF FF", true, 0x7FFFFFFFul},
	        {"00 FF FF FF FF", true, 0xFFFFFFFFul},
	        {"80", false, 0},
	        {"FF", false, 0},
	        {"", false, 0},
	        {"01 00 00 00 00", false, 0},
	        {"00 01 00 00 00 00", false, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[8];
		size_t n = unhex(cases[i].in, buf, sizeof(buf));
		struct rd r = rd_init(buf, n);
		unsigned long v = 12345;
		bool ok = rd_der_uint(&r, &v);
		if (ok != cases[i].ok || (ok && v != cases[i].v))
			fail_msg("uint %s: ok=%d v=%lu", cases[i].in, ok, v);
		if (ok && !rd_empty(&r))
			fail_msg("uint %s: not consumed", cases[i].in);
	}
}

static void test_der_bool_bits(void **state)
{
	(void)state;
	uint8_t buf[8];
	struct rd r;
	bool b = false;
	unsigned long v = 0;

	r = rd_init(buf, unhex("FF", buf, sizeof(buf)));
	assert_true(rd_der_bool(&r, &b));
	assert_true(b);
	r = rd_init(buf, unhex("00", buf, sizeof(buf)));
	assert_true(rd_der_bool(&r, &b));
	assert_false(b);
	r = rd_init(buf, unhex("00 00", buf, sizeof(buf)));
	assert_false(rd_der_bool(&r, &b));
	r = rd_init(buf, 0);
	assert_false(rd_der_bool(&r, &b));

	/* PKCS#15 KeyUsageFlags: sign (bit 2) + nonRepudiation (bit 9): 03 03 06 20 40 */
	r = rd_init(buf, unhex("06 20 40", buf, sizeof(buf)));
	assert_true(rd_der_bits(&r, &v));
	assert_int_equal(v, (1ul << 2) | (1ul << 9));
	r = rd_init(buf, unhex("07 80", buf, sizeof(buf))); /* bit 0 only */
	assert_true(rd_der_bits(&r, &v));
	assert_int_equal(v, 1);
	r = rd_init(buf, unhex("00", buf, sizeof(buf))); /* empty */
	assert_true(rd_der_bits(&r, &v));
	assert_int_equal(v, 0);
	r = rd_init(buf, unhex("08 80", buf, sizeof(buf))); /* unused > 7 */
	assert_false(rd_der_bits(&r, &v));
	r = rd_init(buf, unhex("01", buf, sizeof(buf))); /* unused bits, no bytes */
	assert_false(rd_der_bits(&r, &v));
	r = rd_init(buf, 0);
	assert_false(rd_der_bits(&r, &v));
	r = rd_init(buf, unhex("00 00 00 00 00 01", buf, sizeof(buf))); /* > 32 bits */
	assert_false(rd_der_bits(&r, &v));
}

static void test_writer_basic(void **state)
{
	(void)state;
	uint8_t buf[16];
	struct wr w = wr_init(buf, sizeof(buf));
	static const uint8_t aid[2] = {0x3F, 0x00};

	wr_u8(&w, 0x00);
	wr_u16be(&w, 0xA404);
	wr_tlv(&w, 0x83, aid, 2);
	wr_tlv(&w, 0x5F20, aid, 1);
	wr_tlv(&w, 0x9F8101, NULL, 0);
	assert_true(wr_ok(&w));
	assert_int_equal(w.len, 3 + 4 + 4 + 4);
	static const uint8_t want[] = {0x00, 0xA4, 0x04, 0x83, 0x02, 0x3F, 0x00, 0x5F,
	                               0x20, 0x01, 0x3F, 0x9F, 0x81, 0x01, 0x00};
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_writer_overflow_sticky(void **state)
{
	(void)state;
	uint8_t buf[4];
	struct wr w = wr_init(buf, sizeof(buf));
	static const uint8_t three[3] = {1, 2, 3};

	wr_bytes(&w, three, 3);
	assert_true(wr_ok(&w));
	wr_u16be(&w, 0x0102); /* does not fit: fails */
	assert_false(wr_ok(&w));
	size_t len = w.len;
	wr_u8(&w, 9); /* would fit, but the failure is sticky */
	assert_false(wr_ok(&w));
	assert_int_equal(w.len, len);
	/* wr_tlv longer than the buffer */
	w = wr_init(buf, sizeof(buf));
	wr_tlv(&w, 0x04, three, 3);
	assert_false(wr_ok(&w));
	/* NULL data with n > 0 */
	w = wr_init(buf, sizeof(buf));
	wr_bytes(&w, NULL, 1);
	assert_false(wr_ok(&w));
}

/* wr_open/wr_close produce minimal DER lengths (X.690 §10.1). */
static void run_open_close(size_t vlen, const uint8_t *want_hdr, size_t hdr_len)
{
	static uint8_t buf[70000], val[70000];
	struct wr w = wr_init(buf, sizeof(buf));
	struct rd r, v;
	unsigned tag;

	for (size_t i = 0; i < vlen; i++)
		val[i] = (uint8_t)i;
	size_t m = wr_open(&w, 0x30);
	wr_bytes(&w, val, vlen);
	wr_close(&w, m);
	assert_true(wr_ok(&w));
	assert_int_equal(w.len, hdr_len + vlen);
	assert_memory_equal(buf, want_hdr, hdr_len);
	assert_memory_equal(buf + hdr_len, val, vlen);
	r = rd_init(buf, w.len);
	assert_true(rd_tlv(&r, &tag, &v));
	assert_int_equal(rd_left(&v), vlen);
}

static void test_writer_open_close(void **state)
{
	(void)state;
	run_open_close(0, (const uint8_t[]){0x30, 0x00}, 2);
	run_open_close(127, (const uint8_t[]){0x30, 0x7F}, 2);
	run_open_close(128, (const uint8_t[]){0x30, 0x81, 0x80}, 3);
	run_open_close(255, (const uint8_t[]){0x30, 0x81, 0xFF}, 3);
	run_open_close(256, (const uint8_t[]){0x30, 0x82, 0x01, 0x00}, 4);
	run_open_close(65535, (const uint8_t[]){0x30, 0x82, 0xFF, 0xFF}, 4);
}

static void test_writer_nested(void **state)
{
	(void)state;
	uint8_t buf[512], filler[200];
	struct wr w = wr_init(buf, sizeof(buf));
	memset(filler, 0xAB, sizeof(filler));

	size_t outer = wr_open(&w, 0x30);
	size_t inner = wr_open(&w, 0xA1);
	wr_tlv(&w, 0x04, filler, 124); /* inner = 2 + 124 = 126 */
	wr_close(&w, inner);           /* A1 7E ... (128 bytes) */
	wr_tlv(&w, 0x04, filler, 0);   /* +2 → outer value 130 */
	wr_close(&w, outer);
	assert_true(wr_ok(&w));
	assert_int_equal(w.len, 3 + 130);
	assert_int_equal(buf[0], 0x30);
	assert_int_equal(buf[1], 0x81);
	assert_int_equal(buf[2], 130);
	assert_int_equal(buf[3], 0xA1);
	assert_int_equal(buf[4], 0x7E);
	assert_int_equal(buf[5], 0x04);
	assert_int_equal(buf[6], 124);

	/* a value over 65535 fails the close */
	static uint8_t big[70000];
	struct wr w2 = wr_init(big, sizeof(big));
	size_t m = wr_open(&w2, 0x04);
	for (size_t i = 0; i < 65536; i++)
		wr_u8(&w2, 0);
	wr_close(&w2, m);
	assert_false(wr_ok(&w2));
	/* overflow inside an open TLV makes close a no-op and keeps failure */
	uint8_t small[8];
	struct wr w3 = wr_init(small, sizeof(small));
	m = wr_open(&w3, 0x30);
	wr_bytes(&w3, filler, 10);
	wr_close(&w3, m);
	assert_false(wr_ok(&w3));
	/* a bogus mark is refused */
	struct wr w4 = wr_init(buf, sizeof(buf));
	wr_u8(&w4, 0x30);
	wr_u8(&w4, 0x00);
	wr_close(&w4, 1);
	assert_false(wr_ok(&w4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rd_tlv_table),
	        cmocka_unit_test(test_rd_scalars),
	        cmocka_unit_test(test_nested_and_find),
	        cmocka_unit_test(test_der_uint),
	        cmocka_unit_test(test_der_bool_bits),
	        cmocka_unit_test(test_writer_basic),
	        cmocka_unit_test(test_writer_overflow_sticky),
	        cmocka_unit_test(test_writer_open_close),
	        cmocka_unit_test(test_writer_nested),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
