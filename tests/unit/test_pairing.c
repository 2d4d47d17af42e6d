/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * R23: keys and certificates paired by the module's own path
 * (akis_keys_complete, as after a bind, then p11_objects_build) when the
 * card's iDs collide, are missing or point at the wrong certificate; and a
 * whole PKCS#15 bind of a card with colliding iDs, twice (the second from
 * the on-disk cache). Every private key must show its own public key
 * (checked against the key the test made, not against what the module
 * paired), each certificate appears once, and CKA_IDs are non-empty,
 * shared by exactly the three objects of a pair and stable.
 */
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>

#include "akis_fixture.h"
#include "../../pkcs11/object.h"
#include "object_fixtures.h"

#define FIRST 100

/* ----- looking at the objects ----- */

static size_t n_class(const struct p11_objset *set, CK_OBJECT_CLASS k)
{
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++)
		n += set->objs[i].klass == k;
	return n;
}

static const struct p11_attr *attr(const struct p11_object *o, CK_ATTRIBUTE_TYPE t)
{
	const struct p11_attr *a = p11_object_attr(o, t);
	assert_non_null(a);
	return a;
}

static CK_ULONG attr_ulong(const struct p11_object *o, CK_ATTRIBUTE_TYPE t)
{
	CK_ULONG v;
	const struct p11_attr *a = attr(o, t);
	assert_int_equal(a->len, sizeof v);
	memcpy(&v, a->value, sizeof v);
	return v;
}

static bool same_id(const struct p11_object *a, const struct p11_object *b)
{
	const struct p11_attr *x = attr(a, CKA_ID), *y = attr(b, CKA_ID);
	return x->len == y->len && memcmp(x->value, y->value, x->len) == 0;
}

/* Objects of a class carrying o's CKA_ID. */
static size_t n_with_id(const struct p11_objset *set, CK_OBJECT_CLASS k, const struct p11_object *o,
                        const struct p11_object **found)
{
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++)
		if (set->objs[i].klass == k && same_id(&set->objs[i], o)) {
			n++;
			if (found)
				*found = &set->objs[i];
		}
	return n;
}

static const struct p11_object *private_of(const struct p11_objset *set, int key)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->objs[i].klass == CKO_PRIVATE_KEY && set->objs[i].key == key)
			return &set->objs[i];
	fail_msg("no private key object for card key %d", key);
	return NULL;
}

static EVP_PKEY *cert_pkey(const struct p11_object *cert)
{
	const struct p11_attr *v = attr(cert, CKA_VALUE);
	const unsigned char *p = v->value;
	X509 *x = d2i_X509(NULL, &p, (long)v->len);
	assert_non_null(x);
	EVP_PKEY *pk = X509_get_pubkey(x);
	assert_non_null(pk);
	X509_free(x);
	return pk;
}

/* Does key object o carry exactly the public key pk (type, modulus or EC
 * point)? Computed here with OpenSSL, independently of the module. */
static void expect_pub(const struct p11_object *o, EVP_PKEY *pk)
{
	uint8_t buf[1024];
	size_t n = 0;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		BIGNUM *bn = NULL;
		assert_int_equal(attr_ulong(o, CKA_KEY_TYPE), CKK_RSA);
		assert_true(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn));
		n = (size_t)BN_bn2bin(bn, buf);
		BN_free(bn);
		const struct p11_attr *m = attr(o, CKA_MODULUS);
		assert_int_equal(m->len, n);
		assert_memory_equal(m->value, buf, n);
		return;
	}
	assert_int_equal(attr_ulong(o, CKA_KEY_TYPE), CKK_EC);
	assert_true(EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
	                                            sizeof buf, &n));
	assert_true(n < 128);
	const struct p11_attr *pt = attr(o, CKA_EC_POINT); /* DER OCTET STRING */
	assert_int_equal(pt->len, n + 2);
	assert_memory_equal((const uint8_t *)pt->value + 2, buf, n);
}

/*
 * The checks of R23 for a card whose key i is backed by truth[i] (NULL:
 * the test knows no public key for it) and which should show n_paired
 * certificates with a key and n_certs in all:
 * - per class: one private key per card key, one public key per key with
 *   a known public key, every parsable certificate exactly once;
 * - each private key: a non-empty CKA_ID, its own public key, and the
 *   public key object and certificate (when paired) with the same CKA_ID
 *   and the same public key;
 * - CKA_IDs of different pairs and of unpaired certificates differ.
 */
static void check_pairs(const struct akis_card *card, const struct p11_objset *set,
                        EVP_PKEY *const *truth, size_t n_pub, size_t n_paired, size_t n_certs)
{
	assert_int_equal(n_class(set, CKO_PRIVATE_KEY), card->n_keys);
	assert_int_equal(n_class(set, CKO_PUBLIC_KEY), n_pub);
	assert_int_equal(n_class(set, CKO_CERTIFICATE), n_certs);
	assert_int_equal(n_class(set, CKO_PROFILE), 1);
	size_t paired = 0;
	for (size_t i = 0; i < card->n_keys; i++) {
		const struct p11_object *priv = private_of(set, (int)i), *pub = NULL, *cert = NULL;
		assert_true(attr(priv, CKA_ID)->len > 0);
		assert_int_equal(n_with_id(set, CKO_PRIVATE_KEY, priv, NULL), 1);
		size_t npub = n_with_id(set, CKO_PUBLIC_KEY, priv, &pub);
		size_t ncert = n_with_id(set, CKO_CERTIFICATE, priv, &cert);
		assert_true(npub <= 1 && ncert <= 1);
		if (truth[i] != NULL) {
			expect_pub(priv, truth[i]);
			assert_int_equal(npub, 1);
			expect_pub(pub, truth[i]);
		}
		if (ncert == 1) {
			paired++;
			assert_int_equal(attr_ulong(cert, CKA_CERTIFICATE_CATEGORY), 1);
			EVP_PKEY *cpk = cert_pkey(cert);
			expect_pub(priv, cpk);
			EVP_PKEY_free(cpk);
		}
	}
	assert_int_equal(paired, n_paired);
}

/* The (class, CKA_ID) sequence of a set, for comparing two builds. */
static size_t ids_of(const struct p11_objset *set, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct p11_attr *a = p11_object_attr(&set->objs[i], CKA_ID);
		assert_true(n + 2 + (a ? a->len : 0) <= cap);
		out[n++] = (uint8_t)set->objs[i].klass;
		out[n++] = (uint8_t)(a ? a->len : 0xFF);
		if (a && a->len) {
			memcpy(out + n, a->value, a->len);
			n += a->len;
		}
	}
	return n;
}

static void cert_ski20(const struct akis_cert *c, uint8_t ski[20])
{
	const unsigned char *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
	assert_non_null(x);
	const ASN1_OCTET_STRING *s = X509_get0_subject_key_id(x);
	assert_non_null(s);
	assert_int_equal(ASN1_STRING_length(s), 20);
	memcpy(ski, ASN1_STRING_get0_data(s), 20);
	X509_free(x);
}

/* Private key i's CKA_ID is the SHA-1 of its certificate's public key. */
static void expect_derived_id(const struct p11_objset *set, const struct akis_card *card,
                              size_t key, size_t cert)
{
	uint8_t ski[20];
	cert_ski20(&card->certs[cert], ski);
	const struct p11_attr *id = attr(private_of(set, (int)key), CKA_ID);
	assert_int_equal(id->len, 20);
	assert_memory_equal(id->value, ski, 20);
}

/* ----- fixture cards (object_fixtures.h) ----- */

enum scenario {
	SC_PLAIN,
	SC_COLLIDE,     /* key 1 and its certificate say iD 01 like key 0 (review A1) */
	SC_COLLIDE_ALL, /* every key and every certificate, the CA too, say iD 01 */
	SC_MISSING,     /* key 0 and its certificate without iD, no PuKDF (review A2) */
	SC_MISSING_ALL, /* no iD anywhere */
	SC_SWAPPED,     /* the certificates carry each other's iD */
};

static void scenario_apply(struct akis_card *c, enum scenario sc)
{
	switch (sc) {
	case SC_PLAIN:
		break;
	case SC_COLLIDE:
		c->keys[1].id[0] = 0x01;
		c->certs[2].id[0] = 0x01;
		break;
	case SC_COLLIDE_ALL:
		for (size_t i = 0; i < c->n_keys; i++)
			c->keys[i].id[0] = 0x01;
		for (size_t j = 0; j < c->n_certs; j++)
			c->certs[j].id[0] = 0x01;
		break;
	case SC_MISSING:
		c->keys[0].id_len = 0;
		c->certs[1].id_len = 0;
		break;
	case SC_MISSING_ALL:
		for (size_t i = 0; i < c->n_keys; i++)
			c->keys[i].id_len = 0;
		for (size_t j = 0; j < c->n_certs; j++)
			c->certs[j].id_len = 0;
		break;
	case SC_SWAPPED:
		c->certs[1].id[0] = 0x02;
		c->certs[2].id[0] = 0x01;
		break;
	}
	fx_pair(c);
}

static void build(struct fx_objs *t)
{
	p11_objects_free(&t->set);
	assert_int_equal(p11_objects_build(t->f.card, FIRST, &t->set), CKR_OK);
}

/* Keys 0 (RSA), 1 (EC P-384) with certificates 1, 2; key 2 (EC P-256)
 * with a PuKDF public key only; the CA certificate unpaired. */
static void check_fixture(struct fx_objs *t)
{
	EVP_PKEY *truth[3] = {t->f.rsa, t->f.ec384, t->f.ec256};
	assert_int_equal(t->f.card->keys[0].cert, 1);
	assert_int_equal(t->f.card->keys[1].cert, 2);
	assert_int_equal(t->f.card->keys[2].cert, -1);
	assert_int_equal(t->f.card->keys[1].bits, 384);
	build(t);
	assert_int_equal(t->set.n, 10);
	check_pairs(t->f.card, &t->set, truth, 3, 2, 3);
}

static void run_scenario(void **state, enum scenario sc)
{
	struct fx_objs *t = *state;
	scenario_apply(t->f.card, sc);
	check_fixture(t);
}

static void test_plain(void **state)
{
	struct fx_objs *t = *state;
	run_scenario(state, SC_PLAIN);
	for (uint8_t id = 1; id <= 3; id++) { /* unique card iDs are kept */
		const struct p11_attr *a = attr(private_of(&t->set, id - 1), CKA_ID);
		assert_int_equal(a->len, 1);
		assert_int_equal(((const uint8_t *)a->value)[0], id);
	}
}

/* Review A1: before the fix key 1 (EC) took key 0's certificate, showed
 * CKA_KEY_TYPE RSA, and the NES certificate appeared twice. */
static void test_collide(void **state)
{
	struct fx_objs *t = *state;
	run_scenario(state, SC_COLLIDE);
	expect_derived_id(&t->set, t->f.card, 0, 1);
	expect_derived_id(&t->set, t->f.card, 1, 2);
}

static void test_collide_all(void **state)
{
	struct fx_objs *t = *state;
	run_scenario(state, SC_COLLIDE_ALL);
	expect_derived_id(&t->set, t->f.card, 0, 1);
	expect_derived_id(&t->set, t->f.card, 1, 2);
	/* the CA certificate (iD 01 too) pairs with nothing */
	for (size_t i = 0; i < t->set.n; i++) {
		const struct p11_object *o = &t->set.objs[i];
		if (o->klass == CKO_CERTIFICATE && attr_ulong(o, CKA_CERTIFICATE_CATEGORY) != 1) {
			assert_int_equal(attr_ulong(o, CKA_CERTIFICATE_CATEGORY), 2);
			assert_int_equal(n_with_id(&t->set, CKO_PRIVATE_KEY, o, NULL), 0);
		}
	}
}

/* Review A2: before the fix key 0 had CKA_ID = its key reference, no
 * public key object and its certificate another iD. */
static void test_missing(void **state)
{
	struct fx_objs *t = *state;
	run_scenario(state, SC_MISSING);
	expect_derived_id(&t->set, t->f.card, 0, 1);
}

static void test_missing_all(void **state)
{
	struct fx_objs *t = *state;
	run_scenario(state, SC_MISSING_ALL);
	expect_derived_id(&t->set, t->f.card, 0, 1);
	expect_derived_id(&t->set, t->f.card, 1, 2);
}

static void test_swapped(void **state)
{
	run_scenario(state, SC_SWAPPED);
}

/* Two RSA-2048 keys with one iD and one certificate: nothing tells which
 * key it belongs to, so no key gets it (a guess could show a key under
 * another key's certificate); the 2F1n ↔ key reference convention
 * (docs/card.md §2) settles it when the certificate has such a path. */
static void test_ambiguous(void **state)
{
	struct fx_objs *t = *state;
	struct akis_card *c = t->f.card;
	free(c->keys[2].spki);
	c->keys[2].spki = NULL;
	c->keys[2].spki_len = 0;
	c->keys[2].type = AKIS_KEY_RSA;
	c->keys[2].bits = 2048;
	c->keys[2].id[0] = 0x01;
	fx_pair(c);
	assert_int_equal(c->keys[0].cert, -1);
	assert_int_equal(c->keys[2].cert, -1);
	assert_int_equal(c->keys[1].cert, 2);
	build(t);
	assert_int_equal(n_class(&t->set, CKO_CERTIFICATE), 3);
	EVP_PKEY *truth[3] = {NULL, t->f.ec384, NULL};
	check_pairs(c, &t->set, truth, 1, 1, 3);

	static const uint8_t path[] = {0x3D, 0x00, 0x2F, 0x12}; /* 2F12 → 0x83 on 2.x */
	memcpy(c->certs[1].path, path, sizeof path);
	c->certs[1].path_len = sizeof path;
	fx_pair(c);
	assert_int_equal(c->keys[0].cert, -1);
	assert_int_equal(c->keys[2].cert, 1);
	assert_int_equal(c->keys[1].cert, 2);
}

/* Review 4 (finding 6): a key whose own certificate is gone from the card
 * (its iD 02 is on no certificate) must not take a spare certificate of
 * the same type and size that carries another iD (0x09, say an old key's
 * left-over certificate): it would show that certificate's public key.
 * Only the 2F1n convention may name it. */
static void test_own_cert_gone(void **state)
{
	struct fx_objs *t = *state;
	struct akis_card *c = t->f.card;
	c->certs[2].id[0] = 0x09;
	fx_pair(c);
	assert_int_equal(c->keys[1].cert, -1);
	assert_int_equal(c->keys[0].cert, 1);
	static const uint8_t path[] = {0x3D, 0x00, 0x2F, 0x11}; /* 2F11 → 0x82 on 2.x */
	memcpy(c->certs[2].path, path, sizeof path);
	c->certs[2].path_len = sizeof path;
	fx_pair(c);
	assert_int_equal(c->keys[1].cert, 2);
}

/* A PuKDF public key decides: key 2 (P-256 in the PuKDF) shares iD 02
 * with key 1 (P-384) but never takes key 1's certificate. */
static void test_pukdf_decides(void **state)
{
	struct fx_objs *t = *state;
	t->f.card->keys[2].id[0] = 0x02;
	t->f.card->keys[2].bits = 0;
	t->f.card->keys[1].bits = 0; /* the PrKDF gives no EC size */
	fx_pair(t->f.card);
	check_fixture(t);
	const struct p11_attr *a = attr(private_of(&t->set, 2), CKA_ID);
	assert_int_equal(a->len, 20); /* derived from the PuKDF key */
}

/* The fallback without a directory pairs by itself; a certificate it
 * gave twice is used once. */
static void test_given_twice(void **state)
{
	struct fx_objs *t = *state;
	struct akis_card *c = t->f.card;
	c->keys[0].cert = 1;
	c->keys[1].cert = 1; /* wrong: the RSA certificate */
	c->keys[2].cert = 99;
	akis_keys_complete(c);
	assert_int_equal(c->keys[0].cert, 1);
	assert_int_equal(c->keys[1].cert, 2); /* dropped, then paired by iD */
	assert_int_equal(c->keys[2].cert, -1);
	check_fixture(t);
}

/* Stable: two cards made independently (new certificates, same keys)
 * pair and name their objects identically, and pairing again changes
 * nothing. */
static void test_stable(void **state)
{
	(void)state;
	static const enum scenario scs[] = {SC_PLAIN,   SC_COLLIDE,     SC_COLLIDE_ALL,
	                                    SC_MISSING, SC_MISSING_ALL, SC_SWAPPED};
	static uint8_t a[4096], b[4096];
	for (size_t s = 0; s < sizeof scs / sizeof scs[0]; s++) {
		struct fx f1 = fx_card(AKIS_USAGE_SIGN), f2 = fx_card(AKIS_USAGE_SIGN);
		struct p11_objset s1 = {0}, s2 = {0};
		scenario_apply(f1.card, scs[s]);
		scenario_apply(f2.card, scs[s]);
		akis_keys_complete(f2.card); /* again, as a second bind would */
		assert_int_equal(p11_objects_build(f1.card, FIRST, &s1), CKR_OK);
		assert_int_equal(p11_objects_build(f2.card, FIRST, &s2), CKR_OK);
		size_t na = ids_of(&s1, a, sizeof a), nb = ids_of(&s2, b, sizeof b);
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, na);
		p11_objects_free(&s1);
		p11_objects_free(&s2);
		fx_card_free(&f1);
		fx_card_free(&f2);
	}
}

/* ----- a whole PKCS#15 bind (akis_fixture.h) ----- */

/* akis-2 card: key 81 EC P-384 (NES) and key 82 RSA-2048 (auth) with one
 * and the same iD, both CDF entries with it too, no PuKDF; the CDF lists
 * the RSA certificate (2F11) first. */
struct cimg {
	struct img im;
	uint8_t id[20];
};

static void cimg_make(struct cimg *c, EVP_PKEY *ec, EVP_PKEY *rsa)
{
	struct img *im = &c->im;
	memset(c, 0, sizeof *c);
	memset(c->id, 0x5A, sizeof c->id);
	img_odf(im, false);
	img_ti(im);
	img_aodf(im, 1, false);
	struct key_spec nes = {"Imza", true, {0}, 0x01, 0x81, (1u << 2) | (1u << 9), 0, 1};
	struct key_spec auth = {"Kimlik", false, {0}, 0x01, 0x82, (1u << 1) | (1u << 2), 2048, 0};
	memcpy(nes.id, c->id, 20);
	memcpy(auth.id, c->id, 20);
	struct wr w = wr_init(im->prkdf, sizeof im->prkdf);
	wr_prkey(&w, &nes);
	wr_prkey(&w, &auth);
	assert_true(wr_ok(&w));
	im->prkdf_len = w.len;
	static const uint8_t p10[] = {0x3F, 0x00, 0x3D, 0x00, 0x2F, 0x10};
	static const uint8_t p11[] = {0x3F, 0x00, 0x3D, 0x00, 0x2F, 0x11};
	w = wr_init(im->cdf, sizeof im->cdf);
	wr_cdf_entry(&w, "Kimlik", c->id, 20, p11, sizeof p11);
	wr_cdf_entry(&w, "Imza", c->id, 20, p10, sizeof p10);
	assert_true(wr_ok(&w));
	im->cdf_len = w.len;
	im->key[0] = ec;
	im->key[1] = rsa;
	im->cert[0] = test_cert(ec, "TEST KISI", "critical,digitalSignature,nonRepudiation",
	                        &im->cert_len[0]);
	im->cert[1] =
	        test_cert(rsa, "TEST KISI", "digitalSignature,keyEncipherment", &im->cert_len[1]);
}

static void cimg_script_dir(struct sb *s, const struct img *im)
{
	sb_identity(s);
	sb_missing(s, "2F00");
	sb_step(s, "00A4040007504B43532D313500",
	        "6F07820138"
	        "83023D00"
	        "9000");
	sb_file(s, "3D005031", im->odf, im->odf_len);
	sb_file(s, "3D005032", im->ti, im->ti_len);
	sb_file(s, "3D004401", im->aodf, im->aodf_len);
	sb_file(s, "3D004402", im->prkdf, im->prkdf_len);
	sb_file(s, "3D004404", im->cdf, im->cdf_len);
}

static void bind_and_build(struct sb *s, const char *dir, unsigned long hits, const struct cimg *c,
                           uint8_t *ids, size_t *n_ids)
{
	struct p11_objset set = {0};
	struct akis_card *card = sb_card(s, ATR_2);
	assert_int_equal(akis_bind_tx(card, dir), AKIS_OK);
	sb_assert_done(card);
	assert_int_equal(card->cache_hits, hits);
	assert_int_equal(card->n_keys, 2);
	assert_int_equal(card->n_certs, 2);
	/* CDF order: certs[0] is 2F11 (RSA), certs[1] is 2F10 (EC) */
	assert_int_equal(card->keys[0].cert, 1);
	assert_int_equal(card->keys[1].cert, 0);
	assert_int_equal(p11_objects_build(card, FIRST, &set), CKR_OK);
	EVP_PKEY *truth[2] = {c->im.key[0], c->im.key[1]};
	check_pairs(card, &set, truth, 2, 2, 2);
	*n_ids = ids_of(&set, ids, 2048);
	p11_objects_free(&set);
	akis_card_free(card);
}

static void test_bind_collide(void **state)
{
	(void)state;
	struct fx keys;
	struct cimg c;
	struct sb s = {0};
	static uint8_t ids1[2048], ids2[2048];
	size_t n1 = 0, n2 = 0;
	char dir[] = "/tmp/akis-pairing-XXXXXX", name[128];
	assert_non_null(mkdtemp(dir));
	fx_keys(&keys);
	cimg_make(&c, keys.ec384, keys.rsa);

	cimg_script_dir(&s, &c.im);
	sb_file(&s, "3D002F11", c.im.cert[1], c.im.cert_len[1]);
	sb_file(&s, "3D002F10", c.im.cert[0], c.im.cert_len[0]);
	bind_and_build(&s, dir, 0, &c, ids1, &n1);
	sb_free(&s);

	/* another process: the token from the cache (R44): identity, the CDF
	 * and the certificates' tails confirmed, the rest trusted */
	sb_identity(&s);
	sb_evidence(&s, "3D004404", c.im.cdf, c.im.cdf_len, c.im.cdf_len, 0);
	sb_cert_tail(&s, "3D002F11", c.im.cert[1], c.im.cert_len[1], c.im.cert_len[1]);
	sb_cert_tail(&s, "3D002F10", c.im.cert[0], c.im.cert_len[0], c.im.cert_len[0]);
	bind_and_build(&s, dir, 7, &c, ids2, &n2);
	sb_free(&s);

	assert_int_equal(n1, n2);
	assert_memory_equal(ids1, ids2, n1);
	snprintf(name, sizeof name, "%s/akis-000102030405060708090a0b.cache", dir);
	assert_int_equal(unlink(name), 0);
	assert_int_equal(rmdir(dir), 0);
	img_free(&c.im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_plain, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_collide, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_collide_all, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_missing, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_missing_all, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_swapped, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_ambiguous, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_own_cert_gone, fx_objs_setup,
	                                        fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_pukdf_decides, fx_objs_setup,
	                                        fx_objs_teardown),
	        cmocka_unit_test_setup_teardown(test_given_twice, fx_objs_setup, fx_objs_teardown),
	        cmocka_unit_test(test_stable),
	        cmocka_unit_test(test_bind_collide),
	};
	return cmocka_run_group_tests(tests, NULL, fx_group_teardown);
}
