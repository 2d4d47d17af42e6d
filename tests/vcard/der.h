/* A tiny DER writer for provisioning (X.690). Sticky error flag. */
#ifndef AKIS_VCARD_DER_H
#define AKIS_VCARD_DER_H

#include "vcard.h"

#define VC_DER_MAX 4096

struct vc_der {
	uint8_t b[VC_DER_MAX];
	size_t len;
	bool err;
};

void der_init(struct vc_der *d);
void der_raw(struct vc_der *d, const void *p, size_t n);
void der_tlv(struct vc_der *d, uint8_t tag, const void *p, size_t n);
/* Append `inner` wrapped in `tag`. */
void der_wrap(struct vc_der *d, uint8_t tag, const struct vc_der *inner);
void der_int(struct vc_der *d, unsigned long v);
void der_utf8(struct vc_der *d, const char *s);
void der_octets(struct vc_der *d, const void *p, size_t n);
/* BIT STRING from a list of named bit numbers (X.680 §22.7: trailing zero bits dropped). */
void der_bits(struct vc_der *d, const int *bits, size_t n);

#endif
