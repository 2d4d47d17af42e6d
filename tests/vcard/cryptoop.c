/* MSE / PSO of the virtual card, real OpenSSL crypto.
 * 1.x: MSE 00 22 C3 keyref; PSO CDS with a DigestInfo (PKCS#1 v1.5 type 1 on
 * card) or a modulus-length block (raw RSA); PSO DECIPHER raw [C/S].
 * 2.x: MSE SET DST 41 B6 {80 alg, 84 keyref}, MSE SET CT 41 B8; alg 00 raw,
 * 02 PKCS#1, 05 PSS, 04 ECDSA (raw r‖s) [S]. */
#include "cryptoop.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "fs.h"
#include "image.h"
#include "sec.h"

enum { ALG_RAW = 0x00, ALG_PKCS1 = 0x02, ALG_ECDSA = 0x04, ALG_PSS = 0x05 };

static bool is_ec(const struct vc_key *k)
{
	return k->alg != VC_RSA2048;
}

static size_t key_bytes(const struct vc_key *k)
{
	switch (k->alg) {
	case VC_RSA2048:
		return 256;
	case VC_EC_P256:
		return 32;
	case VC_EC_P384:
		return 48;
	}
	return 0;
}

/* 1.x: 00 22 C3 keyref, no data [C]. */
static uint16_t mse_1x(struct vc_card *c, const struct vc_cmd *cmd)
{
	struct vc_key *k;
	if (cmd->p1 != 0xC3)
		return SW_P1P2;
	if (cmd->lc != 0)
		return SW_WRONG_LEN;
	k = vc_key_find(c, cmd->p2);
	if (!k)
		return SW_REF_NOT_FOUND;
	c->se_key = (int)(k - c->keys);
	c->se_op = VC_SE_ANY;
	c->se_alg = ALG_RAW;
	return SW_OK;
}

/* Parse {80 01 alg}? {84 01 keyref} (ISO 7816-4 §11.5.11 CRT). */
static bool parse_crt(const struct vc_cmd *cmd, int *alg, int *ref)
{
	size_t i = 0;
	*alg = -1;
	*ref = -1;
	while (i < cmd->lc) {
		uint8_t tag, len;
		if (i + 2 > cmd->lc)
			return false;
		tag = cmd->data[i];
		len = cmd->data[i + 1];
		if (len != 1 || i + 3 > cmd->lc)
			return false;
		if (tag == 0x80)
			*alg = cmd->data[i + 2];
		else if (tag == 0x84)
			*ref = cmd->data[i + 2];
		else
			return false;
		i += 3;
	}
	return *ref >= 0;
}

static bool alg_fits(const struct vc_key *k, int alg, bool dst)
{
	if (!dst)
		return alg == ALG_RAW && !is_ec(k);
	if (is_ec(k))
		return alg == ALG_ECDSA;
	return alg == ALG_RAW || alg == ALG_PKCS1 || alg == ALG_PSS;
}

static uint16_t mse_2x(struct vc_card *c, const struct vc_cmd *cmd)
{
	bool dst = cmd->p2 == 0xB6;
	struct vc_key *k;
	int alg, ref;
	if (cmd->p1 != 0x41 || (cmd->p2 != 0xB6 && cmd->p2 != 0xB8))
		return SW_P1P2;
	if (!parse_crt(cmd, &alg, &ref))
		return SW_WRONG_DATA;
	k = vc_key_find(c, (uint8_t)ref);
	if (!k)
		return SW_REF_NOT_FOUND;
	if (alg < 0)
		alg = dst ? (is_ec(k) ? ALG_ECDSA : ALG_PKCS1) : ALG_RAW;
	if (!alg_fits(k, alg, dst))
		return SW_WRONG_DATA;
	if (dst ? !k->can_sign : !k->can_decrypt)
		return SW_CONDITIONS;
	c->se_key = (int)(k - c->keys);
	c->se_op = dst ? VC_SE_SIGN : VC_SE_DECIPHER;
	c->se_alg = (uint8_t)alg;
	return SW_OK;
}

void vc_cmd_mse(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	c->se_key = -1;
	c->se_op = VC_SE_NONE;
	/* Keys are local to DF 3D00: MSE with the MF current → 6A88. */
	if (!vc_in_pkcs15(c) &&
	    ((vc_is_1x(c) && cmd->p1 == 0xC3) || (!vc_is_1x(c) && cmd->p1 == 0x41))) {
		r->sw = SW_REF_NOT_FOUND;
		return;
	}
	r->sw = vc_is_1x(c) ? mse_1x(c, cmd) : mse_2x(c, cmd);
}

static const EVP_MD *md_by_len(size_t n)
{
	switch (n) {
	case 20:
		return EVP_sha1();
	case 28:
		return EVP_sha224();
	case 32:
		return EVP_sha256();
	case 48:
		return EVP_sha384();
	case 64:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* Sign / decrypt with one EVP_PKEY_CTX; `mode` is ALG_* or 0xFF for decrypt. */
static uint16_t rsa_op(struct vc_key *k, int mode, const uint8_t *in, size_t n, struct vc_resp *r)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
	size_t outlen = sizeof r->data;
	uint16_t sw = SW_WRONG_DATA;
	int ok;
	if (!ctx)
		return SW_UNKNOWN;
	ok = mode == 0xFF ? EVP_PKEY_decrypt_init(ctx) : EVP_PKEY_sign_init(ctx);
	if (ok > 0 && mode == ALG_PSS)
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0 && md_by_len(n) &&
		     EVP_PKEY_CTX_set_signature_md(ctx, md_by_len(n)) > 0 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md_by_len(n)) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) > 0;
	else if (ok > 0)
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, mode == ALG_PKCS1 ? RSA_PKCS1_PADDING
		                                                         : RSA_NO_PADDING) > 0;
	if (ok > 0)
		ok = mode == 0xFF ? EVP_PKEY_decrypt(ctx, r->data, &outlen, in, n)
		                  : EVP_PKEY_sign(ctx, r->data, &outlen, in, n);
	if (ok > 0) {
		r->len = outlen;
		sw = SW_OK;
	}
	EVP_PKEY_CTX_free(ctx);
	return sw;
}

/* ECDSA over a hash; the card returns raw r‖s, each the field size [C]. */
static uint16_t ecdsa_op(struct vc_key *k, const uint8_t *in, size_t n, struct vc_resp *r)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
	uint8_t der[160];
	const uint8_t *p = der;
	size_t dlen = sizeof der, w = key_bytes(k);
	ECDSA_SIG *sig = NULL;
	uint16_t sw = SW_WRONG_DATA;
	if (!ctx)
		return SW_UNKNOWN;
	if (n < 1 || n > 64 || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_sign(ctx, der, &dlen, in, n) <= 0)
		goto out;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	if (!sig || BN_bn2binpad(ECDSA_SIG_get0_r(sig), r->data, (int)w) < 0 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), r->data + w, (int)w) < 0)
		goto out;
	r->len = 2 * w;
	sw = SW_OK;
out:
	ECDSA_SIG_free(sig);
	EVP_PKEY_CTX_free(ctx);
	return sw;
}

/* Which operation a signature input asks for. */
static int sign_mode(const struct vc_card *c, const struct vc_key *k, size_t n)
{
	if (!vc_is_1x(c))
		return c->se_alg;
	return n == key_bytes(k) ? ALG_RAW : ALG_PKCS1; /* docs/card.md §3, 1.x [C] */
}

static bool input_ok(const struct vc_key *k, int mode, size_t n)
{
	switch (mode) {
	case ALG_RAW:
		return n == key_bytes(k);
	case ALG_PKCS1:
		return n >= 1 && n + 11 <= key_bytes(k); /* RFC 8017 §9.2 */
	case ALG_PSS:
		return md_by_len(n) != NULL;
	case ALG_ECDSA:
		return n >= 1 && n <= 64;
	default:
		return false;
	}
}

static uint16_t compute_signature(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	struct vc_key *k;
	int mode;
	uint16_t sw;
	if (c->se_key < 0 || c->se_op == VC_SE_DECIPHER)
		return SW_CONDITIONS;
	k = &c->keys[c->se_key];
	if (!k->can_sign)
		return SW_CONDITIONS;
	if (!vc_sec_verified(c, 0x81))
		return SW_SEC_STATUS;
	/* docs/card.md §3: per-signature PIN of a userConsent key on akis-2 */
	if (!vc_is_1x(c) && k->user_consent && !k->consent_ok)
		return SW_SEC_STATUS;
	mode = sign_mode(c, k, cmd->lc);
	if (!input_ok(k, mode, cmd->lc))
		return SW_WRONG_DATA;
	sw = mode == ALG_ECDSA ? ecdsa_op(k, cmd->data, cmd->lc, r)
	                       : rsa_op(k, mode, cmd->data, cmd->lc, r);
	if (sw == SW_OK && k->user_consent)
		k->consent_ok = false;
	return sw;
}

static uint16_t decipher(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	struct vc_key *k;
	if (c->se_key < 0 || c->se_op == VC_SE_SIGN)
		return SW_CONDITIONS;
	k = &c->keys[c->se_key];
	if (!k->can_decrypt || is_ec(k))
		return SW_CONDITIONS;
	if (!vc_sec_verified(c, 0x81))
		return SW_SEC_STATUS;
	/* data = padding indicator 00 ‖ cryptogram (ISO 7816-8 §5.9) */
	if (cmd->lc != key_bytes(k) + 1 || cmd->data[0] != 0x00)
		return SW_WRONG_DATA;
	return rsa_op(k, 0xFF, cmd->data + 1, cmd->lc - 1, r);
}

void vc_cmd_pso(struct vc_card *c, const struct vc_cmd *cmd, struct vc_resp *r)
{
	bool cds = cmd->p1 == 0x9E && cmd->p2 == 0x9A;
	bool dec = cmd->p1 == 0x80 && cmd->p2 == 0x86;
	if (!cds && !dec) {
		r->sw = SW_P1P2;
		return;
	}
	if (cmd->lc == 0) {
		r->sw = SW_WRONG_LEN;
		return;
	}
	if (c->life_cycle == 0xAA) {
		r->sw = SW_CONDITIONS;
		return;
	}
	r->sw = cds ? compute_signature(c, cmd, r) : decipher(c, cmd, r);
	if (r->sw != SW_OK)
		r->len = 0;
}
