/* The APDU engine: parsing, chaining, 61xx/6Cxx/GET RESPONSE, dispatch. */
#ifndef AKIS_VCARD_DISPATCH_H
#define AKIS_VCARD_DISPATCH_H

#include "vcard.h"

#define VC_RAPDU_MAX (VC_RESP_CAP + 2)

/* Process one command APDU of n bytes; writes the response APDU to out
 * (at least VC_RAPDU_MAX bytes), returns its length (≥ 2). Never fails. */
size_t vc_process(struct vc_card *c, const uint8_t *apdu, size_t n, uint8_t *out);

#endif
