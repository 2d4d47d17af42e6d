/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Token objects (docs/design.md "Object mapping", R13, R23-R26). The card is
 * read once (akis_bind_tx); here its keys and certificates become
 * attribute arrays. Per-class code lives only in the builders below
 * (crypto.c extracts the key and certificate facts with OpenSSL); find
 * and get-attribute are generic loops.
 */
#include "object.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../akis/x509.h"
#include "../log/log.h"
#include "crypto.h"

const struct p11_attr *p11_object_attr(const struct p11_object *obj, CK_ATTRIBUTE_TYPE type)
{
	if (!obj)
		return NULL;
	for (size_t i = 0; i < obj->n_attrs; i++)
		if (obj->attrs[i].type == type)
			return &obj->attrs[i];
	return NULL;
}

const struct p11_object *p11_objects_find_handle(const struct p11_objset *set, CK_OBJECT_HANDLE h)
{
	if (!set || h == CK_INVALID_HANDLE)
		return NULL;
	for (size_t i = 0; i < set->n; i++)
		if (set->objs[i].handle == h)
			return &set->objs[i];
	return NULL;
}

static bool attr_matches(const struct p11_attr *a, const CK_ATTRIBUTE *t)
{
	if (!a || a->sensitive || a->len != t->ulValueLen)
		return false;
	if (a->len == 0)
		return true;
	return t->pValue && memcmp(a->value, t->pValue, a->len) == 0;
}

bool p11_object_match(const struct p11_object *obj, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	if (!obj || (n && !tmpl))
		return false;
	for (CK_ULONG i = 0; i < n; i++)
		if (!attr_matches(p11_object_attr(obj, tmpl[i].type), &tmpl[i]))
			return false;
	return true;
}

/* Worst error seen so far: PKCS#11 3.0 §5.7.5 allows any of them when
 * several apply; we report the one that tells the application most. */
static CK_RV worse(CK_RV have, CK_RV now)
{
	static const CK_RV order[] = {CKR_OK, CKR_BUFFER_TOO_SMALL, CKR_ATTRIBUTE_TYPE_INVALID,
	                              CKR_ATTRIBUTE_SENSITIVE};
	size_t ih = 0, in = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (order[i] == have)
			ih = i;
		if (order[i] == now)
			in = i;
	}
	return in > ih ? now : have;
}

static CK_RV get_one(const struct p11_object *obj, CK_ATTRIBUTE *t)
{
	const struct p11_attr *a = p11_object_attr(obj, t->type);
	if (!a || a->sensitive) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return a ? CKR_ATTRIBUTE_SENSITIVE : CKR_ATTRIBUTE_TYPE_INVALID;
	}
	if (!t->pValue) {
		t->ulValueLen = a->len;
		return CKR_OK;
	}
	if (t->ulValueLen < a->len) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (a->len)
		memcpy(t->pValue, a->value, a->len);
	t->ulValueLen = a->len;
	return CKR_OK;
}

CK_RV p11_object_get_attrs(const struct p11_object *obj, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_RV rv = CKR_OK;
	if (!obj || (n && !tmpl))
		return CKR_ARGUMENTS_BAD;
	for (CK_ULONG i = 0; i < n; i++) /* every attribute is processed */
		rv = worse(rv, get_one(obj, &tmpl[i]));
	return rv;
}

static void object_clear(struct p11_object *o)
{
	for (size_t i = 0; i < o->n_attrs; i++)
		free(o->attrs[i].value);
	free(o->attrs);
	o->attrs = NULL;
	o->n_attrs = 0;
}

void p11_objects_free(struct p11_objset *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		object_clear(&set->objs[i]);
	free(set->objs);
	set->objs = NULL;
	set->n = 0;
}

/* ----- attribute lists (sticky failure) ----- */

struct attr_list {
	struct p11_attr *a;
	size_t n, cap;
	bool failed;
};

static void al_add(struct attr_list *l, CK_ATTRIBUTE_TYPE type, const void *v, size_t len,
                   bool sensitive)
{
	if (l->failed)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct p11_attr *a = realloc(l->a, cap * sizeof *a);
		if (!a) {
			l->failed = true;
			return;
		}
		l->a = a;
		l->cap = cap;
	}
	struct p11_attr *a = &l->a[l->n];
	a->type = type;
	a->len = len;
	a->sensitive = sensitive;
	a->value = NULL;
	if (len) {
		a->value = malloc(len);
		if (!a->value) {
			l->failed = true;
			return;
		}
		memcpy(a->value, v, len);
	}
	l->n++;
}

static void al_bool(struct attr_list *l, CK_ATTRIBUTE_TYPE type, bool v)
{
	CK_BBOOL b = v ? CK_TRUE : CK_FALSE;
	al_add(l, type, &b, sizeof b, false);
}

static void al_ulong(struct attr_list *l, CK_ATTRIBUTE_TYPE type, CK_ULONG v)
{
	al_add(l, type, &v, sizeof v, false);
}

static void al_free(struct attr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->a[i].value);
	free(l->a);
	l->a = NULL;
	l->n = l->cap = 0;
}

/* Move the list into a new object of the set (handle = first + index). */
static CK_RV objset_push(struct p11_objset *set, CK_OBJECT_HANDLE first, CK_OBJECT_CLASS klass,
                         bool is_private, int key, struct attr_list *l)
{
	if (l->failed) {
		al_free(l);
		return CKR_HOST_MEMORY;
	}
	struct p11_object *objs = realloc(set->objs, (set->n + 1) * sizeof *objs);
	if (!objs) {
		al_free(l);
		return CKR_HOST_MEMORY;
	}
	set->objs = objs;
	struct p11_object *o = &objs[set->n];
	o->handle = first + set->n;
	o->klass = klass;
	o->is_private = is_private;
	o->key = key;
	o->attrs = l->a;
	o->n_attrs = l->n;
	l->a = NULL;
	l->n = l->cap = 0;
	set->n++;
	return CKR_OK;
}

/* ----- facts gathered before building (one binding) ----- */

#define ID_CAP    (AKIS_ID_MAX + 1u)    /* card iD, or 20-byte SHA-1, + 1 disambiguation byte */
#define LABEL_CAP (AKIS_LABEL_MAX + 8u) /* room for a " (n)" suffix */

struct kfacts {
	const struct p11_pubfacts *pub; /* the certificate's, else spki's, else NULL */
	struct p11_pubfacts spki;
	bool have_spki;
	CK_KEY_TYPE type;
	int cert; /* index into cfacts, -1 none */
	unsigned usage;
	uint8_t id[ID_CAP];
	size_t id_len;
	char label[LABEL_CAP];
};

struct cfacts {
	bool ok; /* parsed */
	struct p11_certfacts f;
	struct p11_pubfacts pub;
	bool have_pub;
	int owner; /* key index, -1 none */
	uint8_t id[ID_CAP];
	size_t id_len;
	char label[LABEL_CAP];
};

struct build {
	const struct akis_card *card;
	size_t nk, nc;
	struct kfacts k[AKIS_MAX_KEYS];
	struct cfacts c[AKIS_MAX_CERTS];
};

static bool bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void certs_gather(struct build *b)
{
	for (size_t i = 0; i < b->nc; i++) {
		const struct akis_cert *ac = &b->card->certs[i];
		struct cfacts *c = &b->c[i];
		c->owner = -1;
		X509 *x = p11_x509_parse(ac->der, ac->der_len);
		if (!x || !p11_certfacts_get(x, ac->der, ac->der_len, &c->f)) {
			log_msg(LOG_OBJ, "certificate %zu (%zu bytes) does not parse: skipped", i,
			        ac->der_len);
			X509_free(x);
			continue;
		}
		EVP_PKEY *pk = X509_get0_pubkey(x);
		c->have_pub = pk && p11_pubfacts_get(pk, &c->pub);
		c->ok = true;
		X509_free(x);
	}
}

/* The key's certificate: the card's pairing (akis_keys_complete: by
 * public key, iD, type and size; R23), used once; else an unowned
 * certificate of the key's PuKDF public key. Never by iD alone here: card
 * iDs may collide. */
static int key_cert(struct build *b, size_t i)
{
	const struct akis_key *k = &b->card->keys[i];
	if (k->cert >= 0 && (size_t)k->cert < b->nc && b->c[k->cert].ok && b->c[k->cert].owner < 0)
		return k->cert;
	if (k->cert >= 0)
		log_msg(LOG_OBJ, "key %zu: certificate %d unusable or taken", i, k->cert);
	for (size_t j = 0; b->k[i].have_spki && j < b->nc; j++) {
		const struct cfacts *c = &b->c[j];
		if (c->ok && c->owner < 0 && c->have_pub &&
		    memcmp(b->k[i].spki.keyid, c->pub.keyid, 20) == 0)
			return (int)j;
	}
	return -1;
}

/* Usage from the card (PrKDF). Without a directory the card tells none:
 * take the certificate's keyUsage, else what the key type can do. EC keys
 * on AKİS sign only. */
static unsigned key_usage(const struct akis_key *k, const struct cfacts *c, CK_KEY_TYPE type)
{
	unsigned u = k->usage;
	if (u == 0)
		u = akis_x509_usage(c != NULL ? c->f.ku : UINT32_MAX,
		                    type == CKK_RSA ? AKIS_KEY_RSA : AKIS_KEY_EC);
	if (type == CKK_EC)
		u &= AKIS_USAGE_SIGN | AKIS_USAGE_NON_REPUDIATION;
	return u;
}

static void keys_gather(struct build *b)
{
	for (size_t i = 0; i < b->nk; i++) {
		const struct akis_key *k = &b->card->keys[i];
		struct kfacts *kf = &b->k[i];
		EVP_PKEY *pk = k->spki ? p11_pkey_from_spki(k->spki, k->spki_len) : NULL;
		kf->have_spki = pk && p11_pubfacts_get(pk, &kf->spki);
		EVP_PKEY_free(pk);
		kf->cert = key_cert(b, i);
		if (kf->cert >= 0)
			b->c[kf->cert].owner = (int)i;
		if (kf->cert >= 0 && b->c[kf->cert].have_pub)
			kf->pub = &b->c[kf->cert].pub;
		else if (kf->have_spki)
			kf->pub = &kf->spki;
		kf->type = kf->pub ? kf->pub->type : (k->type == AKIS_KEY_EC ? CKK_EC : CKK_RSA);
		kf->usage = key_usage(k, kf->cert >= 0 ? &b->c[kf->cert] : NULL, kf->type);
	}
}

/* ----- CKA_ID (R23) and CKA_LABEL (R25) ----- */

static bool card_id_unique(const struct build *b, size_t i)
{
	const struct akis_key *k = &b->card->keys[i];
	if (k->id_len == 0)
		return false;
	for (size_t j = 0; j < b->nk; j++)
		if (j != i &&
		    bytes_eq(k->id, k->id_len, b->card->keys[j].id, b->card->keys[j].id_len))
			return false;
	return true;
}

static bool id_taken(const struct build *b, size_t nkeys, const uint8_t *id, size_t len)
{
	for (size_t j = 0; j < nkeys; j++)
		if (bytes_eq(b->k[j].id, b->k[j].id_len, id, len))
			return true;
	return false;
}

/* Append a byte until the value is unused by the first n keys (bounded:
 * ID_CAP leaves room for one byte, whose value differs per key). */
static void id_disambiguate(const struct build *b, size_t n, uint8_t *id, size_t *len, size_t who)
{
	if (id_taken(b, n, id, *len) && *len < ID_CAP)
		id[(*len)++] = (uint8_t)(0x80u | who);
}

static void ids_assign(struct build *b)
{
	for (size_t i = 0; i < b->nk; i++) {
		const struct akis_key *k = &b->card->keys[i];
		struct kfacts *kf = &b->k[i];
		if (card_id_unique(b, i)) {
			memcpy(kf->id, k->id, k->id_len);
			kf->id_len = k->id_len;
		} else if (kf->pub) { /* derived, stable: SHA-1 of the public key */
			memcpy(kf->id, kf->pub->keyid, 20);
			kf->id_len = 20;
		} else { /* nothing better known: the card's key reference */
			kf->id[0] = k->key_ref;
			kf->id_len = 1;
		}
		id_disambiguate(b, i, kf->id, &kf->id_len, i);
	}
	for (size_t i = 0; i < b->nc; i++) {
		struct cfacts *c = &b->c[i];
		const struct akis_cert *ac = &b->card->certs[i];
		if (!c->ok)
			continue;
		if (c->owner >= 0) {
			memcpy(c->id, b->k[c->owner].id, b->k[c->owner].id_len);
			c->id_len = b->k[c->owner].id_len;
		} else if (ac->id_len && !id_taken(b, b->nk, ac->id, ac->id_len)) {
			memcpy(c->id, ac->id, ac->id_len);
			c->id_len = ac->id_len;
		} else if (c->have_pub) {
			memcpy(c->id, c->pub.keyid, 20);
			c->id_len = 20;
		} else {
			c->id[0] = (uint8_t)i;
			c->id_len = 1;
		}
		if (c->owner < 0) /* a CA certificate must not pair with a key */
			id_disambiguate(b, b->nk, c->id, &c->id_len, i);
	}
}

/* Copy a label: ':' is replaced (R25: labels are used as "token:label"
 * by NSS and friends), truncated to fit a " (n)" suffix. */
static void label_set(char *dst, const char *src)
{
	size_t n = strnlen(src, AKIS_LABEL_MAX - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
	for (char *p = dst; *p; p++)
		if (*p == ':')
			*p = '_';
}

static bool label_used(const char *first_label, size_t stride, size_t n, const char *l)
{
	for (size_t j = 0; j < n; j++)
		if (strcmp(first_label + j * stride, l) == 0)
			return true;
	return false;
}

/* labels: the label fields of an array of structs of size stride. */
static void labels_dedup(char *first_label, size_t stride, size_t n)
{
	char base[LABEL_CAP];
	for (size_t i = 1; i < n; i++) {
		char *l = first_label + i * stride;
		memcpy(base, l, LABEL_CAP);
		for (unsigned s = 2; s < 100 && label_used(first_label, stride, i, l); s++)
			snprintf(l, LABEL_CAP, "%.63s (%u)", base, s);
	}
}

static void labels_assign(struct build *b)
{
	for (size_t i = 0; i < b->nk; i++) {
		const struct akis_key *k = &b->card->keys[i];
		int c = b->k[i].cert;
		char def[32];
		snprintf(def, sizeof def, "Key %u", (unsigned)(i + 1));
		const char *src = k->label[0]                            ? k->label
		                  : c >= 0 && b->card->certs[c].label[0] ? b->card->certs[c].label
		                  : c >= 0 && b->c[c].f.cn[0]            ? b->c[c].f.cn
		                                                         : def;
		label_set(b->k[i].label, src);
	}
	for (size_t i = 0; i < b->nc; i++) {
		const struct cfacts *c = &b->c[i];
		char def[32];
		snprintf(def, sizeof def, "Certificate %u", (unsigned)(i + 1));
		const char *src = b->card->certs[i].label[0] ? b->card->certs[i].label
		                  : c->owner >= 0            ? b->k[c->owner].label
		                  : c->f.cn[0]               ? c->f.cn
		                                             : def;
		label_set(b->c[i].label, src);
	}
	labels_dedup(b->k[0].label, sizeof b->k[0], b->nk);
	labels_dedup(b->c[0].label, sizeof b->c[0], b->nc);
}

/* ----- builders: one per class ----- */

/* PKCS#11 3.0 §4.4 storage objects. */
static void storage_attrs(struct attr_list *l, CK_OBJECT_CLASS klass, bool priv, const char *label)
{
	al_ulong(l, CKA_CLASS, klass);
	al_bool(l, CKA_TOKEN, true);
	al_bool(l, CKA_PRIVATE, priv);
	al_bool(l, CKA_MODIFIABLE, false);
	al_bool(l, CKA_COPYABLE, false);
	al_bool(l, CKA_DESTROYABLE, false);
	al_add(l, CKA_LABEL, label, strlen(label), false);
}

/* PKCS#11 3.0 §4.7 common key attributes. */
static void key_attrs(struct attr_list *l, const struct kfacts *kf, const struct cfacts *c)
{
	al_ulong(l, CKA_KEY_TYPE, kf->type);
	al_add(l, CKA_ID, kf->id, kf->id_len, false);
	al_add(l, CKA_START_DATE, NULL, 0, false);
	al_add(l, CKA_END_DATE, NULL, 0, false);
	al_bool(l, CKA_DERIVE, false);
	al_bool(l, CKA_LOCAL, false);
	al_ulong(l, CKA_KEY_GEN_MECHANISM, CK_UNAVAILABLE_INFORMATION);
	if (c)
		al_add(l, CKA_SUBJECT, c->f.subject, c->f.subject_len, false);
	else
		al_add(l, CKA_SUBJECT, NULL, 0, false);
}

/* Public values, on both halves of the pair (RSA §2.1.2-3, EC §2.3.3-4). */
static void public_values(struct attr_list *l, const struct kfacts *kf, unsigned card_bits)
{
	const struct p11_pubfacts *p = kf->pub;
	if (p)
		al_add(l, CKA_PUBLIC_KEY_INFO, p->spki, p->spki_len, false);
	else
		al_add(l, CKA_PUBLIC_KEY_INFO, NULL, 0, false);
	if (kf->type == CKK_RSA) {
		if (p) {
			al_add(l, CKA_MODULUS, p->modulus, p->modulus_len, false);
			al_add(l, CKA_PUBLIC_EXPONENT, p->exponent, p->exponent_len, false);
		}
		if (p || card_bits)
			al_ulong(l, CKA_MODULUS_BITS, p ? p->bits : card_bits);
	} else if (p) {
		al_add(l, CKA_EC_PARAMS, p->ec_params, p->ec_params_len, false);
		al_add(l, CKA_EC_POINT, p->ec_point, p->ec_point_len, false);
	}
}

/* Secret values exist but are never revealed (CKR_ATTRIBUTE_SENSITIVE). */
static void secret_values(struct attr_list *l, CK_KEY_TYPE type)
{
	static const CK_ATTRIBUTE_TYPE rsa[] = {CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
	                                        CKA_PRIME_2,          CKA_EXPONENT_1,
	                                        CKA_EXPONENT_2,       CKA_COEFFICIENT};
	if (type == CKK_EC) {
		al_add(l, CKA_VALUE, NULL, 0, true);
		return;
	}
	for (size_t i = 0; i < sizeof rsa / sizeof rsa[0]; i++)
		al_add(l, rsa[i], NULL, 0, true);
}

static CK_RV build_private(struct build *b, size_t i, CK_OBJECT_HANDLE first,
                           struct p11_objset *set)
{
	const struct akis_key *k = &b->card->keys[i];
	const struct kfacts *kf = &b->k[i];
	struct attr_list l = {0};
	unsigned u = kf->usage;
	storage_attrs(&l, CKO_PRIVATE_KEY, true, kf->label);
	key_attrs(&l, kf, kf->cert >= 0 ? &b->c[kf->cert] : NULL);
	al_bool(&l, CKA_SENSITIVE, true);
	al_bool(&l, CKA_ALWAYS_SENSITIVE, true);
	al_bool(&l, CKA_EXTRACTABLE, false);
	al_bool(&l, CKA_NEVER_EXTRACTABLE, true);
	al_bool(&l, CKA_WRAP_WITH_TRUSTED, false);
	al_bool(&l, CKA_ALWAYS_AUTHENTICATE, k->user_consent); /* R20 */
	al_bool(&l, CKA_SIGN, u & (AKIS_USAGE_SIGN | AKIS_USAGE_NON_REPUDIATION));
	al_bool(&l, CKA_SIGN_RECOVER, u & AKIS_USAGE_SIGN_RECOVER);
	al_bool(&l, CKA_DECRYPT, u & AKIS_USAGE_DECRYPT);
	al_bool(&l, CKA_UNWRAP, u & AKIS_USAGE_UNWRAP);
	public_values(&l, kf, k->bits);
	secret_values(&l, kf->type);
	return objset_push(set, first, CKO_PRIVATE_KEY, true, (int)i, &l);
}

/* The public key mirrors the private key's usage (sign ↔ verify, decrypt
 * ↔ encrypt, unwrap ↔ wrap). */
static CK_RV build_public(struct build *b, size_t i, CK_OBJECT_HANDLE first, struct p11_objset *set)
{
	const struct kfacts *kf = &b->k[i];
	struct attr_list l = {0};
	unsigned u = kf->usage;
	storage_attrs(&l, CKO_PUBLIC_KEY, false, kf->label);
	key_attrs(&l, kf, kf->cert >= 0 ? &b->c[kf->cert] : NULL);
	al_bool(&l, CKA_VERIFY, u & (AKIS_USAGE_SIGN | AKIS_USAGE_NON_REPUDIATION));
	al_bool(&l, CKA_VERIFY_RECOVER, u & AKIS_USAGE_SIGN_RECOVER);
	al_bool(&l, CKA_ENCRYPT, u & AKIS_USAGE_DECRYPT);
	al_bool(&l, CKA_WRAP, u & AKIS_USAGE_UNWRAP);
	al_bool(&l, CKA_TRUSTED, false);
	public_values(&l, kf, b->card->keys[i].bits);
	return objset_push(set, first, CKO_PUBLIC_KEY, false, (int)i, &l);
}

static void date_attr(struct attr_list *l, CK_ATTRIBUTE_TYPE t, bool have, const CK_DATE *d)
{
	al_add(l, t, d, have ? sizeof *d : 0, false);
}

/* PKCS#11 3.0 §4.6.3 X.509 public key certificate objects. Category
 * (§4.6.2): 1 token user (we hold its private key), 2 authority, 0 other. */
static CK_RV build_cert(struct build *b, size_t i, CK_OBJECT_HANDLE first, struct p11_objset *set)
{
	const struct akis_cert *ac = &b->card->certs[i];
	const struct cfacts *c = &b->c[i];
	struct attr_list l = {0};
	CK_ULONG cat = c->owner >= 0 ? 1 : (ac->authority || c->f.is_ca) ? 2 : 0;
	storage_attrs(&l, CKO_CERTIFICATE, false, c->label);
	al_ulong(&l, CKA_CERTIFICATE_TYPE, CKC_X_509);
	al_bool(&l, CKA_TRUSTED, false);
	al_ulong(&l, CKA_CERTIFICATE_CATEGORY, cat);
	al_add(&l, CKA_CHECK_VALUE, c->f.check, sizeof c->f.check, false);
	date_attr(&l, CKA_START_DATE, c->f.has_start, &c->f.start);
	date_attr(&l, CKA_END_DATE, c->f.has_end, &c->f.end);
	al_add(&l, CKA_PUBLIC_KEY_INFO, c->have_pub ? c->pub.spki : NULL,
	       c->have_pub ? c->pub.spki_len : 0, false);
	al_add(&l, CKA_SUBJECT, c->f.subject, c->f.subject_len, false);
	al_add(&l, CKA_ID, c->id, c->id_len, false);
	al_add(&l, CKA_ISSUER, c->f.issuer, c->f.issuer_len, false);
	al_add(&l, CKA_SERIAL_NUMBER, c->f.serial, c->f.serial_len, false);
	al_add(&l, CKA_VALUE, ac->der, ac->der_len, false);
	al_add(&l, CKA_URL, NULL, 0, false);
	al_add(&l, CKA_HASH_OF_SUBJECT_PUBLIC_KEY, NULL, 0, false);
	al_add(&l, CKA_HASH_OF_ISSUER_PUBLIC_KEY, NULL, 0, false);
	al_ulong(&l, CKA_JAVA_MIDP_SECURITY_DOMAIN, 0);
	return objset_push(set, first, CKO_CERTIFICATE, false, -1, &l);
}

/* R13: Firefox lists certificates without a PIN when it sees this. */
static CK_RV build_profile(CK_OBJECT_HANDLE first, struct p11_objset *set)
{
	struct attr_list l = {0};
	al_ulong(&l, CKA_CLASS, CKO_PROFILE);
	al_bool(&l, CKA_TOKEN, true);
	al_bool(&l, CKA_PRIVATE, false);
	al_bool(&l, CKA_MODIFIABLE, false);
	al_ulong(&l, CKA_PROFILE_ID, CKP_PUBLIC_CERTIFICATES_TOKEN);
	return objset_push(set, first, CKO_PROFILE, false, -1, &l);
}

static CK_RV build_all(struct build *b, CK_OBJECT_HANDLE first, struct p11_objset *set)
{
	CK_RV rv = CKR_OK;
	for (size_t i = 0; i < b->nk && rv == CKR_OK; i++) {
		rv = build_private(b, i, first, set);
		if (rv == CKR_OK && b->k[i].pub) /* no public key known: no object */
			rv = build_public(b, i, first, set);
		if (rv == CKR_OK && b->k[i].cert >= 0)
			rv = build_cert(b, (size_t)b->k[i].cert, first, set);
	}
	for (size_t i = 0; i < b->nc && rv == CKR_OK; i++)
		if (b->c[i].ok && b->c[i].owner < 0)
			rv = build_cert(b, i, first, set);
	if (rv == CKR_OK)
		rv = build_profile(first, set);
	return rv;
}

static void build_free(struct build *b)
{
	for (size_t i = 0; i < b->nk; i++)
		if (b->k[i].have_spki)
			p11_pubfacts_free(&b->k[i].spki);
	for (size_t i = 0; i < b->nc; i++) {
		if (b->c[i].have_pub)
			p11_pubfacts_free(&b->c[i].pub);
		if (b->c[i].ok)
			p11_certfacts_free(&b->c[i].f);
	}
	free(b);
}

void p11_objects_no_always_auth(struct p11_objset *set)
{
	for (size_t i = 0; i < set->n; i++)
		for (size_t j = 0; j < set->objs[i].n_attrs; j++) {
			struct p11_attr *a = &set->objs[i].attrs[j];

			if (a->type == CKA_ALWAYS_AUTHENTICATE && a->len == sizeof(CK_BBOOL))
				*(CK_BBOOL *)a->value = CK_FALSE;
		}
}

CK_RV p11_objects_build(const struct akis_card *card, CK_OBJECT_HANDLE first_handle,
                        struct p11_objset *out)
{
	if (!card || !out || first_handle == CK_INVALID_HANDLE)
		return CKR_ARGUMENTS_BAD;
	out->objs = NULL;
	out->n = 0;
	struct build *b = calloc(1, sizeof *b);
	if (!b)
		return CKR_HOST_MEMORY;
	b->card = card;
	b->nk = card->n_keys < AKIS_MAX_KEYS ? card->n_keys : AKIS_MAX_KEYS;
	b->nc = card->n_certs < AKIS_MAX_CERTS ? card->n_certs : AKIS_MAX_CERTS;
	certs_gather(b);
	keys_gather(b);
	ids_assign(b);
	labels_assign(b);
	CK_RV rv = build_all(b, first_handle, out);
	if (rv != CKR_OK)
		p11_objects_free(out);
	log_msg(LOG_OBJ, "objects built: %zu keys, %zu certificates, %zu objects, rv 0x%lx", b->nk,
	        b->nc, out->n, (unsigned long)rv);
	build_free(b);
	return rv;
}
