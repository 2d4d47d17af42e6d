/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis-tool, the parts without a card: certificate classification (R40),
 * validity and renewal warnings, PIN/PUK warnings, JSON escaping and
 * output, safe terminal output. Certificates are made here with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../tools/akis-tool/certinfo.c"
#include "../../tools/akis-tool/json.c"
#include "../../tools/akis-tool/errors.c"
#include "../../tools/akis-tool/report.c"

#define DAY 86400L
/* A fixed "now": 2026-06-01T00:00:00Z. */
static const time_t NOW = 1780272000;

/* qcStatements { QcCompliance } and { QcSSCD } (ETSI EN 319 412-5). */
static const uint8_t QCS_COMPLIANCE[] = {0x30, 0x14, 0x30, 0x08, 0x06, 0x06, 0x04, 0x00,
                                         0x8E, 0x46, 0x01, 0x04, 0x30, 0x08, 0x06, 0x06,
                                         0x04, 0x00, 0x8E, 0x46, 0x01, 0x01};
static const uint8_t QCS_SSCD_ONLY[] = {0x30, 0x0A, 0x30, 0x08, 0x06, 0x06,
                                        0x04, 0x00, 0x8E, 0x46, 0x01, 0x04};

struct cert_spec {
	const char *org; /* subject O, NULL = none (a person) */
	const char *cn;
	const char *tckn;
	const char *ku; /* X509V3 config value, NULL = no KeyUsage */
	const uint8_t *qcs;
	size_t qcs_len;
	const char *policy; /* OID or NULL */
	bool ca;
	long from, to; /* seconds relative to NOW */
};

static EVP_PKEY *key; /* one key for all certificates: fast */

static EVP_PKEY *test_key(void)
{
	if (key == NULL)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(key);
	return key;
}

static void add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

static void add_raw_ext(X509 *x, const char *oid, const uint8_t *der, size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	assert_int_equal(ASN1_OCTET_STRING_set(os, der, (int)len), 1);
	X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
}

static void add_policy(X509 *x, const char *oid)
{
	CERTIFICATEPOLICIES *cp = CERTIFICATEPOLICIES_new();
	POLICYINFO *pi = POLICYINFO_new();
	assert_non_null(cp);
	assert_non_null(pi);
	ASN1_OBJECT_free(pi->policyid);
	pi->policyid = OBJ_txt2obj(oid, 1);
	assert_true(sk_POLICYINFO_push(cp, pi) > 0);
	assert_int_equal(X509_add1_ext_i2d(x, NID_certificate_policies, cp, 0, 0), 1);
	CERTIFICATEPOLICIES_free(cp);
}

static void set_names(X509 *x, const struct cert_spec *s)
{
	X509_NAME *sub = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(sub, "C", MBSTRING_UTF8, (const unsigned char *)"TR", -1, -1, 0);
	if (s->org != NULL)
		X509_NAME_add_entry_by_txt(sub, "O", MBSTRING_UTF8, (const unsigned char *)s->org,
		                           -1, -1, 0);
	if (s->tckn != NULL)
		X509_NAME_add_entry_by_NID(sub, NID_serialNumber, MBSTRING_UTF8,
		                           (const unsigned char *)s->tckn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(sub, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn, -1, -1,
	                           0);
	X509_NAME *iss = X509_get_issuer_name(x);
	X509_NAME_add_entry_by_txt(iss, "C", MBSTRING_UTF8, (const unsigned char *)"TR", -1, -1, 0);
	X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_UTF8,
	                           (const unsigned char *)"TEST NES Hizmet Sağlayıcı", -1, -1, 0);
}

/* DER of a certificate made from the spec (caller frees). */
static uint8_t *make_cert(const struct cert_spec *s, size_t *len)
{
	X509 *x = X509_new();
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
	time_t now = NOW;
	X509_time_adj_ex(X509_getm_notBefore(x), 0, s->from, &now);
	X509_time_adj_ex(X509_getm_notAfter(x), 0, s->to, &now);
	set_names(x, s);
	X509_set_pubkey(x, test_key());
	if (s->ku != NULL)
		add_ext(x, NID_key_usage, s->ku);
	if (s->ca)
		add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
	if (s->policy != NULL)
		add_policy(x, s->policy);
	if (s->qcs != NULL)
		add_raw_ext(x, "1.3.6.1.5.5.7.1.3", s->qcs, s->qcs_len);
	assert_true(X509_sign(x, test_key(), EVP_sha256()) > 0);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	X509_free(x);
	*len = (size_t)n;
	return der;
}

static const struct cert_spec NES = {
        NULL,
        "TEST KULLANICI ÇĞİŞÖÜ",
        "12345678901",
        "critical,digitalSignature,nonRepudiation",
        QCS_COMPLIANCE,
        sizeof(QCS_COMPLIANCE),
        "2.16.792.1.2.1.1.5.7.1.1",
        false,
        -100 * DAY,
        600 * DAY,
};

static void parse_spec(const struct cert_spec *s, struct tool_cert *c)
{
	size_t len = 0;
	uint8_t *der = make_cert(s, &len);
	memset(c, 0, sizeof(*c));
	assert_true(tool_cert_parse(der, len, c));
	OPENSSL_free(der);
}

/* ----- classification ----- */

static void test_nes_certificate(void **state)
{
	(void)state;
	struct tool_cert c;
	parse_spec(&NES, &c);
	assert_string_equal(c.holder, "TEST KULLANICI ÇĞİŞÖÜ");
	assert_string_equal(c.subject_serial, "12345678901");
	assert_string_equal(c.issuer_cn, "TEST NES Hizmet Sağlayıcı");
	assert_non_null(strstr(c.issuer, "CN=TEST NES Hizmet Sağlayıcı"));
	assert_non_null(strstr(c.subject, "serialNumber=12345678901"));
	assert_string_equal(c.serial_hex, "1234");
	assert_true(c.has_qc_statements);
	assert_true(c.qc_compliance);
	assert_int_equal(c.key_usage, TOOL_KU_DIGITAL_SIGNATURE | TOOL_KU_NON_REPUDIATION);
	assert_int_equal(c.purposes, TOOL_PURPOSE_QUALIFIED);
	assert_int_equal(c.n_policies, 1);
	assert_string_equal(c.policies[0], "2.16.792.1.2.1.1.5.7.1.1");
	assert_true(c.not_before == NOW - 100 * DAY);
	assert_true(c.not_after == NOW + 600 * DAY);
}

static void test_other_purposes(void **state)
{
	(void)state;
	struct tool_cert c;
	struct cert_spec s = NES;
	s.ku = "digitalSignature,keyEncipherment";
	s.qcs = NULL;
	parse_spec(&s, &c);
	assert_int_equal(c.purposes, TOOL_PURPOSE_AUTH | TOOL_PURPOSE_ENCRYPT);
	assert_false(c.has_qc_statements);

	/* nonRepudiation with a qcStatements that lacks QcCompliance */
	s = NES;
	s.qcs = QCS_SSCD_ONLY;
	s.qcs_len = sizeof(QCS_SSCD_ONLY);
	parse_spec(&s, &c);
	assert_true(c.has_qc_statements);
	assert_false(c.qc_compliance);
	assert_int_equal(c.purposes, TOOL_PURPOSE_SIGNATURE);

	s = NES;
	s.ku = "keyAgreement";
	parse_spec(&s, &c);
	assert_int_equal(c.purposes, TOOL_PURPOSE_ENCRYPT);

	s = NES;
	s.ku = NULL;
	parse_spec(&s, &c);
	assert_false(c.has_key_usage);
	assert_int_equal(c.purposes, TOOL_PURPOSE_ANY);

	/* R48: an organisation's seal (O, a 10-digit VKN) is an e-seal, not a
	 * person's signature; its key agreement pair stays encryption */
	s = NES;
	s.org = "TEST KURUM A.Ş.";
	s.tckn = "1234567890";
	s.qcs = NULL;
	parse_spec(&s, &c);
	assert_string_equal(c.organization, "TEST KURUM A.Ş.");
	assert_int_equal(c.purposes, TOOL_PURPOSE_ESEAL);
	s.ku = "critical,keyAgreement";
	parse_spec(&s, &c);
	assert_int_equal(c.purposes, TOOL_PURPOSE_ENCRYPT);
	assert_true(tool_cert_is_organisation(&c));
	s = NES; /* an organisation named in a person's certificate: still NES */
	s.org = "TEST KURUM A.Ş.";
	parse_spec(&s, &c);
	assert_int_equal(c.purposes, TOOL_PURPOSE_QUALIFIED);
	s.tckn = "VKN1234567890";
	parse_spec(&s, &c);
	assert_int_equal(c.purposes, TOOL_PURPOSE_ESEAL);

	s = NES;
	s.ku = "critical,keyCertSign,cRLSign";
	s.ca = true;
	s.qcs = NULL;
	parse_spec(&s, &c);
	assert_true(c.is_ca);
	assert_true(c.purposes & TOOL_PURPOSE_CA);
}

static void test_bad_der(void **state)
{
	(void)state;
	struct tool_cert c;
	size_t len = 0;
	uint8_t *der = make_cert(&NES, &len);
	memset(&c, 0, sizeof(c));
	strcpy(c.label, "keep me");
	assert_false(tool_cert_parse(der, len / 2, &c)); /* truncated */
	assert_false(c.parsed);
	assert_string_equal(c.label, "keep me");
	assert_string_equal(c.holder, "");
	static const uint8_t junk[] = {0x30, 0x82, 0xFF, 0xFF, 0x01};
	assert_false(tool_cert_parse(junk, sizeof(junk), &c));
	assert_false(tool_cert_parse(NULL, 0, &c));
	OPENSSL_free(der);
}

/* ----- warnings ----- */

static struct tool_report *new_report(void)
{
	struct tool_report *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	strcpy(r->reader, "Test Reader 00");
	r->present = r->is_akis = r->bound = true;
	r->info.profile = AKIS_PROFILE_1_2;
	strcpy(r->info.version, "1.2.2");
	r->life_cycle = TOOL_LC_USABLE;
	r->pin = (struct tool_pin_state){true, false, false, 3};
	r->puk = (struct tool_pin_state){true, false, false, 3};
	return r;
}

static void add_cert(struct tool_report *r, long from, long to)
{
	struct cert_spec s = NES;
	s.from = from;
	s.to = to;
	parse_spec(&s, &r->certs[r->n_certs++]);
}

static bool has_warning(const struct tool_report *r, enum tool_warn_code code, int cert, int other)
{
	for (size_t i = 0; i < r->n_warnings; i++)
		if (r->warnings[i].code == code && r->warnings[i].cert == cert &&
		    r->warnings[i].other == other)
			return true;
	return false;
}

static void test_no_warnings_fresh_card(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	add_cert(r, -100 * DAY, 600 * DAY);
	tool_report_warnings(r, NOW);
	assert_int_equal(r->n_warnings, 0);
	free(r);
}

static void test_expired_and_pending(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	add_cert(r, -800 * DAY, -10 * DAY); /* old, expired */
	add_cert(r, 5 * DAY, 900 * DAY);    /* new, not yet valid */
	tool_report_warnings(r, NOW);
	assert_true(has_warning(r, TOOL_W_CERT_EXPIRED, 0, -1));
	assert_true(has_warning(r, TOOL_W_CERT_NOT_YET_VALID, 1, -1));
	assert_false(has_warning(r, TOOL_W_NEW_CERT_PENDING, 0, 1)); /* old is not valid */
	assert_int_equal(r->n_warnings, 2);
	free(r);
}

static void test_old_valid_new_pending(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	add_cert(r, 20 * DAY, 900 * DAY);  /* new first on the card */
	add_cert(r, -700 * DAY, 60 * DAY); /* old, still valid */
	tool_report_warnings(r, NOW);
	assert_true(has_warning(r, TOOL_W_NEW_CERT_PENDING, 1, 0));
	assert_true(has_warning(r, TOOL_W_CERT_NOT_YET_VALID, 0, -1));
	for (size_t i = 0; i < r->n_warnings; i++)
		if (r->warnings[i].code == TOOL_W_NEW_CERT_PENDING)
			assert_true(r->warnings[i].date == NOW + 20 * DAY);

	/* both valid: the old one is still valid next to the new one */
	r->n_certs = 0;
	add_cert(r, -700 * DAY, 60 * DAY);
	add_cert(r, -1 * DAY, 900 * DAY);
	tool_report_warnings(r, NOW);
	assert_true(has_warning(r, TOOL_W_OLD_CERT_STILL_VALID, 0, 1));
	assert_false(has_warning(r, TOOL_W_OLD_CERT_STILL_VALID, 1, 0));

	/* a different holder is not a renewal */
	struct cert_spec s = NES;
	s.tckn = "98765432109";
	s.from = -1 * DAY;
	parse_spec(&s, &r->certs[1]);
	tool_report_warnings(r, NOW);
	assert_false(has_warning(r, TOOL_W_OLD_CERT_STILL_VALID, 0, 1));
	free(r);
}

static void test_expires_soon(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	add_cert(r, -300 * DAY, 10 * DAY + 3600);
	tool_report_warnings(r, NOW);
	assert_int_equal(r->n_warnings, 1);
	assert_int_equal(r->warnings[0].code, TOOL_W_CERT_EXPIRES_SOON);
	assert_int_equal(r->warnings[0].tries, 10);
	free(r);
}

static void test_pin_warnings(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	r->pin.tries_left = 1;
	tool_report_warnings(r, NOW);
	assert_true(has_warning(r, TOOL_W_PIN_TRIES_LOW, -1, -1));
	assert_int_equal(r->warnings[0].tries, 1);

	r->pin.blocked = true;
	r->pin.tries_left = 0;
	tool_report_warnings(r, NOW);
	assert_true(has_warning(r, TOOL_W_PIN_BLOCKED, -1, -1));
	assert_false(has_warning(r, TOOL_W_PIN_TRIES_LOW, -1, -1));

	r->puk.tries_left = 2;
	tool_report_warnings(r, NOW);
	assert_true(has_warning(r, TOOL_W_PUK_TRIES_LOW, -1, -1));

	r->puk.blocked = true;
	r->puk.tries_left = 0;
	tool_report_warnings(r, NOW);
	assert_true(has_warning(r, TOOL_W_PUK_BLOCKED, -1, -1));

	/* dead card: one warning, nothing about PINs */
	r->life_cycle = TOOL_LC_DEAD;
	tool_report_warnings(r, NOW);
	assert_int_equal(r->n_warnings, 1);
	assert_int_equal(r->warnings[0].code, TOOL_W_CARD_DEAD);

	/* unknown counters: no warning */
	r->life_cycle = TOOL_LC_USABLE;
	r->pin = (struct tool_pin_state){false, false, false, -1};
	r->puk = r->pin;
	tool_report_warnings(r, NOW);
	assert_int_equal(r->n_warnings, 0);
	free(r);
}

/* ----- output ----- */

static char *capture_json(const struct tool_report *r, bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;
	json_init(&j, f, pretty);
	tool_report_json(&j, r, NOW);
	assert_false(j.failed);
	assert_int_equal(j.depth, 0);
	fclose(f);
	return buf;
}

static void test_json_escape(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char in[] = "a\"b\\c\nd\x01"
	                  "e\xff"
	                  "f\xc3\xa7\x7f\xed\xa0\x80";
	json_escape(f, in, sizeof(in) - 1);
	fclose(f);
	assert_string_equal(buf,
	                    "a\\\"b\\\\c\\nd\\u0001e\\ufffdf\xc3\xa7\\u007f\\ufffd\\ufffd\\ufffd");
	free(buf);
}

static void test_json_report(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	static const uint8_t serial[] = {0x01, 0x02, 0xAB};
	memcpy(r->serial, serial, sizeof(serial));
	r->serial_len = sizeof(serial);
	add_cert(r, -800 * DAY, -10 * DAY);
	add_cert(r, 5 * DAY, 900 * DAY);
	strcpy(r->certs[0].label, "evil\"label\x1b[31m");
	r->pin.tries_left = 1;
	tool_report_warnings(r, NOW);
	char *out = capture_json(r, false);
	assert_non_null(strstr(out, "\"reader\":\"Test Reader 00\""));
	assert_non_null(strstr(out, "\"serial\":\"0102AB\""));
	assert_non_null(strstr(out, "\"profile\":\"akis-1.2\""));
	assert_non_null(strstr(out, "\"life_cycle\":\"usable\""));
	assert_non_null(strstr(out, "\"pin\":{\"tries_left\":1,\"blocked\":false"));
	assert_non_null(strstr(out, "\"label\":\"evil\\\"label\\u001b[31m\""));
	assert_non_null(strstr(out, "\"holder\":\"TEST KULLANICI ÇĞİŞÖÜ\""));
	assert_non_null(strstr(out, "\"subject_serial_number\":\"12345678901\""));
	assert_non_null(strstr(out, "\"validity\":\"expired\""));
	assert_non_null(strstr(out, "\"validity\":\"not_yet_valid\""));
	assert_non_null(strstr(out, "\"purposes\":[\"qualified_signature\"]"));
	assert_non_null(strstr(out, "\"qualified\":true"));
	assert_non_null(strstr(out, "\"key_usage\":[\"digitalSignature\",\"nonRepudiation\"]"));
	assert_non_null(strstr(out, "\"policies\":[\"2.16.792.1.2.1.1.5.7.1.1\"]"));
	/* one numbering (issue 10): from 1, as the text's "Certificate 2" */
	assert_non_null(strstr(out, "\"code\":\"cert_expired\",\"certificate\":1"));
	assert_non_null(strstr(out, "\"code\":\"cert_not_yet_valid\",\"certificate\":2"));
	assert_non_null(strstr(out, "{\"number\":1,\"label\""));
	assert_non_null(strstr(out, "{\"number\":2,\"label\""));
	assert_non_null(strstr(out, "\"code\":\"pin_tries_low\",\"certificate\":null"));
	assert_non_null(strstr(out, "\"not_before\":\"2026-06-06T00:00:00Z\""));
	assert_null(strchr(out, '\x1b'));
	free(out);

	/* an empty reader */
	memset(r, 0, sizeof(*r));
	strcpy(r->reader, "Empty");
	out = capture_json(r, true);
	assert_string_equal(out, "{\n  \"reader\": \"Empty\",\n  \"card_present\": false,\n"
	                         "  \"card\": null\n}\n");
	free(out);
	free(r);
}

static void test_text_report(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	add_cert(r, -700 * DAY, 60 * DAY);
	add_cert(r, 20 * DAY, 900 * DAY);
	strcpy(r->certs[0].issuer_cn, "X\x1b]0;pwned\x07Y");
	r->pin.blocked = true;
	r->pin.tries_left = 0;
	tool_report_warnings(r, NOW);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	tool_report_print(f, r, NOW);
	fclose(f);
	assert_non_null(strstr(buf, "Reader: Test Reader 00"));
	assert_non_null(strstr(buf, "AKİS 1.2.2 (akis-1.2)"));
	assert_non_null(strstr(buf, "PIN: BLOCKED"));
	assert_non_null(strstr(buf, "PUK: 3 tries left"));
	assert_non_null(strstr(buf, "qualified electronic signature (NES)"));
	assert_non_null(strstr(buf, "Issuer: X?]0;pwned?Y"));
	assert_non_null(strstr(buf, "Subject serial number: 12345678901"));
	assert_non_null(strstr(buf,
	                       "The PIN is blocked. If you have your PUK, unblock the PIN here "
	                       "(akis-tool unblock): 3 PUK tries left."));
	assert_null(strstr(buf, "Unblock it with your PUK"));
	assert_non_null(strstr(buf, "the new certificate can be used from 2026-06-21 00:00 UTC"));
	assert_non_null(strstr(buf, "Certificate 2 is not valid yet"));
	assert_non_null(strstr(buf, "    [2] ")); /* the same number (issue 10) */
	assert_null(strchr(buf, '\x1b'));
	assert_null(strchr(buf, '\x07'));
	free(buf);
	free(r);
}

/* R50: a blocked PIN never gets only "use your PUK". */
static void test_pin_advice(void **state)
{
	(void)state;
	struct tool_report *r = new_report();
	struct tool_pin_advice a;
	char buf[TOOL_WARN_TEXT_MAX];
	add_cert(r, -100 * DAY, 600 * DAY);
	strcpy(r->certs[0].issuer, "CN=TEST NES Hizmet,O=Example CA,C=TR");
	strcpy(r->certs[0].issuer_cn, "TEST NES Hizmet");
	r->pin = (struct tool_pin_state){true, true, false, 0};
	r->puk.tries_left = 2;

	/* not Kamu SM: the PUK here, else ask the issuer (named) */
	tool_pin_advice(r, &a);
	assert_true(a.puk_usable);
	assert_int_equal(a.puk_tries_left, 2);
	assert_false(a.issuer_kamusm);
	assert_int_equal(a.online, TOOL_ONLINE_NO);
	tool_pin_advice_text(&a, "akis-tool unblock", buf, sizeof(buf));
	assert_string_equal(buf, "The PIN is blocked. If you have your PUK, unblock the PIN here "
	                         "(akis-tool unblock): 2 PUK tries left. When the PUK tries are "
	                         "used up by wrong PUKs, the card is unusable for good. Without "
	                         "the PUK, ask the provider that issued your certificate (TEST "
	                         "NES Hizmet) how to unblock the PIN.");

	/* Kamu SM on AKİS 1.2: "possible", conditional on the issue date */
	assert_true(tool_issuer_is_kamusm("CN=Kamu SM NES Hizmet Saglayicisi - Surum 3,OU=Kamu "
	                                  "Sertifikasyon Merkezi - Kamu SM,O=TUBITAK,C=TR"));
	assert_true(tool_issuer_is_kamusm("O=kamu sertifikasyon merkezi"));
	assert_false(tool_issuer_is_kamusm("CN=E-Tugra NES,O=E-Tugra,C=TR"));
	assert_false(tool_issuer_is_kamusm(""));
	strcpy(r->certs[0].issuer, "CN=NES Hizmet Saglayici S2,O=Kamu Sertifikasyon Merkezi,C=TR");
	strcpy(r->certs[0].issuer_cn, "NES Hizmet Saglayici S2");
	tool_pin_advice(r, &a);
	assert_true(a.issuer_kamusm);
	assert_int_equal(a.online, TOOL_ONLINE_POSSIBLE);
	tool_pin_advice_text(&a, "X", buf, sizeof(buf));
	assert_non_null(strstr(buf, "if this card was issued on or after 1 January 2011"));
	assert_non_null(strstr(buf, "\"Kilit Çözme\""));
	assert_non_null(strstr(buf, "older cards need the PUK"));
	assert_non_null(strstr(buf, "based on: certificate issuer NES Hizmet Saglayici S2, card "
	                            "AKİS 1.2.2"));
	assert_non_null(strstr(buf, "unblock the PIN here (X): 2 PUK tries left"));

	/* Kamu SM on AKİS 2: "likely" */
	r->info.profile = AKIS_PROFILE_2;
	strcpy(r->info.version, "2.5.2");
	tool_pin_advice(r, &a);
	assert_int_equal(a.online, TOOL_ONLINE_LIKELY);
	assert_string_equal(tool_online_unblock_name(a.online), "likely");
	tool_pin_advice_text(&a, "X", buf, sizeof(buf));
	assert_non_null(strstr(buf, "This card is very likely one of them (based on: certificate "
	                            "issuer NES Hizmet Saglayici S2, card AKİS 2.5.2"));

	/* the PUK blocked too: said so, the online way still offered */
	r->puk = (struct tool_pin_state){true, true, false, 0};
	tool_pin_advice(r, &a);
	assert_false(a.puk_usable);
	tool_pin_advice_text(&a, "X", buf, sizeof(buf));
	assert_non_null(strstr(buf, "The PUK is blocked too"));
	assert_null(strstr(buf, "unblock the PIN here"));
	assert_non_null(strstr(buf, "Kilit"));

	/* the JSON carries it for scripts */
	r->puk = (struct tool_pin_state){true, false, false, 3};
	tool_report_warnings(r, NOW);
	char *out = capture_json(r, false);
	assert_non_null(strstr(out, "\"code\":\"pin_blocked\""));
	assert_non_null(strstr(out, "\"advice\":{\"puk_unblock\":true,\"puk_tries_left\":3,"
	                            "\"online_unblock\":\"likely\",\"issuer_kamusm\":true,"));
	free(out);
	free(r);
}

static void test_rv_table(void **state)
{
	(void)state;
	assert_int_equal(tool_exit_from_rv(AKIS_OK), TOOL_EXIT_OK);
	assert_int_equal(tool_exit_from_rv(AKIS_ERR_NO_SERVICE), TOOL_EXIT_NO_CARD);
	assert_int_equal(tool_exit_from_rv(AKIS_ERR_REMOVED), TOOL_EXIT_NO_CARD);
	assert_int_equal(tool_exit_from_rv(AKIS_ERR_PIN_INCORRECT), TOOL_EXIT_WRONG_PIN);
	assert_int_equal(tool_exit_from_rv(AKIS_ERR_PIN_BLOCKED), TOOL_EXIT_BLOCKED);
	assert_int_equal(tool_exit_from_rv(AKIS_ERR_DEAD), TOOL_EXIT_DEAD);
	assert_int_equal(tool_exit_from_rv(AKIS_ERR_PIN_LEN), TOOL_EXIT_USAGE);
	assert_int_equal(tool_exit_from_rv(AKIS_ERR_COMM), TOOL_EXIT_ERROR);
	for (int rv = AKIS_OK; rv <= AKIS_ERR_DEAD; rv++) {
		assert_string_not_equal(tool_rv_code((akis_rv)rv), "unknown");
		assert_true(tool_rv_text((akis_rv)rv)[0] != '\0');
	}
	for (int c = TOOL_W_CARD_DEAD; c <= TOOL_W_OLD_CERT_STILL_VALID; c++)
		assert_string_not_equal(tool_warn_code_name((enum tool_warn_code)c), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_nes_certificate),
	        cmocka_unit_test(test_other_purposes),
	        cmocka_unit_test(test_bad_der),
	        cmocka_unit_test(test_no_warnings_fresh_card),
	        cmocka_unit_test(test_expired_and_pending),
	        cmocka_unit_test(test_old_valid_new_pending),
	        cmocka_unit_test(test_expires_soon),
	        cmocka_unit_test(test_pin_warnings),
	        cmocka_unit_test(test_json_escape),
	        cmocka_unit_test(test_json_report),
	        cmocka_unit_test(test_text_report),
	        cmocka_unit_test(test_rv_table),
	        cmocka_unit_test(test_pin_advice),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	EVP_PKEY_free(key);
	return failed;
}
