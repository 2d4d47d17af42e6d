/* Unit tests of akis-vcard's card side: byte-level command/response cases per
 * profile (docs/card.md) and a random-APDU robustness run (bounded parsing:
 * every input gets a 2..246-byte answer, nothing crashes). Includes the
 * sources to reach statics; shares nothing with the module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tests/vcard/cryptoop.c"
#include "../../tests/vcard/ctl.c"
#include "../../tests/vcard/der.c"
#include "../../tests/vcard/dispatch.c"
#include "../../tests/vcard/fs.c"
#include "../../tests/vcard/image.c"
#include "../../tests/vcard/p15.c"
#include "../../tests/vcard/prov.c"
#include "../../tests/vcard/sec.c"
#include "../../tests/vcard/x509gen.c"

struct fixture {
	char dir[64];
	struct vc_card card;
};

static int setup_opts(void **state, enum vc_profile p, bool e_seal)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct vc_init_opts o = {.profile = p,
	                         .holder = "TEST",
	                         .tckn = "10000000146",
	                         .serial_hex = "000102030405060708090A0B",
	                         .e_seal = e_seal,
	                         .company = "TEST A.S.",
	                         .vkn = "0123456789"};
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/test_vcard.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	o.dir = f->dir;
	if (vc_init(&o) != 0 || !vc_image_load(&f->card, f->dir))
		return -1;
	vc_sec_reset(&f->card);
	*state = f;
	return 0;
}

static int setup_profile(void **state, enum vc_profile p)
{
	return setup_opts(state, p, false);
}

static int setup_10(void **s)
{
	return setup_profile(s, VC_AKIS_10);
}
static int setup_seal(void **s)
{
	return setup_opts(s, VC_AKIS_2, true);
}
static int setup_12(void **s)
{
	return setup_profile(s, VC_AKIS_12);
}
static int setup_2(void **s)
{
	return setup_profile(s, VC_AKIS_2);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	vc_image_free(&f->card);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Send a hex APDU, return the status word; *len gets the response length. */
static uint16_t xfer(struct fixture *f, const char *hex, size_t *len)
{
	uint8_t in[600], out[VC_RAPDU_MAX + 16];
	size_t n, m;
	assert_true(vc_hex_decode(hex, in, sizeof in, &n));
	m = vc_process(&f->card, in, n, out);
	assert_true(m >= 2 && m <= VC_RAPDU_MAX);
	if (len)
		*len = m;
	return (uint16_t)(out[m - 2] << 8 | out[m - 1]);
}

struct step {
	const char *apdu;
	uint16_t sw;
};

static void run_steps(struct fixture *f, const struct step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t got = xfer(f, s[i].apdu, NULL);
		if (got != s[i].sw)
			fail_msg("step %zu (%s): want %04X got %04X", i, s[i].apdu, s[i].sw, got);
	}
}

#define RUN(f, t) run_steps((f), (t), sizeof(t) / sizeof((t)[0]))

static const struct step common_steps[] = {
        {"00A4000C023F00", 0x9000},
        {"00A4000C02ABCD", 0x6A82},
        {"00A4000C", 0x9000},         /* P1 00 without data: the MF */
        {"00A4000C0100", 0x6A87},     /* FID of one byte */
        {"00A4080C033F003D", 0x6A87}, /* odd path */
        {"00A4050C023F00", 0x6A86},
        {"00A40001023F00", 0x6A86}, /* P2 01 */
        {"00A4040C07504B43532D3135", 0x9000},
        {"00A4020C022F10", 0x9000},
        {"00B0000010", 0x9000},
        {"00B07FFF10", 0x6B00},
        {"00B0FFFF10", 0x6A86}, /* SFI form: not on AKIS */
        {"00B00000", 0x6700},   /* READ BINARY without Le */
        {"00C0000010", 0x6985}, /* GET RESPONSE with nothing pending */
        {"00CA01064D", 0x9000},
        {"00CA010610", 0x6C4D},
        {"00CA0107FF", 0x6A88},
        {"00EE000000", 0x6D00},
        {"A0A4000C023F00", 0x6E00},
        {"00A4000C0000", 0x6700}, /* extended length */
        {"00A4000C053F00", 0x6700},
        {"00200083", 0x6A88},
        {"00200181", 0x6A86},
        {"801A0001", 0x6A86},
        {"00840000", 0x6700},
        {"0084000008", 0x9000},
        {"002A9E9A0100", 0x6985}, /* PSO without MSE */
        {"00A4000C023D00", 0x9000},
        {"002C0281053132333435", 0x6982}, /* RESET RETRY COUNTER without PUK */
        {"002C0481", 0x6A86},
        {"00B0000010", 0x6986}, /* no current EF after selecting a DF */
};

static void test_common(void **state)
{
	RUN(*state, common_steps);
}

/* akis-1.2: PINs ASCII, blocked 6984, CHANGE in the Lold/Lnew dialect. */
static const struct step steps_12[] = {
        {"00A4000C023D00", 0x9000},
        {"00200081", 0x63C3},
        {"0020008103313233", 0x6700}, /* 3 digits: wrong length, no try spent */
        {"002000810531323334FF", 0x63C2},
        {"00200081053132333435", 0x9000},
        {"00200081", 0x9000},
        {"0024020112053132333435"
         "06313131313131",
         0x6700}, /* inconsistent Lc */
        {"0024020110053132333435"
         "09313131313131313131",
         0x6A80}, /* new PIN of 9 digits */
        {"002402010E053132333435"
         "0731313131313131",
         0x9000},
        {"002402010E053132333435"
         "0731313131313131",
         0x63C2},
        {"002402010E0731313131313131"
         "053132333435",
         0x9000},
        {"0024000105313233343531", 0x6A86}, /* 2.x dialect on 1.x */
        {"0022C301", 0x9000},
        {"0022C3FF", 0x6A88},
        {"002241B606800102840181", 0x6A86},
        {"8018000000", 0x9000},
        {"801A0000", 0x9000},
        {"00200081", 0x63C3},
        {"00200082063132333435FF", 0x63C2},
        {"00200082063132333435FF", 0x63C1},
        {"00200082063132333435FF", 0x63C0},
        {"00200082", 0x6984},
        {"00200081053132333435", 0x6984}, /* PUK dead → application unusable */
};

static void test_12(void **state)
{
	struct fixture *f = *state;
	RUN(f, steps_12);
	assert_int_equal(f->card.life_cycle, 0xAA);
}

/* akis-1.0: one digit per byte. */
static const struct step steps_10[] = {
        {"00A4000C023D00", 0x9000},
        {"00200081053132333435", 0x63C2}, /* ASCII is wrong on 1.0 */
        {"00200081050102030405", 0x9000},
        {"0022C301", 0x9000},
        {"0022C303", 0x6A88}, /* 1.0 has one key */
};

static void test_10(void **state)
{
	RUN(*state, steps_10);
}

/* akis-2: blocked 6983, ISO CHANGE, MSE checks, per-signature PIN. */
static const struct step steps_2[] = {
        {"002241B606800104840181", 0x6A88}, /* MF current */
        {"00A4000C023D00", 0x9000},
        {"0022C381", 0x6A86},
        {"8018000000", 0x6D00},
        {"002241B606800102840181", 0x6A80}, /* PKCS#1 alg on an EC key */
        {"002241B606800104840185", 0x6A88},
        {"002241B6058001048401", 0x6A80},   /* truncated CRT */
        {"002241B6068001048401", 0x6700},   /* Lc larger than the data */
        {"002241B803840181", 0x6A80},       /* decipher with an EC key */
        {"002241B806800102840182", 0x6A80}, /* decipher alg must be 00 */
        {"002241B606800104840181", 0x9000},
        {"002A9E9A30"
         "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2"
         "C2D2E2F"
         "00",
         0x6982},
        {"00200081053132333435", 0x9000},
        {"002A9E9A30"
         "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2"
         "C2D2E2F"
         "00",
         0x9000},
        {"002A9E9A30"
         "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2"
         "C2D2E2F"
         "00",
         0x6982},
        {"00200081053132333435", 0x9000},
        {"00200081053132333430", 0x63C2}, /* a wrong VERIFY clears the permission */
        {"00200081053132333435", 0x9000},
        {"0024008109313233343535353535", 0x9000}, /* ISO dialect: old‖new */
        {"0024008109313233343535353535", 0x63C2},
        {"002400810935353535"
         "3132333435",
         0x9000},
        {"00240081093535353535"
         "31323334",
         0x63C2},                           /* old wrong */
        {"0024008106313233343531", 0x6A80}, /* new PIN of 1 digit */
        {"00240181", 0x6A86},
        {"0020008203313233", 0x6700},
        {"00200082063132333435FF", 0x63C2},
        {"00200082063132333435FF", 0x63C1},
        {"00200082063132333435FF", 0x63C0},
        {"00200082", 0x6983},
};

static void test_2(void **state)
{
	RUN(*state, steps_2);
}

/* E-seal (docs/card.md §4, R48): <VKN>SIGN0 signs without a per-signature
 * PIN, <VKN>ENCR0 (keyAgreement) does not sign; both PrKDF entries and both
 * CDF entries carry the same iD. */
static const struct step steps_seal[] = {
        {"00A4000C023D00", 0x9000},
        {"002A9E9A0100", 0x6985},
        {"00200081053132333435", 0x9000},
        {"002241B606800104840182", 0x6985}, /* ENCR0: no signing key */
        {"002241B606800104840181", 0x9000},
        {"002A9E9A30"
         "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
         "202122232425262728292A2B2C2D2E2F"
         "00",
         0x9000},
        {"002A9E9A30"
         "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
         "202122232425262728292A2B2C2D2E2F"
         "00",
         0x9000}, /* no userConsent: again */
};

/* An EF anywhere on the card (the e-seal's directory files are in 3D00). */
static int file_any(const struct vc_card *c, uint16_t fid)
{
	for (int i = 0; i < c->nfiles; i++)
		if (!c->files[i].is_df && c->files[i].fid == fid)
			return i;
	return -1;
}

static size_t count_id(const struct vc_card *c, uint16_t fid, const uint8_t *id)
{
	int i = file_any(c, fid);
	size_t n = 0;
	assert_true(i >= 0);
	for (size_t o = 0; o + 20 <= c->files[i].len; o++)
		n += memcmp(c->files[i].data + o, id, 20) == 0;
	return n;
}

static void test_seal(void **state)
{
	struct fixture *f = *state;
	int prkdf = file_any(&f->card, 0x4402);
	uint8_t id[20];
	const uint8_t *p;
	assert_int_equal(f->card.nkeys, 2);
	assert_int_equal(f->card.keys[0].alg, VC_EC_P384);
	assert_int_equal(f->card.keys[1].alg, VC_EC_P384);
	assert_false(f->card.keys[0].user_consent);
	assert_false(f->card.keys[1].can_sign);
	/* the first iD in the PrKDF: the OCTET STRING 04 14 after the label */
	assert_true(prkdf >= 0);
	p = memmem(f->card.files[prkdf].data, f->card.files[prkdf].len, "\x04\x14", 2);
	assert_non_null(p);
	memcpy(id, p + 2, sizeof id);
	assert_int_equal(count_id(&f->card, 0x4402, id), 2);
	assert_int_equal(count_id(&f->card, 0x4404, id), 2);
	RUN(f, steps_seal);
}

/* --e-seal is an AKIS 2.x card: any other profile is refused. */
static void test_seal_refused(void **state)
{
	char dir[] = "/tmp/test_vcard.XXXXXX";
	struct vc_init_opts o = {.profile = VC_AKIS_12,
	                         .holder = "TEST",
	                         .tckn = "10000000146",
	                         .e_seal = true,
	                         .company = "TEST A.S.",
	                         .vkn = "0123456789"};
	(void)state;
	assert_non_null(mkdtemp(dir));
	o.dir = dir;
	assert_int_not_equal(vc_init(&o), 0);
	o.profile = VC_AKIS_10;
	assert_int_not_equal(vc_init(&o), 0);
	assert_int_equal(rmdir(dir), 0); /* nothing was written */
}

/* Chaining: parts answered 9000; a different header in between → 6883. */
static void test_chaining(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(xfer(f, "10A4000C013F", NULL), 0x9000);
	assert_int_equal(xfer(f, "00A4000C0100", NULL), 0x9000); /* 3F‖00: the MF */
	assert_int_equal(xfer(f, "10A4000C013F", NULL), 0x9000);
	assert_int_equal(xfer(f, "00B0000010", NULL), 0x6883); /* chain broken */
}

/* 61xx and GET RESPONSE in pieces; Le smaller than what is left. */
static void test_get_response(void **state)
{
	struct fixture *f = *state;
	size_t len;
	assert_int_equal(xfer(f, "00A4080C043D002F10", NULL), 0x9000);
	assert_int_equal(xfer(f, "00B0000000", &len), 0x610C);
	assert_int_equal(len, 246);
	assert_int_equal(xfer(f, "00C0000005", &len), 0x6107);
	assert_int_equal(len, 7);
	assert_int_equal(xfer(f, "00C0000007", &len), 0x9000);
	assert_int_equal(len, 9);
	assert_int_equal(xfer(f, "00C0000007", NULL), 0x6985);
}

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random APDUs, biased towards real CLA/INS values: never a crash, always 2..246 bytes. */
static void test_random(void **state)
{
	static const uint8_t ins[] = {0xA4, 0xB0, 0xC0, 0xCA, 0x18, 0x20, 0x24,
	                              0x2C, 0x1A, 0x84, 0x09, 0x22, 0x2A, 0x00};
	static const uint8_t cla[] = {0x00, 0x10, 0x80, 0x90, 0xFF};
	struct fixture *f = *state;
	uint8_t in[300], out[VC_RAPDU_MAX + 16];
	uint32_t s = 0x12345678;
	/* AKIS_RANDOM_APDUS shortens it under valgrind (tests/run-sanitized) */
	const char *env = getenv("AKIS_RANDOM_APDUS");
	int rounds = env != NULL && atoi(env) > 0 ? atoi(env) : 200000;
	for (int i = 0; i < rounds; i++) {
		size_t n = rng(&s) % 270, m;
		for (size_t j = 0; j < n; j++)
			in[j] = (uint8_t)rng(&s);
		if (n > 0)
			in[0] = cla[rng(&s) % sizeof cla];
		if (n > 1)
			in[1] = ins[rng(&s) % sizeof ins];
		if (n > 5 && rng(&s) % 2)
			in[4] = (uint8_t)(n - 5 - rng(&s) % 2);
		m = vc_process(&f->card, in, n, out);
		assert_true(m >= 2 && m <= VC_RAPDU_MAX);
		if (rng(&s) % 1000 == 0)
			vc_sec_reset(&f->card);
	}
}

static void test_ctl(void **state)
{
	struct vc_ctl c;
	(void)state;
	assert_true(vc_ctl_parse("remove", &c) && c.op == VC_CTL_REMOVE);
	assert_true(vc_ctl_parse("fault 3 sw 6F00", &c) && c.op == VC_CTL_FAULT && c.nth == 3 &&
	            c.fault.kind == VC_FAULT_SW && c.fault.arg == 0x6F00);
	assert_true(vc_ctl_parse("fault 1 stall 500", &c) && c.fault.kind == VC_FAULT_STALL &&
	            c.fault.arg == 500);
	assert_true(vc_ctl_parse("fault 2 garbage 7", &c) && c.fault.kind == VC_FAULT_GARBAGE &&
	            c.fault.arg == 7);
	assert_true(vc_ctl_parse("latency 1000", &c) && c.op == VC_CTL_LATENCY && c.value == 1000);
	assert_true(vc_ctl_parse("fault+ 4 drop", &c) && c.op == VC_CTL_FAULT_ADD && c.nth == 4 &&
	            c.fault.kind == VC_FAULT_DROP);
	assert_false(vc_ctl_parse("fault+ clear", &c));
	assert_false(vc_ctl_parse("fault 0 drop", &c));
	assert_false(vc_ctl_parse("fault 1 sw", &c));
	assert_false(vc_ctl_parse("explode", &c));
	assert_false(vc_ctl_parse("", &c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ctl),
	        cmocka_unit_test_setup_teardown(test_common, setup_12, teardown),
	        cmocka_unit_test_setup_teardown(test_common, setup_2, teardown),
	        cmocka_unit_test_setup_teardown(test_12, setup_12, teardown),
	        cmocka_unit_test_setup_teardown(test_10, setup_10, teardown),
	        cmocka_unit_test_setup_teardown(test_2, setup_2, teardown),
	        cmocka_unit_test_setup_teardown(test_seal, setup_seal, teardown),
	        cmocka_unit_test(test_seal_refused),
	        cmocka_unit_test_setup_teardown(test_chaining, setup_12, teardown),
	        cmocka_unit_test_setup_teardown(test_get_response, setup_12, teardown),
	        cmocka_unit_test_setup_teardown(test_random, setup_12, teardown),
	        cmocka_unit_test_setup_teardown(test_random, setup_2, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
