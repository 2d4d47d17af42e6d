/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mechanisms (R27-R31): the table, C_GetMechanismInfo, and the software
 * half of every operation. The card half (akis_sign_tx / akis_decrypt_tx)
 * is the session code's: this file never calls akis_* and never does I/O.
 */
#include "mech.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "crypto.h"
#include "out.h"

#define MAX_BLOCK    512u  /* RSA-4096: the largest modulus we accept */
#define MAX_EC_ORDER 66u   /* P-521 */
#define ECDSA_IN_CAP 1024u /* CKM_ECDSA input (a hash of any size) buffered */

enum fam { FAM_RSA, FAM_EC, FAM_DIGEST };
enum pad { PAD_PKCS1, PAD_RAW, PAD_PSS, PAD_OAEP, PAD_ECDSA, PAD_NONE };

struct mech_row {
	CK_MECHANISM_TYPE type;
	enum fam fam;
	enum pad pad;
	CK_MECHANISM_TYPE hash; /* hashed in software first; 0 = input as is */
	CK_FLAGS flags;
};

#define SV  (CKF_HW | CKF_SIGN | CKF_VERIFY)
#define ED  (CKF_HW | CKF_DECRYPT | CKF_ENCRYPT)
#define ECF (CKF_HW | CKF_SIGN | CKF_VERIFY | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)

/* R27: what the chip does (PKCS#1 v1.5, raw RSA, ECDSA on akis-2), plus
 * hashing, PSS and OAEP in software on top of raw RSA. */
static const struct mech_row mechs[] = {
        {CKM_RSA_PKCS, FAM_RSA, PAD_PKCS1, 0, SV | ED},
        {CKM_RSA_X_509, FAM_RSA, PAD_RAW, 0, SV | ED},
        {CKM_RSA_PKCS_PSS, FAM_RSA, PAD_PSS, 0, SV},
        {CKM_RSA_PKCS_OAEP, FAM_RSA, PAD_OAEP, 0, ED},
        {CKM_SHA1_RSA_PKCS, FAM_RSA, PAD_PKCS1, CKM_SHA_1, SV},
        {CKM_SHA224_RSA_PKCS, FAM_RSA, PAD_PKCS1, CKM_SHA224, SV},
        {CKM_SHA256_RSA_PKCS, FAM_RSA, PAD_PKCS1, CKM_SHA256, SV},
        {CKM_SHA384_RSA_PKCS, FAM_RSA, PAD_PKCS1, CKM_SHA384, SV},
        {CKM_SHA512_RSA_PKCS, FAM_RSA, PAD_PKCS1, CKM_SHA512, SV},
        {CKM_SHA1_RSA_PKCS_PSS, FAM_RSA, PAD_PSS, CKM_SHA_1, SV},
        {CKM_SHA224_RSA_PKCS_PSS, FAM_RSA, PAD_PSS, CKM_SHA224, SV},
        {CKM_SHA256_RSA_PKCS_PSS, FAM_RSA, PAD_PSS, CKM_SHA256, SV},
        {CKM_SHA384_RSA_PKCS_PSS, FAM_RSA, PAD_PSS, CKM_SHA384, SV},
        {CKM_SHA512_RSA_PKCS_PSS, FAM_RSA, PAD_PSS, CKM_SHA512, SV},
        {CKM_ECDSA, FAM_EC, PAD_ECDSA, 0, ECF},
        {CKM_ECDSA_SHA1, FAM_EC, PAD_ECDSA, CKM_SHA_1, ECF},
        {CKM_ECDSA_SHA224, FAM_EC, PAD_ECDSA, CKM_SHA224, ECF},
        {CKM_ECDSA_SHA256, FAM_EC, PAD_ECDSA, CKM_SHA256, ECF},
        {CKM_ECDSA_SHA384, FAM_EC, PAD_ECDSA, CKM_SHA384, ECF},
        {CKM_ECDSA_SHA512, FAM_EC, PAD_ECDSA, CKM_SHA512, ECF},
        {CKM_SHA_1, FAM_DIGEST, PAD_NONE, CKM_SHA_1, CKF_DIGEST},
        {CKM_SHA224, FAM_DIGEST, PAD_NONE, CKM_SHA224, CKF_DIGEST},
        {CKM_SHA256, FAM_DIGEST, PAD_NONE, CKM_SHA256, CKF_DIGEST},
        {CKM_SHA384, FAM_DIGEST, PAD_NONE, CKM_SHA384, CKF_DIGEST},
        {CKM_SHA512, FAM_DIGEST, PAD_NONE, CKM_SHA512, CKF_DIGEST},
};
#define N_MECHS (sizeof mechs / sizeof mechs[0])

/* ----- the list and the info (no key needed) ----- */

struct key_range {
	bool any;
	unsigned min, max;
};

/* Sizes of the card's keys of one type, widened to the nominal range
 * (RSA 1024-2048, EC 256-384). */
static struct key_range card_range(const struct akis_card *card, enum akis_key_type t)
{
	struct key_range r = {false, t == AKIS_KEY_RSA ? 1024u : 256u,
	                      t == AKIS_KEY_RSA ? 2048u : 384u};
	for (size_t i = 0; card && i < card->n_keys && i < AKIS_MAX_KEYS; i++) {
		const struct akis_key *k = &card->keys[i];
		if (k->type != t)
			continue;
		r.any = true;
		if (k->bits && k->bits < r.min)
			r.min = k->bits;
		if (k->bits > r.max)
			r.max = k->bits;
	}
	return r;
}

/* Honest per card: RSA mechanisms when it holds RSA keys, EC ones when it
 * holds EC keys (only akis-2 has them), digests always. */
static bool offered(const struct akis_card *card, const struct mech_row *m)
{
	switch (m->fam) {
	case FAM_RSA:
		return card_range(card, AKIS_KEY_RSA).any;
	case FAM_EC:
		return card && card->atr.profile == AKIS_PROFILE_2 &&
		       card_range(card, AKIS_KEY_EC).any;
	case FAM_DIGEST:
		return true;
	}
	return false;
}

static const struct mech_row *row_find(CK_MECHANISM_TYPE type)
{
	for (size_t i = 0; i < N_MECHS; i++)
		if (mechs[i].type == type)
			return &mechs[i];
	return NULL;
}

void p11_mech_list(const struct akis_card *card, CK_MECHANISM_TYPE *out, size_t cap, size_t *n)
{
	size_t count = 0;
	for (size_t i = 0; i < N_MECHS; i++) {
		if (!offered(card, &mechs[i]))
			continue;
		if (out && count < cap)
			out[count] = mechs[i].type;
		count++;
	}
	if (n)
		*n = count;
}

CK_RV p11_mech_info(const struct akis_card *card, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	const struct mech_row *m = row_find(type);
	if (!info)
		return CKR_ARGUMENTS_BAD;
	if (!m || !offered(card, m))
		return CKR_MECHANISM_INVALID;
	struct key_range r = {false, 0, 0};
	if (m->fam != FAM_DIGEST)
		r = card_range(card, m->fam == FAM_RSA ? AKIS_KEY_RSA : AKIS_KEY_EC);
	info->ulMinKeySize = r.min;
	info->ulMaxKeySize = r.max;
	info->flags = m->flags;
	return CKR_OK;
}

/* ----- operations ----- */

struct p11_op {
	enum p11_op_kind kind;
	const struct mech_row *row;
	int key;
	unsigned bits; /* RSA modulus bits / EC order bits */
	size_t k;      /* RSA modulus bytes / EC order bytes */
	EVP_PKEY *pub; /* verify, encrypt; sign: to prove the card's answer */
	EVP_MD *md;    /* the mechanism's hash (hash-and-sign, digest) */
	EVP_MD_CTX *mdctx;
	EVP_MD *pmd, *mgf; /* PSS / OAEP hash and MGF1 hash */
	size_t slen;
	uint8_t *label; /* OAEP pSourceData */
	size_t label_len;
	uint8_t *buf; /* single-part input, up to cap */
	size_t buf_len, buf_cap;
	bool finished_hash;
	uint8_t hash[P11C_MAX_HASH];
	size_t hash_len;
	bool prepared; /* sign: block computed (kept for a retry after a card error) */
	enum akis_sign_alg alg;
	uint8_t block[MAX_BLOCK];
	size_t block_len;
	bool done; /* decrypt: plaintext held */
	uint8_t *plain;
	size_t plain_len;
};

enum p11_op_kind p11_op_kind(const struct p11_op *op)
{
	return op->kind;
}
int p11_op_key(const struct p11_op *op)
{
	return op ? op->key : -1;
}

void p11_op_free(struct p11_op *op)
{
	if (!op)
		return;
	EVP_PKEY_free(op->pub);
	EVP_MD_free(op->md);
	EVP_MD_CTX_free(op->mdctx);
	EVP_MD_free(op->pmd);
	EVP_MD_free(op->mgf);
	free(op->label);
	if (op->buf)
		OPENSSL_cleanse(op->buf, op->buf_cap);
	free(op->buf);
	if (op->plain)
		OPENSSL_cleanse(op->plain, op->plain_len);
	free(op->plain);
	OPENSSL_cleanse(op, sizeof *op);
	free(op);
}

static bool attr_true(const struct p11_object *o, CK_ATTRIBUTE_TYPE t)
{
	const struct p11_attr *a = p11_object_attr(o, t);
	return a && !a->sensitive && a->len == sizeof(CK_BBOOL) && *(CK_BBOOL *)a->value;
}

static bool attr_ulong(const struct p11_object *o, CK_ATTRIBUTE_TYPE t, CK_ULONG *v)
{
	const struct p11_attr *a = p11_object_attr(o, t);
	if (!a || a->sensitive || a->len != sizeof(CK_ULONG))
		return false;
	memcpy(v, a->value, sizeof *v);
	return true;
}

static const struct {
	enum p11_op_kind kind;
	CK_FLAGS flag;
	CK_ATTRIBUTE_TYPE permit;
	CK_OBJECT_CLASS klass;
} kinds[] = {
        {P11_OP_SIGN, CKF_SIGN, CKA_SIGN, CKO_PRIVATE_KEY},
        {P11_OP_VERIFY, CKF_VERIFY, CKA_VERIFY, CKO_PUBLIC_KEY},
        {P11_OP_ENCRYPT, CKF_ENCRYPT, CKA_ENCRYPT, CKO_PUBLIC_KEY},
        {P11_OP_DECRYPT, CKF_DECRYPT, CKA_DECRYPT, CKO_PRIVATE_KEY},
        {P11_OP_DIGEST, CKF_DIGEST, 0, 0},
};

/* Mechanism ↔ operation ↔ key (PKCS#11 3.0 §5.10 ff: usage attribute →
 * CKR_KEY_FUNCTION_NOT_PERMITTED, class/type → CKR_KEY_TYPE_INCONSISTENT). */
static CK_RV check_key(enum p11_op_kind kind, const struct mech_row *m,
                       const struct p11_object *key)
{
	size_t i = 0;
	while (i < sizeof kinds / sizeof kinds[0] && kinds[i].kind != kind)
		i++;
	if (i == sizeof kinds / sizeof kinds[0] || !(m->flags & kinds[i].flag))
		return CKR_MECHANISM_INVALID;
	if (kind == P11_OP_DIGEST)
		return CKR_OK;
	if (!key)
		return CKR_KEY_HANDLE_INVALID;
	if (key->klass != CKO_PRIVATE_KEY && key->klass != CKO_PUBLIC_KEY)
		return CKR_KEY_HANDLE_INVALID;
	if (!attr_true(key, kinds[i].permit))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	CK_ULONG kt = 0;
	if (key->klass != kinds[i].klass || !attr_ulong(key, CKA_KEY_TYPE, &kt) ||
	    kt != (m->fam == FAM_RSA ? CKK_RSA : CKK_EC))
		return CKR_KEY_TYPE_INCONSISTENT;
	return CKR_OK;
}

/* Key size from the object (CKA_MODULUS_BITS, CKA_EC_PARAMS), else the card. */
static CK_RV key_size(struct p11_op *op, const struct akis_card *card, const struct p11_object *key)
{
	CK_ULONG bits = 0;
	const struct p11_attr *ecp = p11_object_attr(key, CKA_EC_PARAMS);
	if (op->row->fam == FAM_RSA && attr_ulong(key, CKA_MODULUS_BITS, &bits)) {
		op->bits = (unsigned)bits;
	} else if (op->row->fam == FAM_EC && ecp) {
		op->k = p11_curve_order_len(p11_curve_from_params(ecp->value, ecp->len));
		op->bits = (unsigned)op->k * 8;
	}
	if (op->bits == 0 && card && key->key >= 0 && (size_t)key->key < card->n_keys)
		op->bits = card->keys[key->key].bits;
	if (op->k == 0)
		op->k = (op->bits + 7) / 8;
	size_t max = op->row->fam == FAM_RSA ? MAX_BLOCK : MAX_EC_ORDER;
	size_t min = op->row->fam == FAM_RSA ? 64 : 20;
	return op->k >= min && op->k <= max ? CKR_OK : CKR_KEY_SIZE_RANGE;
}

/* R30 / PKCS#11 3.0 §2.1.14: CK_RSA_PKCS_PSS_PARAMS. */
static CK_RV pss_params(struct p11_op *op, const CK_MECHANISM *mech)
{
	const CK_RSA_PKCS_PSS_PARAMS *p = mech->pParameter;
	if (!p || mech->ulParameterLen != sizeof *p)
		return CKR_MECHANISM_PARAM_INVALID;
	const struct p11_hash *h = p11_hash_by_ckm(p->hashAlg), *g = p11_hash_by_mgf(p->mgf);
	if (!h || !g || (op->row->hash && op->row->hash != p->hashAlg))
		return CKR_MECHANISM_PARAM_INVALID;
	size_t em_len = (op->bits - 1 + 7) / 8; /* RFC 8017 §9.1.1: emBits = modBits - 1 */
	if (em_len < h->len + 2 || p->sLen > em_len - h->len - 2)
		return CKR_MECHANISM_PARAM_INVALID;
	op->pmd = p11_hash_md(h);
	op->mgf = p11_hash_md(g);
	op->slen = p->sLen;
	return op->pmd && op->mgf ? CKR_OK : CKR_HOST_MEMORY;
}

/* PKCS#11 3.0 §2.1.8: CK_RSA_PKCS_OAEP_PARAMS. */
static CK_RV oaep_params(struct p11_op *op, const CK_MECHANISM *mech)
{
	const CK_RSA_PKCS_OAEP_PARAMS *p = mech->pParameter;
	if (!p || mech->ulParameterLen != sizeof *p)
		return CKR_MECHANISM_PARAM_INVALID;
	const struct p11_hash *h = p11_hash_by_ckm(p->hashAlg), *g = p11_hash_by_mgf(p->mgf);
	bool no_label = p->ulSourceDataLen == 0;
	if (!h || !g || op->k < 2 * h->len + 2)
		return CKR_MECHANISM_PARAM_INVALID;
	/* CKZ_DATA_SPECIFIED is the only source; 0 is tolerated without data. */
	if (!(p->source == CKZ_DATA_SPECIFIED || (p->source == 0 && no_label)))
		return CKR_MECHANISM_PARAM_INVALID;
	if (!no_label && !p->pSourceData)
		return CKR_MECHANISM_PARAM_INVALID;
	if (!no_label) {
		op->label = malloc(p->ulSourceDataLen);
		if (!op->label)
			return CKR_HOST_MEMORY;
		memcpy(op->label, p->pSourceData, p->ulSourceDataLen);
		op->label_len = p->ulSourceDataLen;
	}
	op->pmd = p11_hash_md(h);
	op->mgf = p11_hash_md(g);
	return op->pmd && op->mgf ? CKR_OK : CKR_HOST_MEMORY;
}

static CK_RV setup_hash(struct p11_op *op)
{
	if (!op->row->hash)
		return CKR_OK;
	op->md = p11_hash_md(p11_hash_by_ckm(op->row->hash));
	op->mdctx = EVP_MD_CTX_new();
	if (!op->md || !op->mdctx || !EVP_DigestInit_ex(op->mdctx, op->md, NULL))
		return CKR_HOST_MEMORY;
	return CKR_OK;
}

/* Single-part input buffer: the data itself (unhashed mechanisms) or the
 * ciphertext/plaintext; beyond the cap → CKR_DATA_LEN_RANGE at update. */
static CK_RV setup_buffer(struct p11_op *op)
{
	if (op->row->hash)
		return CKR_OK;
	op->buf_cap = op->row->pad == PAD_ECDSA ? ECDSA_IN_CAP : op->k;
	op->buf = malloc(op->buf_cap);
	return op->buf ? CKR_OK : CKR_HOST_MEMORY;
}

static CK_RV setup_key(struct p11_op *op, const struct akis_card *card,
                       const struct p11_object *key, const CK_MECHANISM *mech)
{
	CK_RV rv = key_size(op, card, key);
	const struct p11_attr *spki = p11_object_attr(key, CKA_PUBLIC_KEY_INFO);
	if (rv == CKR_OK && (op->kind == P11_OP_VERIFY || op->kind == P11_OP_ENCRYPT)) {
		op->pub = spki && spki->len ? p11_pkey_from_spki(spki->value, spki->len) : NULL;
		if (!op->pub)
			rv = CKR_KEY_FUNCTION_NOT_PERMITTED; /* no public value known */
	}
	/* a private key whose public half is known: its signatures are proved
	 * before they leave the module (p11_op_sign_check) */
	if (rv == CKR_OK && op->kind == P11_OP_SIGN && spki && spki->len)
		op->pub = p11_pkey_from_spki(spki->value, spki->len);
	if (rv == CKR_OK && op->row->pad == PAD_PSS)
		rv = pss_params(op, mech);
	if (rv == CKR_OK && op->row->pad == PAD_OAEP)
		rv = oaep_params(op, mech);
	return rv;
}

CK_RV p11_op_new(enum p11_op_kind kind, const struct akis_card *card, const struct p11_object *key,
                 const CK_MECHANISM *mech, struct p11_op **out)
{
	if (!mech || !out)
		return CKR_ARGUMENTS_BAD;
	*out = NULL;
	const struct mech_row *m = row_find(mech->mechanism);
	if (!m || !offered(card, m))
		return CKR_MECHANISM_INVALID;
	CK_RV rv = check_key(kind, m, key);
	if (rv != CKR_OK)
		return rv;
	struct p11_op *op = calloc(1, sizeof *op);
	if (!op)
		return CKR_HOST_MEMORY;
	op->kind = kind;
	op->row = m;
	op->key = kind == P11_OP_DIGEST ? -1 : key->key;
	if (kind != P11_OP_DIGEST)
		rv = setup_key(op, card, key, mech);
	if (rv == CKR_OK)
		rv = setup_hash(op);
	if (rv == CKR_OK)
		rv = setup_buffer(op);
	if (rv != CKR_OK) {
		p11_op_free(op);
		return rv;
	}
	*out = op;
	return CKR_OK;
}

CK_RV p11_op_update(struct p11_op *op, const uint8_t *data, size_t len)
{
	if (!op || (len && !data))
		return CKR_ARGUMENTS_BAD;
	if (op->prepared || op->finished_hash || op->done)
		return CKR_OPERATION_ACTIVE; /* the final step has begun */
	if (op->mdctx)
		return EVP_DigestUpdate(op->mdctx, data, len) ? CKR_OK : CKR_FUNCTION_FAILED;
	if (len > op->buf_cap - op->buf_len)
		return op->kind == P11_OP_DECRYPT ? CKR_ENCRYPTED_DATA_LEN_RANGE
		                                  : CKR_DATA_LEN_RANGE;
	if (len)
		memcpy(op->buf + op->buf_len, data, len);
	op->buf_len += len;
	return CKR_OK;
}

static size_t oaep_max(const struct p11_op *op)
{
	size_t h = (size_t)EVP_MD_get_size(op->pmd);
	return op->k - 2 * h - 2; /* checked at init: k >= 2h + 2 */
}

CK_ULONG p11_op_out_len(const struct p11_op *op)
{
	if (!op)
		return 0;
	switch (op->kind) {
	case P11_OP_SIGN:
		return op->row->fam == FAM_EC ? 2 * op->k : op->k;
	case P11_OP_VERIFY:
		return 0;
	case P11_OP_ENCRYPT:
		return op->k;
	case P11_OP_DECRYPT:
		if (op->done)
			return op->plain_len;
		return op->row->pad == PAD_PKCS1  ? op->k - 11
		       : op->row->pad == PAD_OAEP ? oaep_max(op)
		                                  : op->k;
	case P11_OP_DIGEST:
		return (CK_ULONG)EVP_MD_get_size(op->md);
	}
	return 0;
}

/* The message representative: the finished hash, or the buffered data. */
static CK_RV input(struct p11_op *op, const uint8_t **in, size_t *len)
{
	if (op->mdctx && !op->finished_hash) {
		unsigned n = 0;
		if (!EVP_DigestFinal_ex(op->mdctx, op->hash, &n))
			return CKR_FUNCTION_FAILED;
		op->hash_len = n;
		op->finished_hash = true;
	}
	*in = op->mdctx ? op->hash : op->buf;
	*len = op->mdctx ? op->hash_len : op->buf_len;
	return CKR_OK;
}

/* ----- sign: the block for the card, then its answer ----- */

/* Left-pad src into dst[0..k) (dst zeroed first). */
static bool left_pad(uint8_t *dst, size_t k, const uint8_t *src, size_t len)
{
	if (len > k)
		return false;
	memset(dst, 0, k - len);
	if (len)
		memcpy(dst + (k - len), src, len);
	return true;
}

static CK_RV prepare_pkcs1(struct p11_op *op, const uint8_t *in, size_t len)
{
	const struct p11_hash *h = op->row->hash ? p11_hash_by_ckm(op->row->hash) : NULL;
	size_t n = h ? h->di_prefix_len + len : len;
	if (n > op->k - 11) /* RFC 8017 §9.2 step 3: emLen >= tLen + 11 */
		return CKR_DATA_LEN_RANGE;
	if (h)
		memcpy(op->block, h->di_prefix, h->di_prefix_len); /* DigestInfo (§9.2 step 2) */
	if (len)
		memcpy(op->block + (h ? h->di_prefix_len : 0), in, len);
	op->block_len = n;
	op->alg = AKIS_SIGN_RSA_PKCS1;
	return CKR_OK;
}

static CK_RV prepare_block(struct p11_op *op, const uint8_t *in, size_t len)
{
	switch (op->row->pad) {
	case PAD_PKCS1:
		return prepare_pkcs1(op, in, len);
	case PAD_RAW: /* CKM_RSA_X_509: the data as a big-endian integer */
		op->block_len = op->k;
		op->alg = AKIS_SIGN_RSA_RAW;
		return left_pad(op->block, op->k, in, len) ? CKR_OK : CKR_DATA_LEN_RANGE;
	case PAD_PSS:
		if (len != (size_t)EVP_MD_get_size(op->pmd))
			return CKR_DATA_LEN_RANGE; /* CKM_RSA_PKCS_PSS takes the hash */
		op->block_len = op->k;
		op->alg = AKIS_SIGN_RSA_RAW;
		return p11_pss_encode(op->pmd, op->mgf, op->slen, in, len, op->bits, op->block,
		                      op->k)
		               ? CKR_OK
		               : CKR_FUNCTION_FAILED;
	case PAD_ECDSA: /* R29: the hash truncated to the order size */
		if (len == 0)
			return CKR_DATA_LEN_RANGE;
		op->block_len = len < op->k ? len : op->k;
		memcpy(op->block, in, op->block_len);
		op->alg = AKIS_SIGN_ECDSA;
		return CKR_OK;
	case PAD_OAEP:
	case PAD_NONE:
		break;
	}
	return CKR_MECHANISM_INVALID;
}

CK_RV p11_op_sign_prepare(struct p11_op *op, enum akis_sign_alg *alg, uint8_t *block, size_t cap,
                          size_t *block_len)
{
	const uint8_t *in = NULL;
	size_t len = 0;
	if (!op || !alg || !block || !block_len)
		return CKR_ARGUMENTS_BAD;
	if (op->kind != P11_OP_SIGN)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!op->prepared) { /* once: a retry after a card error sends the same block */
		CK_RV rv = input(op, &in, &len);
		if (rv == CKR_OK)
			rv = prepare_block(op, in, len);
		if (rv != CKR_OK)
			return rv;
		op->prepared = true;
	}
	if (cap < op->block_len)
		return CKR_BUFFER_TOO_SMALL;
	memcpy(block, op->block, op->block_len);
	*block_len = op->block_len;
	*alg = op->alg;
	return CKR_OK;
}

/* Card ECDSA answer → raw r‖s of 2n bytes (R29). The card gives raw r‖s
 * (docs/card.md §3); a DER ECDSA-Sig-Value (RFC 3279 §2.2.3) is accepted
 * too. Anything else is refused: halving a short answer would guess where
 * r ends. */
static bool ecdsa_raw(const uint8_t *in, size_t len, uint8_t *out, size_t n)
{
	const unsigned char *p = in;
	ECDSA_SIG *sig = NULL;
	bool ok = false;
	if (len == 2 * n)
		return left_pad(out, n, in, n) && left_pad(out + n, n, in + n, n);
	if (len > 2 && len < 0x7fffffff && in[0] == 0x30 &&
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)len)) && p == in + len) {
		const BIGNUM *r = ECDSA_SIG_get0_r(sig), *s = ECDSA_SIG_get0_s(sig);
		ok = BN_bn2binpad(r, out, (int)n) == (int)n &&
		     BN_bn2binpad(s, out + n, (int)n) == (int)n;
		goto out;
	}
out:
	ECDSA_SIG_free(sig);
	return ok;
}

CK_RV p11_op_sign_finish(struct p11_op *op, const uint8_t *card_out, size_t card_len,
                         CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	uint8_t tmp[MAX_BLOCK];
	if (!op || !card_out || !sig_len)
		return CKR_ARGUMENTS_BAD;
	if (op->kind != P11_OP_SIGN || !op->prepared)
		return CKR_OPERATION_NOT_INITIALIZED;
	size_t n = p11_op_out_len(op);
	bool ok = op->row->fam == FAM_EC ? ecdsa_raw(card_out, card_len, tmp, op->k)
	                                 : left_pad(tmp, op->k, card_out, card_len);
	if (!ok)
		return CKR_DEVICE_ERROR; /* the card answered something else */
	return p11_output(tmp, n, sig, sig_len);
}

/* ----- verify, encrypt: software with the public key (R31) ----- */

static CK_RV verify_raw(struct p11_op *op, EVP_PKEY_CTX *ctx, const uint8_t *in, size_t len,
                        const uint8_t *sig, size_t sig_len);
static CK_RV ecdsa_der(const uint8_t *sig, size_t n, unsigned char **der, int *der_len);

bool p11_op_sign_checkable(const struct p11_op *op)
{
	if (!op || op->kind != P11_OP_SIGN || !op->pub || !op->prepared)
		return false;
	return op->alg == AKIS_SIGN_RSA_RAW || op->alg == AKIS_SIGN_RSA_PKCS1 ||
	       op->alg == AKIS_SIGN_ECDSA;
}

/* The block the card's raw RSA result must equal: the block itself (raw,
 * host-encoded PSS) or, when the card pads, EMSA-PKCS1-v1_5 type 1 around
 * it (RFC 8017 §9.2 step 5). */
static bool expected_rsa(const struct p11_op *op, uint8_t *want)
{
	if (op->alg == AKIS_SIGN_RSA_RAW)
		return left_pad(want, op->k, op->block, op->block_len);
	if (op->block_len + 11 > op->k)
		return false;
	size_t ps = op->k - op->block_len - 3;
	want[0] = 0x00;
	want[1] = 0x01;
	memset(want + 2, 0xFF, ps);
	want[2 + ps] = 0x00;
	memcpy(want + 3 + ps, op->block, op->block_len);
	return true;
}

CK_RV p11_op_sign_check(struct p11_op *op, const uint8_t *card_out, size_t card_len)
{
	uint8_t sig[MAX_BLOCK], want[MAX_BLOCK];
	unsigned char *der = NULL;
	int der_len = 0;
	if (!p11_op_sign_checkable(op) || !card_out)
		return CKR_ARGUMENTS_BAD;
	bool ec = op->row->fam == FAM_EC;
	if (!(ec ? ecdsa_raw(card_out, card_len, sig, op->k)
	         : left_pad(sig, op->k, card_out, card_len)))
		return CKR_SIGNATURE_INVALID;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pub, NULL);
	if (!ctx)
		return CKR_HOST_MEMORY;
	CK_RV rv = CKR_SIGNATURE_INVALID;
	if (!ec) {
		if (expected_rsa(op, want))
			rv = verify_raw(op, ctx, want, op->k, sig, op->k);
	} else if (ecdsa_der(sig, op->k, &der, &der_len) == CKR_OK) {
		/* ECDSA over the hash as the card got it (cut to the order size) */
		rv = EVP_PKEY_verify_init(ctx) > 0 && EVP_PKEY_verify(ctx, der, (size_t)der_len,
		                                                      op->block, op->block_len) == 1
		             ? CKR_OK
		             : CKR_SIGNATURE_INVALID;
	}
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_cleanse(want, sizeof want);
	return rv == CKR_OK ? CKR_OK : CKR_SIGNATURE_INVALID;
}

static CK_RV rsa_ctx_pad(struct p11_op *op, EVP_PKEY_CTX *ctx, int pad)
{
	if (EVP_PKEY_CTX_set_rsa_padding(ctx, pad) <= 0)
		return CKR_FUNCTION_FAILED;
	if (pad == RSA_PKCS1_PSS_PADDING &&
	    (EVP_PKEY_CTX_set_signature_md(ctx, op->pmd) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, op->mgf) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)op->slen) <= 0))
		return CKR_FUNCTION_FAILED;
	if (pad == RSA_PKCS1_OAEP_PADDING && (EVP_PKEY_CTX_set_rsa_oaep_md(ctx, op->pmd) <= 0 ||
	                                      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, op->mgf) <= 0))
		return CKR_FUNCTION_FAILED;
	if (pad == RSA_PKCS1_OAEP_PADDING && op->label_len) {
		void *l = OPENSSL_memdup(op->label, op->label_len);
		if (!l || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, l, (int)op->label_len) <= 0) {
			OPENSSL_free(l);
			return CKR_FUNCTION_FAILED;
		}
	}
	return CKR_OK;
}

/* CKM_RSA_X_509 verify: s^e mod n must equal the data as an integer. */
static CK_RV verify_raw(struct p11_op *op, EVP_PKEY_CTX *ctx, const uint8_t *in, size_t len,
                        const uint8_t *sig, size_t sig_len)
{
	uint8_t want[MAX_BLOCK], got[MAX_BLOCK];
	size_t got_len = sizeof got;
	if (!left_pad(want, op->k, in, len))
		return CKR_DATA_LEN_RANGE;
	if (EVP_PKEY_verify_recover_init(ctx) <= 0 ||
	    rsa_ctx_pad(op, ctx, RSA_NO_PADDING) != CKR_OK)
		return CKR_FUNCTION_FAILED;
	if (EVP_PKEY_verify_recover(ctx, got, &got_len, sig, sig_len) <= 0 || got_len != op->k)
		return CKR_SIGNATURE_INVALID;
	return CRYPTO_memcmp(want, got, op->k) == 0 ? CKR_OK : CKR_SIGNATURE_INVALID;
}

/* raw r‖s → DER ECDSA-Sig-Value for OpenSSL. */
static CK_RV ecdsa_der(const uint8_t *sig, size_t n, unsigned char **der, int *der_len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)n, NULL), *sv = BN_bin2bn(sig + n, (int)n, NULL);
	if (!s || !r || !sv || !ECDSA_SIG_set0(s, r, sv)) {
		BN_free(r);
		BN_free(sv);
		ECDSA_SIG_free(s);
		return CKR_HOST_MEMORY;
	}
	*der = NULL;
	*der_len = i2d_ECDSA_SIG(s, der);
	ECDSA_SIG_free(s);
	return *der_len > 0 ? CKR_OK : CKR_HOST_MEMORY;
}

static CK_RV verify_pkey(struct p11_op *op, EVP_PKEY_CTX *ctx, const uint8_t *in, size_t len,
                         const uint8_t *sig, size_t sig_len)
{
	if (EVP_PKEY_verify_init(ctx) <= 0)
		return CKR_FUNCTION_FAILED;
	CK_RV rv = CKR_OK;
	if (op->row->pad == PAD_PSS) {
		if (len != (size_t)EVP_MD_get_size(op->pmd))
			return CKR_DATA_LEN_RANGE;
		rv = rsa_ctx_pad(op, ctx, RSA_PKCS1_PSS_PADDING);
	} else if (op->row->pad == PAD_PKCS1) {
		rv = rsa_ctx_pad(op, ctx, RSA_PKCS1_PADDING);
		if (rv == CKR_OK && op->md && EVP_PKEY_CTX_set_signature_md(ctx, op->md) <= 0)
			rv = CKR_FUNCTION_FAILED;
	}
	if (rv != CKR_OK)
		return rv;
	if (op->row->pad != PAD_ECDSA)
		return EVP_PKEY_verify(ctx, sig, sig_len, in, len) == 1 ? CKR_OK
		                                                        : CKR_SIGNATURE_INVALID;
	unsigned char *der = NULL;
	int der_len = 0;
	rv = ecdsa_der(sig, op->k, &der, &der_len);
	if (rv == CKR_OK)
		rv = EVP_PKEY_verify(ctx, der, (size_t)der_len, in, len) == 1
		             ? CKR_OK
		             : CKR_SIGNATURE_INVALID;
	OPENSSL_free(der);
	return rv;
}

CK_RV p11_op_verify_final(struct p11_op *op, const uint8_t *sig, size_t sig_len)
{
	const uint8_t *in = NULL;
	size_t len = 0;
	if (!op || (sig_len && !sig))
		return CKR_ARGUMENTS_BAD;
	if (op->kind != P11_OP_VERIFY)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (sig_len != (op->row->fam == FAM_EC ? 2 * op->k : op->k))
		return CKR_SIGNATURE_LEN_RANGE;
	CK_RV rv = input(op, &in, &len);
	if (rv != CKR_OK)
		return rv;
	if (op->row->pad == PAD_PKCS1 && !op->md && len > op->k - 11)
		return CKR_DATA_LEN_RANGE;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pub, NULL);
	if (!ctx)
		return CKR_HOST_MEMORY;
	if (op->row->pad == PAD_RAW)
		rv = verify_raw(op, ctx, in, len, sig, sig_len);
	else
		rv = verify_pkey(op, ctx, in, len, sig, sig_len);
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

static CK_RV encrypt_check(const struct p11_op *op)
{
	size_t max = op->row->pad == PAD_PKCS1  ? op->k - 11   /* RFC 8017 §7.2.1 */
	             : op->row->pad == PAD_OAEP ? oaep_max(op) /* §7.1.1 */
	                                        : op->k;
	return op->buf_len > max ? CKR_DATA_LEN_RANGE : CKR_OK;
}

CK_RV p11_op_encrypt_final(struct p11_op *op, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	uint8_t raw[MAX_BLOCK];
	if (!op || !out_len)
		return CKR_ARGUMENTS_BAD;
	if (op->kind != P11_OP_ENCRYPT)
		return CKR_OPERATION_NOT_INITIALIZED;
	CK_RV rv = encrypt_check(op);
	if (rv != CKR_OK)
		return rv;
	if (!out || *out_len < op->k) /* size query / too small: nothing computed */
		return p11_output(NULL, op->k, out, out_len);
	int pad = op->row->pad == PAD_PKCS1  ? RSA_PKCS1_PADDING
	          : op->row->pad == PAD_OAEP ? RSA_PKCS1_OAEP_PADDING
	                                     : RSA_NO_PADDING;
	const uint8_t *in = op->buf;
	size_t in_len = op->buf_len, n = op->k;
	if (pad == RSA_NO_PADDING) { /* CKM_RSA_X_509: the data as a k-byte integer */
		left_pad(raw, op->k, op->buf, op->buf_len);
		in = raw;
		in_len = op->k;
	}
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pub, NULL);
	if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 || rsa_ctx_pad(op, ctx, pad) != CKR_OK)
		rv = CKR_FUNCTION_FAILED;
	else if (EVP_PKEY_encrypt(ctx, out, &n, in, in_len) <= 0 || n != op->k)
		rv = pad == RSA_NO_PADDING ? CKR_DATA_INVALID : CKR_FUNCTION_FAILED;
	EVP_PKEY_CTX_free(ctx);
	if (rv == CKR_OK)
		*out_len = n;
	return rv;
}

/* ----- decrypt: raw on the card, unpadding here ----- */

CK_RV p11_op_decrypt_input(struct p11_op *op, const uint8_t **in, size_t *in_len)
{
	if (!op || !in || !in_len)
		return CKR_ARGUMENTS_BAD;
	if (op->kind != P11_OP_DECRYPT)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (op->buf_len != op->k) /* RFC 8017 §7.1.2 / §7.2.2 step 1 */
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	*in = op->buf;
	*in_len = op->buf_len;
	return CKR_OK;
}

static CK_RV unpad(struct p11_op *op, uint8_t *em, size_t *off, size_t *len)
{
	bool ok = false;
	switch (op->row->pad) {
	case PAD_PKCS1:
		ok = p11_pkcs1_type2_decode(em, op->k, off, len);
		break;
	case PAD_OAEP:
		ok = p11_oaep_decode(op->pmd, op->mgf, op->label, op->label_len, em, op->k, off,
		                     len);
		break;
	case PAD_RAW:
		*off = 0;
		*len = op->k;
		ok = true;
		break;
	case PAD_PSS:
	case PAD_ECDSA:
	case PAD_NONE:
		return CKR_MECHANISM_INVALID;
	}
	/* One error for every padding failure (no oracle beyond it). */
	return ok ? CKR_OK : CKR_ENCRYPTED_DATA_INVALID;
}

static CK_RV decrypt_keep(struct p11_op *op, const uint8_t *raw, size_t raw_len)
{
	uint8_t em[MAX_BLOCK];
	size_t off = 0, len = 0;
	if (!left_pad(em, op->k, raw, raw_len))
		return CKR_DEVICE_ERROR;
	CK_RV rv = unpad(op, em, &off, &len);
	if (rv == CKR_OK) {
		op->plain = malloc(len ? len : 1);
		if (op->plain) {
			memcpy(op->plain, em + off, len);
			op->plain_len = len;
			op->done = true;
		} else {
			rv = CKR_HOST_MEMORY;
		}
	}
	OPENSSL_cleanse(em, sizeof em);
	return rv;
}

CK_RV p11_op_decrypt_finish(struct p11_op *op, const uint8_t *raw, size_t raw_len, CK_BYTE_PTR out,
                            CK_ULONG_PTR out_len)
{
	if (!op || !out_len || (!op->done && !raw))
		return CKR_ARGUMENTS_BAD;
	if (op->kind != P11_OP_DECRYPT)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!op->done) { /* the card's answer is used once; retries use the copy */
		CK_RV rv = decrypt_keep(op, raw, raw_len);
		if (rv != CKR_OK)
			return rv;
	}
	return p11_output(op->plain, op->plain_len, out, out_len);
}

bool p11_op_decrypt_done(const struct p11_op *op)
{
	return op && op->done;
}

CK_RV p11_op_digest_final(struct p11_op *op, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	if (!op || !out_len)
		return CKR_ARGUMENTS_BAD;
	if (op->kind != P11_OP_DIGEST)
		return CKR_OPERATION_NOT_INITIALIZED;
	CK_ULONG n = p11_op_out_len(op);
	if (!out || *out_len < n) /* R30: a size query leaves the operation active */
		return p11_output(NULL, n, out, out_len);
	const uint8_t *h = NULL;
	size_t len = 0;
	CK_RV rv = input(op, &h, &len);
	if (rv == CKR_OK)
		rv = p11_output(h, len, out, out_len);
	return rv;
}
