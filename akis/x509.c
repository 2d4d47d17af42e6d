/* SPDX-License-Identifier: BSD-3-Clause */
#include "x509.h"

#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

unsigned akis_x509_usage(uint32_t ku, enum akis_key_type type)
{
	unsigned u = 0;

	if (ku == UINT32_MAX) /* no extension: anything the key type allows */
		return type == AKIS_KEY_RSA ? AKIS_USAGE_SIGN | AKIS_USAGE_DECRYPT
		                            : AKIS_USAGE_SIGN;
	if (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))
		u |= AKIS_USAGE_SIGN;
	if (ku & KU_NON_REPUDIATION)
		u |= AKIS_USAGE_NON_REPUDIATION;
	if (type == AKIS_KEY_RSA && (ku & KU_KEY_ENCIPHERMENT))
		u |= AKIS_USAGE_DECRYPT | AKIS_USAGE_UNWRAP;
	if (type == AKIS_KEY_RSA && (ku & KU_DATA_ENCIPHERMENT))
		u |= AKIS_USAGE_DECRYPT;
	if (ku & KU_KEY_AGREEMENT)
		u |= AKIS_USAGE_DERIVE;
	return u;
}

bool akis_x509_key_id(EVP_PKEY *pk, uint8_t id[AKIS_KEY_ID_LEN])
{
	X509_PUBKEY *xp = NULL;
	const unsigned char *bits = NULL;
	int n = 0;
	bool ok = false;

	if (pk == NULL || !X509_PUBKEY_set(&xp, pk))
		goto out;
	if (!X509_PUBKEY_get0_param(NULL, &bits, &n, NULL, xp) || bits == NULL || n <= 0)
		goto out;
	ok = EVP_Digest(bits, (size_t)n, id, NULL, EVP_sha1(), NULL) == 1;
out:
	X509_PUBKEY_free(xp);
	return ok;
}

bool akis_x509_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*out = timegm(&tm);
	return true;
}
