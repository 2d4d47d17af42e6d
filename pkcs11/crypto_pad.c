/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSA encodings done on the host (RFC 8017): MGF1, EMSA-PSS encoding (the
 * card signs the block with raw RSA), EME-OAEP and EME-PKCS1-v1_5
 * decoding (the card deciphers raw). Written here because OpenSSL 3 only
 * offers them through the deprecated RSA_padding_* functions.
 */
#include "crypto.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* RFC 8017 B.2.1 */
bool p11_mgf1_xor(const EVP_MD *md, const uint8_t *seed, size_t seed_len, uint8_t *buf, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t t[EVP_MAX_MD_SIZE];
	unsigned tlen = 0;
	bool ok = false;
	if (!ctx)
		goto out;
	for (uint32_t c = 0, done = 0; done < len; c++) {
		uint8_t cb[4] = {(uint8_t)(c >> 24), (uint8_t)(c >> 16), (uint8_t)(c >> 8),
		                 (uint8_t)c};
		if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, seed, seed_len) ||
		    !EVP_DigestUpdate(ctx, cb, 4) || !EVP_DigestFinal_ex(ctx, t, &tlen) ||
		    tlen == 0)
			goto out;
		for (unsigned i = 0; i < tlen && done < len; i++)
			buf[done++] ^= t[i];
	}
	ok = true;
out:
	OPENSSL_cleanse(t, sizeof t);
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* H = Hash(00*8 ‖ mHash ‖ salt), RFC 8017 §9.1.1 steps 5-6. */
static bool pss_h(const EVP_MD *md, const uint8_t *mhash, size_t hlen, const uint8_t *salt,
                  size_t slen, uint8_t *h)
{
	static const uint8_t zeros[8];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, zeros, 8) &&
	          EVP_DigestUpdate(ctx, mhash, hlen) &&
	          (slen == 0 || EVP_DigestUpdate(ctx, salt, slen)) &&
	          EVP_DigestFinal_ex(ctx, h, NULL);
	EVP_MD_CTX_free(ctx);
	return ok;
}

bool p11_pss_encode(const EVP_MD *md, const EVP_MD *mgf_md, size_t slen, const uint8_t *mhash,
                    size_t mhash_len, unsigned mod_bits, uint8_t *block, size_t k)
{
	size_t hlen = (size_t)EVP_MD_get_size(md);
	size_t em_bits = mod_bits - 1, em_len = (em_bits + 7) / 8;
	if (mod_bits < 2 || k != (mod_bits + 7) / 8 || mhash_len != hlen ||
	    em_len < hlen + slen + 2)
		return false; /* step 3 "encoding error" */
	memset(block, 0, k);
	uint8_t *em = block + (k - em_len); /* a leading zero byte when emLen < k */
	size_t db_len = em_len - hlen - 1;
	uint8_t *db = em, *h = em + db_len, *salt = db + db_len - slen;
	db[db_len - slen - 1] = 0x01; /* DB = PS ‖ 01 ‖ salt */
	if (slen && RAND_bytes(salt, (int)slen) != 1)
		return false;
	if (!pss_h(md, mhash, hlen, salt, slen, h))
		return false;
	if (!p11_mgf1_xor(mgf_md, h, hlen, db, db_len))
		return false;
	db[0] &= (uint8_t)(0xffu >> (8 * em_len - em_bits)); /* step 11 */
	em[em_len - 1] = 0xbc;
	return true;
}

/* Constant-time helpers: all-ones when true. */
static unsigned ct_is_zero(unsigned x)
{
	return 0u - (((x | (0u - x)) >> 31) ^ 1u);
}
static unsigned ct_eq(unsigned a, unsigned b)
{
	return ct_is_zero(a ^ b);
}

bool p11_pkcs1_type2_decode(const uint8_t *em, size_t k, size_t *off, size_t *len)
{
	if (k < 11)
		return false;
	unsigned good = ct_is_zero(em[0]) & ct_eq(em[1], 2);
	unsigned found = 0, zidx = 0;
	for (size_t i = 2; i < k; i++) {
		unsigned z = ct_is_zero(em[i]) & ~found;
		zidx |= (unsigned)i & z;
		found |= z;
	}
	good &= found;
	good &= ~ct_is_zero(zidx >= 10 ? 1u : 0u); /* PS is at least 8 bytes */
	*off = (size_t)zidx + 1;
	*len = k - *off;
	return good != 0;
}

/* RFC 8017 §7.1.2 step 3, in place. */
bool p11_oaep_decode(const EVP_MD *md, const EVP_MD *mgf_md, const uint8_t *label, size_t label_len,
                     uint8_t *em, size_t k, size_t *off, size_t *len)
{
	size_t hlen = (size_t)EVP_MD_get_size(md);
	uint8_t lhash[EVP_MAX_MD_SIZE];
	if (k < 2 * hlen + 2)
		return false;
	if (!EVP_Digest(label_len ? label : (const uint8_t *)"", label_len, lhash, NULL, md, NULL))
		return false;
	uint8_t *seed = em + 1, *db = em + 1 + hlen;
	size_t db_len = k - hlen - 1;
	if (!p11_mgf1_xor(mgf_md, db, db_len, seed, hlen) ||
	    !p11_mgf1_xor(mgf_md, seed, hlen, db, db_len))
		return false;
	unsigned good = ct_is_zero(em[0]);
	for (size_t i = 0; i < hlen; i++)
		good &= ct_eq(db[i], lhash[i]);
	unsigned found = 0, oidx = 0, bad_ps = 0;
	for (size_t i = hlen; i < db_len; i++) {
		unsigned is_one = ct_eq(db[i], 1) & ~found;
		unsigned is_zero = ct_is_zero(db[i]);
		oidx |= (unsigned)i & is_one;
		bad_ps |= ~found & ~is_one & ~is_zero; /* neither 00 nor 01 before the 01 */
		found |= is_one;
	}
	good &= found & ~bad_ps;
	*off = 1 + hlen + (size_t)oidx + 1;
	*len = k - *off;
	return good != 0;
}
