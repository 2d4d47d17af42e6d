/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded BER-TLV reader and sticky-failure writer (apdu/tlv.h).
 * Tag and length encodings: ISO/IEC 8825-1 (X.690) §8.1.2, §8.1.3;
 * ISO 7816-4 §6.3 uses the same rules for its BER-TLV data objects.
 */
#include "tlv.h"

#include <string.h>

/* Tags of 1..3 bytes, lengths of 1..4 length bytes after 0x8N (tlv.h). */
#define TLV_TAG_BYTES_MAX 3u
#define TLV_LEN_BYTES_MAX 4u
/* wr_open reserves 82 xx xx; wr_close moves the value down if shorter. */
#define WR_OPEN_LEN_BYTES 3u
#define WR_OPEN_LEN_MAX   0xFFFFu

bool rd_u8(struct rd *r, uint8_t *v)
{
	if (rd_left(r) < 1)
		return false;
	*v = *r->p++;
	return true;
}

bool rd_u16be(struct rd *r, uint16_t *v)
{
	if (rd_left(r) < 2)
		return false;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return true;
}

bool rd_skip(struct rd *r, size_t n)
{
	if (rd_left(r) < n)
		return false;
	r->p += n;
	return true;
}

bool rd_bytes(struct rd *r, uint8_t *out, size_t n)
{
	if (rd_left(r) < n)
		return false;
	if (n > 0)
		memcpy(out, r->p, n);
	r->p += n;
	return true;
}

bool rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	if (rd_left(r) < n)
		return false;
	sub->p = r->p;
	sub->end = r->p + n;
	r->p += n;
	return true;
}

/* X.690 §8.1.2: low 5 bits all ones → subsequent bytes, bit 8 = more. */
static bool __attribute__((warn_unused_result)) read_tag(struct rd *r, unsigned *tag)
{
	uint8_t b;
	unsigned t;

	if (!rd_u8(r, &b))
		return false;
	t = b;
	if ((b & 0x1Fu) != 0x1Fu) {
		*tag = t;
		return true;
	}
	for (unsigned i = 1; i < TLV_TAG_BYTES_MAX; i++) {
		if (!rd_u8(r, &b))
			return false;
		t = t << 8 | b;
		if ((b & 0x80u) == 0) {
			*tag = t;
			return true;
		}
	}
	return false; /* more than 3 tag bytes */
}

/* X.690 §8.1.3: short form < 0x80; 0x80 (indefinite) rejected; 0x81..0x84. */
static bool __attribute__((warn_unused_result)) read_len(struct rd *r, size_t *len)
{
	uint8_t b;
	size_t l = 0;

	if (!rd_u8(r, &b))
		return false;
	if (b < 0x80u) {
		*len = b;
		return true;
	}
	b &= 0x7Fu;
	if (b == 0 || b > TLV_LEN_BYTES_MAX)
		return false;
	for (unsigned i = 0; i < b; i++) {
		uint8_t c;
		if (!rd_u8(r, &c))
			return false;
		l = l << 8 | c;
	}
	*len = l;
	return true;
}

bool rd_tlv(struct rd *r, unsigned *tag, struct rd *value)
{
	struct rd c = *r;
	unsigned t;
	size_t len;

	if (!read_tag(&c, &t) || !read_len(&c, &len) || !rd_sub(&c, len, value))
		return false;
	*tag = t;
	*r = c;
	return true;
}

bool rd_expect(struct rd *r, unsigned tag, struct rd *value)
{
	struct rd c = *r;
	struct rd v;
	unsigned t;

	if (!rd_tlv(&c, &t, &v) || t != tag)
		return false;
	*value = v;
	*r = c;
	return true;
}

bool rd_find(const struct rd *r, unsigned tag, struct rd *value)
{
	struct rd c = *r;
	struct rd v;
	unsigned t;

	while (!rd_empty(&c)) {
		if (!rd_tlv(&c, &t, &v))
			return false;
		if (t == tag) {
			*value = v;
			return true;
		}
	}
	return false;
}

bool rd_peek_tag(const struct rd *r, unsigned *tag)
{
	struct rd c = *r;
	return read_tag(&c, tag);
}

/* X.690 §8.3: two's complement, big-endian. Accepts one leading 00 so
 * that 0x80000000..0xFFFFFFFF fit. Negative values are refused. */
bool rd_der_uint(struct rd *value, unsigned long *v)
{
	struct rd c = *value;
	unsigned long x = 0;
	uint8_t b;

	if (rd_empty(&c) || (*c.p & 0x80u) != 0)
		return false;
	if (rd_left(&c) > 1 && *c.p == 0)
		c.p++;
	if (rd_left(&c) > 4)
		return false;
	while (rd_u8(&c, &b))
		x = x << 8 | b;
	*v = x;
	*value = c;
	return true;
}

/* X.690 §8.2: one byte; DER uses FF for TRUE, BER any non-zero. */
bool rd_der_bool(struct rd *value, bool *v)
{
	if (rd_left(value) != 1)
		return false;
	*v = *value->p != 0;
	value->p++;
	return true;
}

/* X.690 §8.6: first byte = unused bits in the last byte (0..7), then the
 * bits, first named bit = most significant bit of the first byte. */
bool rd_der_bits(struct rd *value, unsigned long *v)
{
	struct rd c = *value;
	unsigned long x = 0;
	uint8_t unused, b;
	unsigned bit = 0;

	if (!rd_u8(&c, &unused) || unused > 7 || (rd_empty(&c) && unused != 0))
		return false;
	if (rd_left(&c) > 4)
		return false;
	while (rd_u8(&c, &b)) {
		for (unsigned m = 0x80u; m != 0; m >>= 1, bit++) {
			if ((b & m) != 0)
				x |= 1ul << bit;
		}
	}
	*v = x;
	*value = c;
	return true;
}

/* ----- writer ----- */

static bool __attribute__((warn_unused_result)) wr_room(struct wr *w, size_t n)
{
	if (w->failed || w->buf == NULL || n > w->cap - w->len) {
		w->failed = true;
		return false;
	}
	return true;
}

void wr_u8(struct wr *w, uint8_t v)
{
	if (wr_room(w, 1))
		w->buf[w->len++] = v;
}

void wr_u16be(struct wr *w, uint16_t v)
{
	wr_u8(w, (uint8_t)(v >> 8));
	wr_u8(w, (uint8_t)v);
}

void wr_bytes(struct wr *w, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (p == NULL) {
		w->failed = true;
		return;
	}
	if (wr_room(w, n)) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
	}
}

static void wr_tag(struct wr *w, unsigned tag)
{
	if (tag > 0xFFFFFFu) {
		w->failed = true;
		return;
	}
	if (tag > 0xFFFFu)
		wr_u8(w, (uint8_t)(tag >> 16));
	if (tag > 0xFFu)
		wr_u8(w, (uint8_t)(tag >> 8));
	wr_u8(w, (uint8_t)tag);
}

static size_t der_len_size(size_t n)
{
	size_t k = 1;

	if (n < 0x80u)
		return 1;
	for (size_t x = n; x != 0; x >>= 8)
		k++;
	return k;
}

/* DER length (X.690 §10.1: minimal) into dst, which has der_len_size(n) bytes. */
static void put_der_len(uint8_t *dst, size_t n)
{
	size_t k = der_len_size(n);

	if (k == 1) {
		dst[0] = (uint8_t)n;
		return;
	}
	dst[0] = (uint8_t)(0x80u | (k - 1));
	for (size_t i = k - 1; i >= 1; i--, n >>= 8)
		dst[i] = (uint8_t)n;
}

static void wr_len(struct wr *w, size_t n)
{
	uint8_t tmp[1 + sizeof(size_t)];

	if (der_len_size(n) > 1 + TLV_LEN_BYTES_MAX) {
		w->failed = true;
		return;
	}
	put_der_len(tmp, n);
	wr_bytes(w, tmp, der_len_size(n));
}

void wr_tlv(struct wr *w, unsigned tag, const void *value, size_t n)
{
	wr_tag(w, tag);
	wr_len(w, n);
	wr_bytes(w, value, n);
}

size_t wr_open(struct wr *w, unsigned tag)
{
	size_t mark;

	wr_tag(w, tag);
	mark = w->len;
	wr_u8(w, 0x82);
	wr_u16be(w, 0);
	return mark;
}

void wr_close(struct wr *w, size_t mark)
{
	size_t start = mark + WR_OPEN_LEN_BYTES;
	size_t n, k;

	if (w->failed)
		return;
	if (mark > w->len || start > w->len || w->buf[mark] != 0x82u) {
		w->failed = true; /* not a mark from wr_open */
		return;
	}
	n = w->len - start;
	if (n > WR_OPEN_LEN_MAX) {
		w->failed = true;
		return;
	}
	k = der_len_size(n);
	memmove(w->buf + mark + k, w->buf + start, n);
	put_der_len(w->buf + mark, n);
	w->len = mark + k + n;
}
