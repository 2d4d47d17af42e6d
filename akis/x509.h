/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Facts of a certificate that more than one part of the project needs,
 * computed one way: what its key may do (the fallback discovery of
 * akis/nodir.c and the object builder of pkcs11/object.c), the key
 * identifier that pairs keys with certificates (R23), and its validity
 * dates (pkcs11/crypto.c, akis-tool, akis-monitor).
 */
#ifndef AKIS_AKIS_X509_H
#define AKIS_AKIS_X509_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>

#include "akis.h"

/* Bytes of a key identifier (SHA-1). */
#define AKIS_KEY_ID_LEN 20u

/*
 * X.509 KeyUsage (OpenSSL's X509_get_key_usage bits; UINT32_MAX when the
 * certificate has no such extension) → AKIS_USAGE_* of the private key:
 * digitalSignature or nonRepudiation → sign (nonRepudiation also marked),
 * keyEncipherment → decrypt and unwrap and dataEncipherment → decrypt for
 * RSA, keyAgreement → derive. Without the extension: what the key type
 * can do (RSA sign and decrypt, EC sign).
 */
unsigned akis_x509_usage(uint32_t ku, enum akis_key_type type);

/*
 * The key identifier of a public key: SHA-1 of the subjectPublicKey BIT
 * STRING contents (RFC 5280 §4.2.1.2 method 1), the same whether the key
 * comes from a certificate or from the card's PuKDF. false on failure.
 */
bool akis_x509_key_id(EVP_PKEY *pk, uint8_t id[AKIS_KEY_ID_LEN]) AKIS_WUR;

/* An X.509 time (UTCTime or GeneralizedTime) as a UTC time_t. */
bool akis_x509_time(const ASN1_TIME *t, time_t *out) AKIS_WUR;

#endif
