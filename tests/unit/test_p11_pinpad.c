/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * R19, through the whole C_* path: a PIN-pad reader (PC/SC part 10
 * FEATURE_VERIFY_PIN_DIRECT) gives CKF_PROTECTED_AUTHENTICATION_PATH and
 * C_Login with a NULL PIN verifies on the pad; cancel and timeout give
 * CKR_FUNCTION_CANCELED, a wrong PIN CKR_PIN_INCORRECT with the flags
 * following the card; a reader without the feature refuses a NULL PIN with
 * CKR_ARGUMENTS_BAD before any APDU.
 *
 * The seam: this binary defines apdu/pcsc.h itself (one reader with an
 * AKİS 1.2 card, always present), so libakis-core.a's pcsc.o is not linked
 * and pkcs11/ connects to a scripted card (apdu/script.h), whose script
 * holds the APDUs and the reader control exchanges (SCardControl) in the
 * order the card and reader must see them.
 */
#include "akis_fixture.h"

#include <unistd.h>

#include "../../apdu/pcsc.h"
#include "../../pkcs11/entry.h"

/* PC/SC part 10 §2.2: FEATURE_VERIFY_PIN_DIRECT 06, _MODIFY_PIN_DIRECT 07,
 * FEATURE_IFD_PIN_PROPERTIES 0A; the codes are the reader's choice. */
#define CTL_VERIFY 0x42330006u
#define CTL_MODIFY 0x42330007u
#define FEATURES_PAD "0604" "42330006" "0704" "42330007" "0A04" "4233000A"
#define FEATURES_NO_PAD "0A04" "4233000A" /* a reader with features, none for PINs */

/* PIN_VERIFY_STRUCTURE (PC/SC part 10 §2.5.2) for the AODF of img_make_1x:
 * timeouts 00 00, bmFormatString 82 (bytes, ASCII), block 00, length format
 * 00, wPINMaxExtraDigit min.max LE, validation 02 (OK key), 1 message,
 * wLangId 0409 LE, msg index 00, TeoPrologue 000000, ulDataLength 5 LE,
 * abData VERIFY header 00 20 00 ref + Lc 00 (the reader fills the PIN in). */
#define PVS_USER "0000820000" "0804" "0201" "0904" "00" "000000" "05000000" "0020008100"
#define PVS_SO "0000820000" "0806" "0201" "0904" "00" "000000" "05000000" "0020008200"

static EVP_PKEY *g_rsa;
static struct img g_img;
static char g_conf[64];

/* ----- the fake PC/SC layer: one reader, one scripted card ----- */

struct apdu_pcsc {
	int unused;
};

static struct sb g_sb;            /* the script the next connection gets */
static struct apdu_card *g_card;  /* the last connected card (owned by pkcs11/) */
static int g_connects;

apdu_rv apdu_pcsc_open(struct apdu_pcsc **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? APDU_OK : APDU_ERR_NO_MEMORY;
}

void apdu_pcsc_close(struct apdu_pcsc *pc)
{
	free(pc);
}

void apdu_pcsc_forget(struct apdu_pcsc *pc)
{
	free(pc);
}

bool apdu_pcsc_valid(struct apdu_pcsc *pc)
{
	return pc != NULL;
}

static size_t hex_bytes(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	for (; *hex != '\0' && n < cap; hex++) {
		if (*hex == ' ')
			continue;
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		hex++;
	}
	return n;
}

apdu_rv apdu_pcsc_readers(struct apdu_pcsc *pc, struct apdu_reader *out, size_t cap, size_t *n)
{
	assert_non_null(pc);
	assert_true(cap >= 1);
	memset(&out[0], 0, sizeof(out[0]));
	snprintf(out[0].name, sizeof(out[0].name), "Fake PINPad Reader 00 00");
	out[0].state = APDU_STATE_PRESENT;
	out[0].event_counter = 1;
	out[0].atr_len = hex_bytes(ATR_12, out[0].atr, sizeof(out[0].atr));
	*n = 1;
	return APDU_OK;
}

apdu_rv apdu_pcsc_wait(struct apdu_pcsc *pc, const struct apdu_reader *known, size_t n,
		       long timeout_ms)
{
	(void)pc;
	(void)known;
	(void)n;
	(void)timeout_ms;
	return APDU_ERR_TIMEOUT;
}

void apdu_pcsc_cancel(struct apdu_pcsc *pc)
{
	(void)pc;
}

apdu_rv apdu_pcsc_connect(struct apdu_pcsc *pc, const char *reader, struct apdu_card **out)
{
	assert_non_null(pc);
	assert_string_equal(reader, "Fake PINPad Reader 00 00");
	*out = apdu_script_open(g_sb.steps, g_sb.n, ATR_12);
	assert_non_null(*out);
	g_card = *out;
	g_connects++;
	return APDU_OK;
}

/* ----- script pieces ----- */

static void sb_ctl(struct sb *s, uint32_t code, const char *in, const char *out)
{
	char cmd[2 * APDU_RAW_MAX + 32];

	snprintf(cmd, sizeof(cmd), "ctl:%08X %s", (unsigned)code, in);
	sb_step(s, cmd, "%s", out);
}

/* Binding: identity, the reader's features (akis_bind_tx asks after the
 * identity), the PKCS#15 files, the certificate, both PIN counters without
 * data (R18). features NULL: no control step at all (a reader driver that
 * answers no control code). */
static void script_bind(struct sb *s, const char *features, const char *user_sw)
{
	sb_identity(s, 0xA5);
	if (features != NULL)
		sb_ctl(s, APDU_PCSC_GET_FEATURE_REQUEST, "", features);
	sb_file(s, "2F00", g_img.efdir, g_img.efdir_len);
	sb_file(s, "3D005031", g_img.odf, g_img.odf_len);
	sb_file(s, "3D005032", g_img.ti, g_img.ti_len);
	sb_file(s, "3D004401", g_img.aodf, g_img.aodf_len);
	sb_file(s, "3D004402", g_img.prkdf, g_img.prkdf_len);
	sb_file(s, "3D004404", g_img.cdf, g_img.cdf_len);
	sb_file(s, "3D002F10", g_img.cert[0], g_img.cert_len[0]);
	sb_step(s, "00200081", "%s", user_sw);
	sb_step(s, "00200082", "63C3");
}

static void script_assert_done(void)
{
	assert_non_null(g_card);
	if (!apdu_script_done(g_card))
		fail_msg("script: %s (pos %zu)", apdu_script_error(g_card),
			 apdu_script_pos(g_card));
}

static void script_assert_at(size_t pos)
{
	assert_non_null(g_card);
	assert_string_equal(apdu_script_error(g_card), "");
	assert_int_equal(apdu_script_pos(g_card), pos);
}

/* C_Initialize, the one slot, its token info (binds: the script so far). */
static CK_SLOT_ID open_module(CK_TOKEN_INFO *ti)
{
	CK_SLOT_ID slots[4];
	CK_ULONG n = 4;

	g_card = NULL;
	g_connects = 0;
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	assert_int_equal(C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(C_GetTokenInfo(slots[0], ti), CKR_OK);
	assert_int_equal(g_connects, 1);
	return slots[0];
}

static CK_SESSION_HANDLE open_session(CK_SLOT_ID slot, CK_FLAGS extra)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	assert_int_equal(C_OpenSession(slot, CKF_SERIAL_SESSION | extra, NULL, NULL, &h), CKR_OK);
	return h;
}

static CK_FLAGS token_flags(CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;

	assert_int_equal(C_GetTokenInfo(slot, &ti), CKR_OK);
	return ti.flags;
}

static void close_module(void)
{
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	sb_free(&g_sb);
}

#define PIN_FLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)

/* ----- tests ----- */

/* R19: the flag, then C_Login(CKU_USER, NULL, 0) on the pad: 9000 → CKR_OK,
 * logged in token-wide; C_Logout clears the card's state (R22). */
static void test_pad_login_ok(void **state)
{
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO si;
	(void)state;

	script_bind(&g_sb, FEATURES_PAD, "63C3");
	sb_step(&g_sb, "00A4080C023D00", "9000"); /* each transaction selects DF 3D00 (R34) */
	sb_ctl(&g_sb, CTL_VERIFY, PVS_USER, "9000");
	sb_step(&g_sb, "00200081", "9000"); /* tries after the PIN operation */
	sb_step(&g_sb, "00A4080C023D00", "9000"); /* each transaction selects DF 3D00 (R34) */
	sb_step(&g_sb, "801A0000", "9000"); /* C_Logout */
	CK_SLOT_ID slot = open_module(&ti);
	assert_true(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
	assert_int_equal(ti.flags & PIN_FLAGS, 0);
	CK_SESSION_HANDLE h = open_session(slot, 0), h2 = open_session(slot, 0);
	assert_int_equal(C_Login(h, CKU_USER, NULL, 0), CKR_OK);
	assert_int_equal(C_GetSessionInfo(h2, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_USER_FUNCTIONS); /* R17 */
	assert_int_equal(token_flags(slot) & PIN_FLAGS, 0);
	assert_int_equal(C_Login(h, CKU_USER, NULL, 0), CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(C_Logout(h2), CKR_OK);
	script_assert_done();
	close_module();
}

/* R19: what the pad answers → CK_RV and flags. 6400 timeout, 6401 cancel
 * (PC/SC part 10 §2.5.2 / CCID: the reader's own status words) spend no try. */
static void test_pad_results(void **state)
{
	static const struct {
		const char *pad_sw, *status_sw;
		CK_RV rv;
		CK_FLAGS flags;
	} cases[] = {
		{"6400", "63C3", CKR_FUNCTION_CANCELED, 0},
		{"6401", "63C3", CKR_FUNCTION_CANCELED, 0},
		{"63C2", "63C2", CKR_PIN_INCORRECT, CKF_USER_PIN_COUNT_LOW},
		{"63C1", "63C1", CKR_PIN_INCORRECT, CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY},
		{"6984", "6984", CKR_PIN_LOCKED, CKF_USER_PIN_LOCKED},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_TOKEN_INFO ti;
		CK_SESSION_INFO si;

		script_bind(&g_sb, FEATURES_PAD, "63C3");
		sb_step(&g_sb, "00A4080C023D00", "9000"); /* each transaction selects DF 3D00 (R34) */
		sb_ctl(&g_sb, CTL_VERIFY, PVS_USER, cases[i].pad_sw);
		sb_step(&g_sb, "00200081", "%s", cases[i].status_sw);
		CK_SLOT_ID slot = open_module(&ti);
		CK_SESSION_HANDLE h = open_session(slot, 0);
		assert_int_equal(C_Login(h, CKU_USER, NULL, 0), cases[i].rv);
		assert_int_equal(C_GetSessionInfo(h, &si), CKR_OK);
		assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
		assert_int_equal(token_flags(slot) & PIN_FLAGS, cases[i].flags);
		script_assert_done();
		close_module();
	}
}

/* A PIN known locked: CKR_PIN_LOCKED without asking the pad (R18). */
static void test_pad_locked_no_exchange(void **state)
{
	CK_TOKEN_INFO ti;
	(void)state;

	script_bind(&g_sb, FEATURES_PAD, "6984");
	CK_SLOT_ID slot = open_module(&ti);
	assert_true(ti.flags & CKF_USER_PIN_LOCKED);
	CK_SESSION_HANDLE h = open_session(slot, 0);
	assert_int_equal(C_Login(h, CKU_USER, NULL, 0), CKR_PIN_LOCKED);
	script_assert_done();
	close_module();
}

/* On a PIN-pad reader an application may still pass the PIN (PKCS#11 2.40
 * §5.6 C_Login): an ordinary VERIFY, no control exchange. */
static void test_pad_reader_keyboard_pin(void **state)
{
	CK_TOKEN_INFO ti;
	(void)state;

	script_bind(&g_sb, FEATURES_PAD, "63C3");
	sb_step(&g_sb, "00A4080C023D00", "9000"); /* each transaction selects DF 3D00 (R34) */
	sb_step(&g_sb, "00200081053132333435", "9000");
	sb_step(&g_sb, "00200081", "9000");
	sb_step(&g_sb, "00A4080C023D00", "9000"); /* each transaction selects DF 3D00 (R34) */
	sb_step(&g_sb, "801A0000", "9000"); /* the last session closed (R22) */
	CK_SLOT_ID slot = open_module(&ti);
	CK_SESSION_HANDLE h = open_session(slot, 0);
	assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "12345", 5), CKR_OK);
	assert_int_equal(C_CloseSession(h), CKR_OK);
	script_assert_done();
	close_module();
}

/* The PUK on the pad: C_Login(CKU_SO, NULL) sends the structure for ref 82
 * with the PUK's own length range. */
static void test_pad_so_login(void **state)
{
	CK_TOKEN_INFO ti;
	(void)state;

	script_bind(&g_sb, FEATURES_PAD, "63C3");
	sb_step(&g_sb, "00A4080C023D00", "9000"); /* each transaction selects DF 3D00 (R34) */
	sb_ctl(&g_sb, CTL_VERIFY, PVS_SO, "9000");
	sb_step(&g_sb, "00200082", "9000");
	sb_step(&g_sb, "00A4080C023D00", "9000"); /* each transaction selects DF 3D00 (R34) */
	sb_step(&g_sb, "801A0000", "9000");
	CK_SLOT_ID slot = open_module(&ti);
	CK_SESSION_HANDLE h = open_session(slot, CKF_RW_SESSION);
	assert_int_equal(C_Login(h, CKU_SO, NULL, 0), CKR_OK);
	assert_int_equal(C_Logout(h), CKR_OK);
	script_assert_done();
	close_module();
}

/* R19: no FEATURE_VERIFY_PIN_DIRECT → no flag, a NULL PIN is
 * CKR_ARGUMENTS_BAD and nothing reaches the card or the reader. Both a
 * reader with other features and one that answers no control code. */
static void test_no_pad(void **state)
{
	static const char *const features[] = {FEATURES_NO_PAD, NULL};
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		CK_TOKEN_INFO ti;

		script_bind(&g_sb, features[i], "63C3");
		size_t bound = g_sb.n;
		CK_SLOT_ID slot = open_module(&ti);
		assert_false(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
		CK_SESSION_HANDLE h = open_session(slot, CKF_RW_SESSION);
		assert_int_equal(C_Login(h, CKU_USER, NULL, 0), CKR_ARGUMENTS_BAD);
		assert_int_equal(C_Login(h, CKU_SO, NULL, 0), CKR_ARGUMENTS_BAD);
		assert_int_equal(C_Login(h, CKU_USER, NULL, 5), CKR_ARGUMENTS_BAD);
		script_assert_at(bound);
		script_assert_done();
		close_module();
	}
}

/* The scripted control itself (apdu/script.h): order, code and input are
 * checked; a mismatch fails the exchange and is reported. */
static void test_script_control(void **state)
{
	uint8_t out[16];
	size_t len = 0;
	uint16_t sw = 0;
	struct apdu get = {0x00, 0x84, 0x00, 0x00, NULL, 0, 8};
	uint8_t rnd[8];
	(void)state;

	sb_ctl(&g_sb, CTL_MODIFY, "0102", "9000");
	sb_step(&g_sb, "0084000008", "11223344556677889000");
	struct apdu_card *c = apdu_script_open(g_sb.steps, g_sb.n, NULL);
	assert_non_null(c);
	/* an APDU where the script expects a control exchange */
	assert_int_equal(apdu_transmit(c, &get, rnd, sizeof(rnd), &len, &sw), APDU_ERR_COMM);
	assert_non_null(strstr(apdu_script_error(c), "expected ctl 42330007 0102 got 0084000008"));
	apdu_card_close(c);
	c = apdu_script_open(g_sb.steps, g_sb.n, NULL);
	/* wrong code, then wrong input */
	assert_int_equal(apdu_control(c, CTL_VERIFY, (const uint8_t *)"\x01\x02", 2, out,
				      sizeof(out), &len),
			 APDU_ERR_COMM);
	assert_non_null(strstr(apdu_script_error(c), "got ctl 42330006 0102"));
	apdu_card_close(c);
	c = apdu_script_open(g_sb.steps, g_sb.n, NULL);
	assert_int_equal(apdu_control(c, CTL_MODIFY, (const uint8_t *)"\x01\x03", 2, out,
				      sizeof(out), &len),
			 APDU_ERR_COMM);
	apdu_card_close(c);
	c = apdu_script_open(g_sb.steps, g_sb.n, NULL);
	assert_int_equal(apdu_control(c, CTL_MODIFY, (const uint8_t *)"\x01\x02", 2, out,
				      sizeof(out), &len),
			 APDU_OK);
	assert_int_equal(len, 2);
	assert_int_equal(out[0], 0x90);
	assert_int_equal(apdu_transmit(c, &get, rnd, sizeof(rnd), &len, &sw), APDU_OK);
	assert_int_equal(sw, 0x9000);
	assert_true(apdu_script_done(c));
	/* past the end */
	assert_int_equal(apdu_control(c, CTL_MODIFY, NULL, 0, out, sizeof(out), &len),
			 APDU_ERR_COMM);
	assert_non_null(strstr(apdu_script_error(c), "past the end of the script, got ctl"));
	apdu_card_close(c);
	sb_free(&g_sb);
	/* a script without control steps: a reader without control codes */
	sb_step(&g_sb, "0084000008", "11223344556677889000");
	c = apdu_script_open(g_sb.steps, g_sb.n, NULL);
	assert_int_equal(apdu_control(c, CTL_MODIFY, NULL, 0, out, sizeof(out), &len),
			 APDU_ERR_NOT_SUPPORTED);
	assert_int_equal(apdu_script_pos(c), 0);
	assert_string_equal(apdu_script_error(c), "");
	apdu_card_close(c);
	sb_free(&g_sb);
}

static int setup(void **state)
{
	FILE *f;
	(void)state;

	g_rsa = test_key(false, 2048);
	img_make_1x(&g_img, g_rsa, false, false);
	/* no on-disk cache: every binding reads the card the same way */
	snprintf(g_conf, sizeof(g_conf), "/tmp/akis-pinpad-%ld.conf", (long)getpid());
	f = fopen(g_conf, "w");
	assert_non_null(f);
	fputs("cache = off\n", f);
	fclose(f);
	setenv("AKIS_CONF", g_conf, 1);
	return 0;
}

/* After a failed assertion the module may still be initialised: the next
 * test must not inherit it. */
static int teardown_each(void **state)
{
	(void)state;
	(void)C_Finalize(NULL);
	sb_free(&g_sb);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(g_conf);
	img_free(&g_img);
	EVP_PKEY_free(g_rsa);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_script_control, teardown_each),
		cmocka_unit_test_teardown(test_pad_login_ok, teardown_each),
		cmocka_unit_test_teardown(test_pad_results, teardown_each),
		cmocka_unit_test_teardown(test_pad_locked_no_exchange, teardown_each),
		cmocka_unit_test_teardown(test_pad_reader_keyboard_pin, teardown_each),
		cmocka_unit_test_teardown(test_pad_so_login, teardown_each),
		cmocka_unit_test_teardown(test_no_pad, teardown_each),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
