/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded reader and sticky-failure writer for bytes from and to the card
 * (docs/style.md: every byte from a card goes through this reader; no other code
 * indexes a response buffer).
 *
 * BER-TLV as used by ISO 7816-4 FCIs and by PKCS#15 DER: tags of 1..3
 * bytes (kept as an unsigned with the tag bytes big-endian, e.g. 0x5F20,
 * 0x30, 0xA0), definite lengths of 1..4 bytes. Indefinite length is
 * rejected.
 */
#ifndef AKIS_APDU_TLV_H
#define AKIS_APDU_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLV_WUR __attribute__((warn_unused_result))

struct rd {
	const uint8_t *p;
	const uint8_t *end;
};

static inline struct rd rd_init(const uint8_t *p, size_t len)
{
	struct rd r = {p, p + len};
	return r;
}
static inline size_t rd_left(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}
static inline bool rd_empty(const struct rd *r)
{
	return r->p >= r->end;
}

bool rd_u8(struct rd *r, uint8_t *v) TLV_WUR;
bool rd_u16be(struct rd *r, uint16_t *v) TLV_WUR;
bool rd_skip(struct rd *r, size_t n) TLV_WUR;
/* Copy n bytes out. */
bool rd_bytes(struct rd *r, uint8_t *out, size_t n) TLV_WUR;
/* Split off the next n bytes as a sub-reader. */
bool rd_sub(struct rd *r, size_t n, struct rd *sub) TLV_WUR;

/* Next TLV: tag, and its value as a sub-reader; r advances past it. */
bool rd_tlv(struct rd *r, unsigned *tag, struct rd *value) TLV_WUR;
/* Next TLV whose tag must be `tag`; false (r unchanged) otherwise. */
bool rd_expect(struct rd *r, unsigned tag, struct rd *value) TLV_WUR;
/* Search r's remaining top-level TLVs for `tag` (r itself is not advanced). */
bool rd_find(const struct rd *r, unsigned tag, struct rd *value) TLV_WUR;
/* Peek the next tag without advancing. */
bool rd_peek_tag(const struct rd *r, unsigned *tag) TLV_WUR;

/* DER helpers on a value reader. */
/* Non-negative INTEGER contents (<= 4 bytes) → *v. */
bool rd_der_uint(struct rd *value, unsigned long *v) TLV_WUR;
/* BOOLEAN contents. */
bool rd_der_bool(struct rd *value, bool *v) TLV_WUR;
/* BIT STRING contents → bits as an unsigned, bit 0 = first named bit
 * (PKCS#15 KeyUsageFlags, PinFlags style). */
bool rd_der_bits(struct rd *value, unsigned long *v) TLV_WUR;

/* ----- writer ----- */

struct wr {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool failed; /* sticky: set on overflow, every later call is a no-op */
};

static inline struct wr wr_init(uint8_t *buf, size_t cap)
{
	struct wr w = {buf, cap, 0, false};
	return w;
}
void wr_u8(struct wr *w, uint8_t v);
void wr_u16be(struct wr *w, uint16_t v);
void wr_bytes(struct wr *w, const void *p, size_t n);
/* Tag + DER length + value. */
void wr_tlv(struct wr *w, unsigned tag, const void *value, size_t n);
/* Open a constructed TLV whose length is patched by wr_close (lengths up
 * to 65535); returns a mark. */
size_t wr_open(struct wr *w, unsigned tag);
void wr_close(struct wr *w, size_t mark);
/* True when no write overflowed. */
static inline bool wr_ok(const struct wr *w)
{
	return !w->failed;
}

#endif
