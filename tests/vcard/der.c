/* DER writer (X.690 §8, §10). */
#include "der.h"

#include <string.h>

void der_init(struct vc_der *d)
{
	d->len = 0;
	d->err = false;
}

void der_raw(struct vc_der *d, const void *p, size_t n)
{
	if (d->err || n > sizeof d->b - d->len) {
		d->err = true;
		return;
	}
	memcpy(d->b + d->len, p, n);
	d->len += n;
}

static void put_len(struct vc_der *d, size_t n)
{
	uint8_t l[3];
	if (n < 0x80) {
		l[0] = (uint8_t)n;
		der_raw(d, l, 1);
	} else if (n < 0x100) {
		l[0] = 0x81, l[1] = (uint8_t)n;
		der_raw(d, l, 2);
	} else {
		l[0] = 0x82, l[1] = (uint8_t)(n >> 8), l[2] = (uint8_t)n;
		der_raw(d, l, 3);
	}
}

void der_tlv(struct vc_der *d, uint8_t tag, const void *p, size_t n)
{
	der_raw(d, &tag, 1);
	put_len(d, n);
	der_raw(d, p, n);
}

void der_wrap(struct vc_der *d, uint8_t tag, const struct vc_der *inner)
{
	if (inner->err)
		d->err = true;
	der_tlv(d, tag, inner->b, inner->len);
}

void der_int(struct vc_der *d, unsigned long v)
{
	uint8_t b[9];
	size_t n = 0, i;
	do {
		b[8 - n++] = (uint8_t)v;
		v >>= 8;
	} while (v);
	if (b[9 - n] & 0x80)
		b[8 - n++] = 0;
	i = 9 - n;
	der_tlv(d, 0x02, b + i, n);
}

void der_utf8(struct vc_der *d, const char *s)
{
	der_tlv(d, 0x0C, s, strlen(s));
}

void der_octets(struct vc_der *d, const void *p, size_t n)
{
	der_tlv(d, 0x04, p, n);
}

void der_bits(struct vc_der *d, const int *bits, size_t n)
{
	uint8_t b[5] = {0};
	int hi = -1;
	size_t bytes;
	for (size_t i = 0; i < n; i++) {
		if (bits[i] < 0 || bits[i] >= 32)
			continue;
		b[1 + bits[i] / 8] |= (uint8_t)(0x80 >> (bits[i] % 8));
		if (bits[i] > hi)
			hi = bits[i];
	}
	bytes = hi < 0 ? 0 : (size_t)hi / 8 + 1;
	b[0] = hi < 0 ? 0 : (uint8_t)(7 - hi % 8);
	der_tlv(d, 0x03, b, bytes + 1);
}
