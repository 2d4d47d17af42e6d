/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * R19, through the whole C_* path: a PIN-pad reader (PC/SC part 10
 * FEATURE_VERIFY_PIN_DIRECT) gives CKF_PROTECTED_AUTHENTICATION_PATH and
 * C_Login with a NULL PIN verifies on the pad; cancel and timeout give
 * CKR_FUNCTION_CANCELED, a wrong PIN CKR_PIN_INCORRECT with the flags
 * following the card; a reader without the feature refuses a NULL PIN with
 * CKR_ARGUMENTS_BAD before any APDU.
 *
 * The same for C_SetPIN(NULL, NULL) and C_InitPIN(NULL) over
 * FEATURE_MODIFY_PIN_DIRECT (PKCS#11 2.40 §5.6): the PIN_MODIFY_STRUCTURE
 * (PC/SC part 10 §2.5.3) byte for byte per card profile, what the pad
 * answers, the tries read again without spending one, and the refusals
 * (no modify feature, a 1.x card with variable-length PINs) before any
 * exchange.
 *
 * The seam: this binary defines apdu/pcsc.h itself (one reader with an
 * AKİS card of g_prof's profile, always present), so libakis-core.a's pcsc.o is not linked
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
#define FEATURES_PAD                                                                               \
	"0604"                                                                                     \
	"42330006"                                                                                 \
	"0704"                                                                                     \
	"42330007"                                                                                 \
	"0A04"                                                                                     \
	"4233000A"
#define FEATURES_NO_PAD                                                                            \
	"0A04"                                                                                     \
	"4233000A" /* a reader with features, none for PINs */

/* PIN_VERIFY_STRUCTURE (PC/SC part 10 §2.5.2) for the AODF of img_make_1x:
 * timeouts 00 00, bmFormatString 82 (bytes, ASCII), block 00, length format
 * 00, wPINMaxExtraDigit min.max LE, validation 02 (OK key), 1 message,
 * wLangId 0409 LE, msg index 00, TeoPrologue 000000, ulDataLength 5 LE,
 * abData VERIFY header 00 20 00 ref + Lc 00 (the reader fills the PIN in). */
#define PVS_USER                                                                                   \
	"0000820000"                                                                               \
	"0804"                                                                                     \
	"0201"                                                                                     \
	"0904"                                                                                     \
	"00"                                                                                       \
	"000000"                                                                                   \
	"05000000"                                                                                 \
	"0020008100"
#define PVS_SO                                                                                     \
	"0000820000"                                                                               \
	"0806"                                                                                     \
	"0201"                                                                                     \
	"0904"                                                                                     \
	"00"                                                                                       \
	"000000"                                                                                   \
	"05000000"                                                                                 \
	"0020008200"

/* PIN_MODIFY_STRUCTURE (PC/SC part 10 §2.5.3), field by field:
 * bTimerOut 00, bTimerOut2 00, bmFormatString (82 ASCII, 80 one digit a
 * byte), bmPINBlockString (block size, 00 = variable), bmPINLengthFormat 00,
 * bInsertionOffsetOld, bInsertionOffsetNew, wPINMaxExtraDigit min.max LE,
 * bConfirmPIN (03 current + new twice, 01 new twice), validation 02,
 * bNumberMessage (3 / 2), wLangId 0409 LE, bMsgIndex1..3 00 01 02,
 * TeoPrologue 000000, ulDataLength LE, abData. */
#define FF8 "FFFFFFFFFFFFFFFF"
/* 1.x, user PIN padded to 8 with FF: 00 24 02 01 Lc=18 | 08 old(8) | 08 new(8),
 * blocks at data offsets 1 and 10 */
#define PMS_12P_USER                                                                               \
	"0000820800010A"                                                                           \
	"0804"                                                                                     \
	"030203"                                                                                   \
	"0904"                                                                                     \
	"000102"                                                                                   \
	"000000"                                                                                   \
	"17000000"                                                                                 \
	"0024020112"                                                                               \
	"08" FF8 "08" FF8
#define PMS_10P_USER                                                                               \
	"0000800800010A"                                                                           \
	"0804"                                                                                     \
	"030203"                                                                                   \
	"0904"                                                                                     \
	"000102"                                                                                   \
	"000000"                                                                                   \
	"17000000"                                                                                 \
	"0024020112"                                                                               \
	"08" FF8 "08" FF8
/* 2.x, variable length: both at offset 0 (the reader appends new to old, sets Lc) */
#define PMS_2_USER                                                                                 \
	"00008200000000"                                                                           \
	"0804"                                                                                     \
	"030203"                                                                                   \
	"0904"                                                                                     \
	"000102"                                                                                   \
	"000000"                                                                                   \
	"05000000"                                                                                 \
	"0024008100"
#define PMS_2_SO                                                                                   \
	"00008200000000"                                                                           \
	"0806"                                                                                     \
	"030203"                                                                                   \
	"0904"                                                                                     \
	"000102"                                                                                   \
	"000000"                                                                                   \
	"05000000"                                                                                 \
	"0024008200"
/* 2.x, padded: old‖new as two 8-byte blocks at 0 and 8, Lc 16 */
#define PMS_2P_USER                                                                                \
	"00008208000008"                                                                           \
	"0804"                                                                                     \
	"030203"                                                                                   \
	"0904"                                                                                     \
	"000102"                                                                                   \
	"000000"                                                                                   \
	"15000000"                                                                                 \
	"0024008110" FF8 FF8
/* RESET RETRY COUNTER 00 2C 02 81: only the new PIN, typed twice */
#define PMS_12_RESET                                                                               \
	"00008200000000"                                                                           \
	"0804"                                                                                     \
	"010202"                                                                                   \
	"0904"                                                                                     \
	"000102"                                                                                   \
	"000000"                                                                                   \
	"05000000"                                                                                 \
	"002C028100"
#define PMS_10_RESET                                                                               \
	"00008000000000"                                                                           \
	"0804"                                                                                     \
	"010202"                                                                                   \
	"0904"                                                                                     \
	"000102"                                                                                   \
	"000000"                                                                                   \
	"05000000"                                                                                 \
	"002C028100"
#define PMS_2P_RESET                                                                               \
	"00008208000000"                                                                           \
	"0804"                                                                                     \
	"010202"                                                                                   \
	"0904"                                                                                     \
	"000102"                                                                                   \
	"000000"                                                                                   \
	"0D000000"                                                                                 \
	"002C028108" FF8

#define FEATURES_VERIFY_ONLY                                                                       \
	"0604"                                                                                     \
	"42330006"                                                                                 \
	"0A04"                                                                                     \
	"4233000A"

static EVP_PKEY *g_rsa, *g_ec;
static struct img g_img, g_img12p, g_img10, g_img10p, g_img2, g_img2p;
static char g_conf[64], g_log[64];

/* The card in the fake reader. */
struct prof {
	const char *name, *atr;
	const struct img *img;
	bool v2;
	const char *puk_verify; /* VERIFY of the PUK 123456 as the card encodes it */
	const char *blocked_sw;
};

static const struct prof prof_12 = {"akis-1.2", ATR_12, &g_img, false, "0020008206313233343536",
                                    "6984"};
static const struct prof prof_12p = {"akis-1.2 padded",        ATR_12, &g_img12p, false,
                                     "0020008206313233343536", "6984"};
static const struct prof prof_10 = {"akis-1.0", ATR_10, &g_img10, false, "0020008206010203040506",
                                    "6984"};
static const struct prof prof_10p = {"akis-1.0 padded",        ATR_10, &g_img10p, false,
                                     "0020008206010203040506", "6984"};
static const struct prof prof_2 = {"akis-2", ATR_2, &g_img2, true, "0020008206313233343536",
                                   "6983"};
static const struct prof prof_2p = {"akis-2 padded",          ATR_2, &g_img2p, true,
                                    "0020008206313233343536", "6983"};
static const struct prof *g_prof = &prof_12;

/* ----- the fake PC/SC layer: one reader, one scripted card ----- */

#include "fake_pcsc.h"

static struct sb g_sb;           /* the script the next connection gets */
static struct apdu_card *g_card; /* the last connected card (owned by pkcs11/) */
static int g_connects;

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
	out[0].atr_len = hex_bytes(g_prof->atr, out[0].atr, sizeof(out[0].atr));
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

apdu_rv apdu_pcsc_connect(const char *reader, struct apdu_card **out)
{
	assert_string_equal(reader, "Fake PINPad Reader 00 00");
	*out = apdu_script_open(g_sb.steps, g_sb.n, g_prof->atr);
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
	const struct img *im = g_prof->img;

	sb_identity(s);
	if (features != NULL)
		sb_ctl(s, APDU_PCSC_GET_FEATURE_REQUEST, "", features);
	if (g_prof->v2) { /* no EF.DIR: DF 3D00 by name [C] */
		sb_missing(s, "2F00");
		sb_step(s, "00A4040007504B43532D313500",
		        "6F07820138"
		        "83023D00"
		        "9000");
	} else {
		sb_file(s, "2F00", im->efdir, im->efdir_len);
	}
	sb_file(s, "3D005031", im->odf, im->odf_len);
	sb_file(s, "3D005032", im->ti, im->ti_len);
	sb_file(s, "3D004401", im->aodf, im->aodf_len);
	sb_file(s, "3D004402", im->prkdf, im->prkdf_len);
	if (im->pukdf_len > 0)
		sb_file(s, "3D004403", im->pukdf, im->pukdf_len);
	sb_file(s, "3D004404", im->cdf, im->cdf_len);
	sb_file(s, "3D002F10", im->cert[0], im->cert_len[0]);
	if (im->cert[1] != NULL)
		sb_file(s, "3D002F11", im->cert[1], im->cert_len[1]);
	sb_step(s, "00200081", "%s", user_sw);
	sb_step(s, "00200082", "63C3");
}

/* C_Login(CKU_SO) with the PUK from the keyboard: VERIFY; its 9000 says the
 * counter is full again (no status query after it, issue 9). */
static void script_so_login(struct sb *s)
{
	sb_step(s, "00A4080C023D00", "9000"); /* each transaction selects DF 3D00 (R34) */
	sb_step(s, g_prof->puk_verify, "9000");
}

static void script_logout(struct sb *s)
{
	sb_step(s, "00A4080C023D00", "9000");
	sb_step(s, "801A0000", "9000");
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
#define SO_FLAGS  (CKF_SO_PIN_COUNT_LOW | CKF_SO_PIN_FINAL_TRY | CKF_SO_PIN_LOCKED)

/* The module's log (conf: debug = pin,apdu), since log_clear. */
static bool log_has(const char *needle)
{
	size_t cap = 1u << 22, n;
	char *buf = malloc(cap);
	FILE *f = fopen(g_log, "r");
	bool found;

	assert_non_null(buf);
	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	found = strstr(buf, needle) != NULL;
	free(buf);
	return found;
}

static void log_clear(void)
{
	assert_int_equal(truncate(g_log, 0), 0); /* the module appends (O_APPEND) */
}

/* ----- tests ----- */

/* R19: the flag, then C_Login(CKU_USER, NULL, 0) on the pad: 9000 → CKR_OK,
 * logged in token-wide; C_Logout clears the card's state (R22). */
static void test_pad_login_ok(void **state)
{
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO si;
	(void)state;

	script_bind(&g_sb, FEATURES_PAD, "63C3");
	sb_step(&g_sb, "00A4080C023D00", "9000");    /* each transaction selects DF 3D00 (R34) */
	sb_ctl(&g_sb, CTL_VERIFY, PVS_USER, "9000"); /* its 9000 says the tries: no query */
	sb_step(&g_sb, "00A4080C023D00", "9000");    /* each transaction selects DF 3D00 (R34) */
	sb_step(&g_sb, "801A0000", "9000");          /* C_Logout */
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
		const char *pad_sw;
		CK_RV rv;
		CK_FLAGS flags;
	} cases[] = {
	        {"6400", CKR_FUNCTION_CANCELED, 0},
	        {"6401", CKR_FUNCTION_CANCELED, 0},
	        {"63C2", CKR_PIN_INCORRECT, CKF_USER_PIN_COUNT_LOW},
	        {"63C1", CKR_PIN_INCORRECT, CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY},
	        {"6984", CKR_PIN_LOCKED, CKF_USER_PIN_LOCKED},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_TOKEN_INFO ti;
		CK_SESSION_INFO si;

		script_bind(&g_sb, FEATURES_PAD, "63C3");
		sb_step(&g_sb, "00A4080C023D00",
		        "9000"); /* each transaction selects DF 3D00 (R34) */
		/* the answer tells the tries; 64xx reached no card: no status query, no LOGOUT */
		sb_ctl(&g_sb, CTL_VERIFY, PVS_USER, cases[i].pad_sw);
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

/* The NES key of the akis-2 image (the only EC private key). */
static CK_OBJECT_HANDLE nes_key(CK_SESSION_HANDLE h)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &kt, sizeof(kt)}};
	CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	assert_int_equal(C_FindObjectsInit(h, t, 2), CKR_OK);
	assert_int_equal(C_FindObjects(h, &k, 1, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	assert_int_equal(n, 1);
	return k;
}

/*
 * R46 never on a PIN pad reader: with pin_per_signature = login in force
 * (said in the log), the akis-2 NES key keeps CKA_ALWAYS_AUTHENTICATE =
 * TRUE, and whether the PIN came from the pad or, on the same reader, from
 * the keyboard, nothing is kept: a signature with that key without a
 * context login is CKR_USER_NOT_LOGGED_IN and sends nothing.
 */
static void test_pad_login_mode(void **state)
{
	static const char *const pins[] = {NULL, "12345"};
	(void)state;

	g_prof = &prof_2;
	for (size_t i = 0; i < 2; i++) {
		CK_TOKEN_INFO ti;
		CK_BBOOL aa = CK_FALSE;
		CK_ATTRIBUTE a = {CKA_ALWAYS_AUTHENTICATE, &aa, sizeof(aa)};
		CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
		CK_BYTE hash[48] = {1}, sig[128];
		CK_ULONG sl = sizeof(sig);
		size_t before_sign;

		log_clear();
		setenv("AKIS_PIN_PER_SIGNATURE", "login", 1);
		script_bind(&g_sb, FEATURES_PAD, "63C3");
		sb_step(&g_sb, "00A4080C023D00",
		        "9000"); /* each transaction selects DF 3D00 (R34) */
		if (pins[i] == NULL)
			sb_ctl(&g_sb, CTL_VERIFY, PVS_USER, "9000");
		else
			sb_step(&g_sb, "00200081053132333435", "9000");
		before_sign = g_sb.n;
		sb_step(&g_sb, "00A4080C023D00", "9000");
		sb_step(&g_sb, "801A0000", "9000"); /* C_Logout */
		CK_SLOT_ID slot = open_module(&ti);
		unsetenv("AKIS_PIN_PER_SIGNATURE");
		assert_true(log_has("per-signature PIN policy: login (environment"));
		assert_true(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
		CK_SESSION_HANDLE h = open_session(slot, 0);
		assert_int_equal(C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pins[i], pins[i] ? 5 : 0),
		                 CKR_OK);
		CK_OBJECT_HANDLE k = nes_key(h);
		assert_int_equal(C_GetAttributeValue(h, k, &a, 1), CKR_OK);
		assert_int_equal(aa, CK_TRUE);
		assert_false(log_has("PIN kept"));
		assert_int_equal(C_SignInit(h, &m, k), CKR_OK);
		assert_int_equal(C_Sign(h, hash, sizeof(hash), sig, &sl), CKR_USER_NOT_LOGGED_IN);
		script_assert_at(before_sign);
		assert_int_equal(C_Logout(h), CKR_OK);
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
	sb_step(&g_sb, "00A4080C023D00", "9000"); /* each transaction selects DF 3D00 (R34) */
	sb_step(&g_sb, "801A0000", "9000");       /* the last session closed (R22) */
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

/* ----- C_SetPIN / C_InitPIN on the pad (FEATURE_MODIFY_PIN_DIRECT) ----- */

/* C_SetPIN(h, NULL, 0, NULL, 0): the PIN_MODIFY_STRUCTURE per profile
 * (docs/card.md §3 dialects), then the tries read again without data (R18).
 * In an SO session the PUK is changed (R21). */
static void test_pad_change_structs(void **state)
{
	static const struct {
		const struct prof *prof;
		bool so;
		const char *pms;
	} cases[] = {
	        {&prof_12p, false, PMS_12P_USER}, {&prof_10p, false, PMS_10P_USER},
	        {&prof_2, false, PMS_2_USER},     {&prof_2p, false, PMS_2P_USER},
	        {&prof_2, true, PMS_2_SO},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_TOKEN_INFO ti;

		g_prof = cases[i].prof;
		script_bind(&g_sb, FEATURES_PAD, "63C3");
		if (cases[i].so)
			script_so_login(&g_sb);
		sb_step(&g_sb, "00A4080C023D00", "9000");
		sb_ctl(&g_sb, CTL_MODIFY, cases[i].pms, "9000");
		if (cases[i].so) /* the SO login holds the PUK until C_Logout */
			script_logout(&g_sb);
		else /* no login holds the PIN the change verified: LOGOUT at once (R22) */
			sb_step(&g_sb, "801A0000", "9000");
		CK_SLOT_ID slot = open_module(&ti);
		assert_true(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
		CK_SESSION_HANDLE h = open_session(slot, CKF_RW_SESSION);
		log_clear();
		if (cases[i].so)
			assert_int_equal(C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR) "123456", 6), CKR_OK);
		assert_int_equal(C_SetPIN(h, NULL, 0, NULL, 0), CKR_OK);
		assert_int_equal(token_flags(slot) & (PIN_FLAGS | SO_FLAGS), 0);
		if (cases[i].so)
			assert_int_equal(C_Logout(h), CKR_OK);
		script_assert_done();
		/* the decision is logged, no PIN digit (R22): the keyboard PUK is redacted */
		assert_true(log_has(cases[i].so ? "PIN pad CHANGE ref 82: SW 9000 -> AKIS_OK"
		                                : "PIN pad CHANGE ref 81: SW 9000 -> AKIS_OK"));
		assert_true(log_has("CHANGE PIN") != cases[i].so);
		assert_false(log_has("31 32 33 34 35 36"));
		assert_false(log_has("01 02 03 04 05 06"));
		close_module();
	}
	g_prof = &prof_12;
}

/* What the pad answers → CK_RV (as C_SetPIN with keyboard PINs) and the
 * token flags from that answer (R18: no status query); a change that
 * worked verified the old PIN, which no login holds: LOGOUT in the same
 * transaction (R22, issue 9); 6400/6401 are the
 * reader's timeout/cancel, 6402 the two new PINs differ, 6403 a PIN
 * length the reader refused (PC/SC part 10 §2.5.3 / CCID). */
static void test_pad_change_results(void **state)
{
	static const struct prof *const profs[] = {&prof_12p, &prof_2};
	static const char *const pms[] = {PMS_12P_USER, PMS_2_USER};
	static const struct {
		const char *pad_sw; /* NULL: the profile's "blocked" */
		CK_RV rv;
		CK_FLAGS flags;
	} cases[] = {
	        {"9000", CKR_OK, 0},
	        {"63C2", CKR_PIN_INCORRECT, CKF_USER_PIN_COUNT_LOW},
	        {"63C1", CKR_PIN_INCORRECT, CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY},
	        {NULL, CKR_PIN_LOCKED, CKF_USER_PIN_LOCKED},
	        {"6400", CKR_FUNCTION_CANCELED, 0},
	        {"6401", CKR_FUNCTION_CANCELED, 0},
	        {"6402", CKR_PIN_INVALID, 0},
	        {"6403", CKR_PIN_LEN_RANGE, 0},
	        {"6A80", CKR_PIN_INVALID, 0}, /* new PIN not 4–8 digits (docs/card.md §3) */
	};
	(void)state;

	for (size_t p = 0; p < 2; p++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			CK_TOKEN_INFO ti;
			const char *pad_sw =
			        cases[i].pad_sw ? cases[i].pad_sw : profs[p]->blocked_sw;

			g_prof = profs[p];
			script_bind(&g_sb, FEATURES_PAD, "63C3");
			sb_step(&g_sb, "00A4080C023D00", "9000");
			sb_ctl(&g_sb, CTL_MODIFY, pms[p], pad_sw);
			if (cases[i].rv == CKR_OK)
				sb_step(&g_sb, "801A0000", "9000");
			CK_SLOT_ID slot = open_module(&ti);
			CK_SESSION_HANDLE h = open_session(slot, CKF_RW_SESSION);
			assert_int_equal(C_SetPIN(h, NULL, 0, NULL, 0), cases[i].rv);
			assert_int_equal(token_flags(slot) & PIN_FLAGS, cases[i].flags);
			script_assert_done();
			close_module();
		}
	}
	g_prof = &prof_12;
}

/* The 1.x CHANGE REFERENCE DATA `Lold old Lnew new` with variable-length
 * PINs has no PIN_MODIFY_STRUCTURE (the place of Lnew depends on the old
 * PIN's length): CKR_ARGUMENTS_BAD, nothing sent, a log line saying why.
 * Same for the PUK of a 1.x card (not padded in this AODF). */
static void test_pad_change_refused_1x(void **state)
{
	static const struct {
		const struct prof *prof;
		bool so;
	} cases[] = {
	        {&prof_12, false},
	        {&prof_10, false},
	        {&prof_12p, true},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_TOKEN_INFO ti;

		g_prof = cases[i].prof;
		script_bind(&g_sb, FEATURES_PAD, "63C3");
		if (cases[i].so)
			script_so_login(&g_sb);
		size_t before = g_sb.n;
		if (cases[i].so)
			script_logout(&g_sb);
		CK_SLOT_ID slot = open_module(&ti);
		CK_SESSION_HANDLE h = open_session(slot, CKF_RW_SESSION);
		if (cases[i].so)
			assert_int_equal(C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR) "123456", 6), CKR_OK);
		log_clear();
		assert_int_equal(C_SetPIN(h, NULL, 0, NULL, 0), CKR_ARGUMENTS_BAD);
		script_assert_at(before);
		assert_true(log_has("variable-length PINs cannot be described in a "
		                    "PIN_MODIFY_STRUCTURE"));
		if (cases[i].so)
			assert_int_equal(C_Logout(h), CKR_OK);
		script_assert_done();
		close_module();
	}
	g_prof = &prof_12;
}

/* A reader without FEATURE_MODIFY_PIN_DIRECT (PIN pad for VERIFY only), and
 * one without any PIN feature: NULL PINs in C_SetPIN and C_InitPIN are
 * CKR_ARGUMENTS_BAD and nothing reaches the reader or the card. */
static void test_pad_change_no_modify(void **state)
{
	static const char *const features[] = {FEATURES_VERIFY_ONLY, FEATURES_NO_PAD, NULL};
	(void)state;

	g_prof = &prof_2;
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		CK_TOKEN_INFO ti;

		script_bind(&g_sb, features[i], "63C3");
		size_t bound = g_sb.n;
		script_so_login(&g_sb);
		size_t logged_in = g_sb.n;
		script_logout(&g_sb);
		CK_SLOT_ID slot = open_module(&ti);
		assert_int_equal(!!(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH), i == 0);
		CK_SESSION_HANDLE h = open_session(slot, CKF_RW_SESSION);
		log_clear();
		assert_int_equal(C_SetPIN(h, NULL, 0, NULL, 0), CKR_ARGUMENTS_BAD);
		script_assert_at(bound);
		if (i == 0)
			assert_true(log_has("no FEATURE_MODIFY_PIN_DIRECT"));
		assert_int_equal(C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR) "123456", 6), CKR_OK);
		assert_int_equal(C_SetPIN(h, NULL, 0, NULL, 0), CKR_ARGUMENTS_BAD);
		assert_int_equal(C_InitPIN(h, NULL, 0), CKR_ARGUMENTS_BAD);
		assert_int_equal(C_InitPIN(h, NULL, 6), CKR_ARGUMENTS_BAD);
		script_assert_at(logged_in);
		assert_int_equal(C_Logout(h), CKR_OK);
		script_assert_done();
		close_module();
	}
	g_prof = &prof_12;
}

/* The rules before the pad: one PIN given and one NULL is no protected
 * path (CKR_ARGUMENTS_BAD); a R/O session → CKR_SESSION_READ_ONLY; a PIN
 * known locked → CKR_PIN_LOCKED (R18); C_InitPIN outside an SO session →
 * CKR_USER_NOT_LOGGED_IN. Nothing is sent. */
static void test_pad_change_rules(void **state)
{
	CK_TOKEN_INFO ti;
	(void)state;

	g_prof = &prof_2;
	script_bind(&g_sb, FEATURES_PAD, "63C3");
	size_t bound = g_sb.n;
	CK_SLOT_ID slot = open_module(&ti);
	CK_SESSION_HANDLE ro = open_session(slot, 0), rw = open_session(slot, CKF_RW_SESSION);
	assert_int_equal(C_SetPIN(rw, NULL, 0, (CK_UTF8CHAR_PTR) "54321", 5), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SetPIN(rw, (CK_UTF8CHAR_PTR) "12345", 5, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SetPIN(ro, NULL, 0, NULL, 0), CKR_SESSION_READ_ONLY);
	assert_int_equal(C_InitPIN(rw, NULL, 0), CKR_USER_NOT_LOGGED_IN);
	script_assert_at(bound);
	script_assert_done();
	close_module();

	script_bind(&g_sb, FEATURES_PAD, "6983");
	bound = g_sb.n;
	slot = open_module(&ti);
	assert_true(ti.flags & CKF_USER_PIN_LOCKED);
	rw = open_session(slot, CKF_RW_SESSION);
	assert_int_equal(C_SetPIN(rw, NULL, 0, NULL, 0), CKR_PIN_LOCKED);
	script_assert_at(bound);
	script_assert_done();
	close_module();
	g_prof = &prof_12;
}

/* C_InitPIN(h, NULL, 0) after C_Login(CKU_SO): RESET RETRY COUNTER with
 * the new PIN typed twice on the pad (bConfirmPIN 01: no current PIN), for
 * a blocked user PIN too; its success renews the user PIN's tries. */
static void test_pad_unblock(void **state)
{
	static const struct {
		const struct prof *prof;
		const char *pms;
	} cases[] = {
	        {&prof_12, PMS_12_RESET},
	        {&prof_10, PMS_10_RESET},
	        {&prof_2p, PMS_2P_RESET},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_TOKEN_INFO ti;

		g_prof = cases[i].prof;
		script_bind(&g_sb, FEATURES_PAD, g_prof->blocked_sw);
		script_so_login(&g_sb);
		sb_step(&g_sb, "00A4080C023D00", "9000");
		sb_ctl(&g_sb, CTL_MODIFY, cases[i].pms, "9000"); /* the counter is full again */
		script_logout(&g_sb);
		CK_SLOT_ID slot = open_module(&ti);
		assert_true(ti.flags & CKF_USER_PIN_LOCKED);
		CK_SESSION_HANDLE h = open_session(slot, CKF_RW_SESSION);
		assert_int_equal(C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR) "123456", 6), CKR_OK);
		assert_int_equal(C_InitPIN(h, NULL, 0), CKR_OK);
		assert_int_equal(token_flags(slot) & PIN_FLAGS, 0);
		assert_int_equal(C_Logout(h), CKR_OK);
		script_assert_done();
		close_module();
	}
	g_prof = &prof_12;
}

/* RESET RETRY COUNTER on the pad, the other answers: cancel/timeout, the
 * new PINs differ, a new PIN the card refuses, the PUK's verification gone
 * (6982: CKR_USER_NOT_LOGGED_IN). The user PIN stays blocked. */
static void test_pad_unblock_results(void **state)
{
	static const struct {
		const char *pad_sw;
		CK_RV rv;
	} cases[] = {
	        {"6400", CKR_FUNCTION_CANCELED},  {"6401", CKR_FUNCTION_CANCELED},
	        {"6402", CKR_PIN_INVALID},        {"6A80", CKR_PIN_INVALID},
	        {"6982", CKR_USER_NOT_LOGGED_IN},
	};
	(void)state;

	g_prof = &prof_12;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_TOKEN_INFO ti;

		script_bind(&g_sb, FEATURES_PAD, "6984");
		script_so_login(&g_sb);
		sb_step(&g_sb, "00A4080C023D00", "9000");
		/* a reset that failed left the counter as it was: no status query */
		sb_ctl(&g_sb, CTL_MODIFY, PMS_12_RESET, cases[i].pad_sw);
		script_logout(&g_sb);
		CK_SLOT_ID slot = open_module(&ti);
		CK_SESSION_HANDLE h = open_session(slot, CKF_RW_SESSION);
		assert_int_equal(C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR) "123456", 6), CKR_OK);
		assert_int_equal(C_InitPIN(h, NULL, 0), cases[i].rv);
		assert_int_equal(token_flags(slot) & PIN_FLAGS, CKF_USER_PIN_LOCKED);
		assert_int_equal(C_Logout(h), CKR_OK);
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
	assert_int_equal(
	        apdu_control(c, CTL_VERIFY, (const uint8_t *)"\x01\x02", 2, out, sizeof(out), &len),
	        APDU_ERR_COMM);
	assert_non_null(strstr(apdu_script_error(c), "got ctl 42330006 0102"));
	apdu_card_close(c);
	c = apdu_script_open(g_sb.steps, g_sb.n, NULL);
	assert_int_equal(
	        apdu_control(c, CTL_MODIFY, (const uint8_t *)"\x01\x03", 2, out, sizeof(out), &len),
	        APDU_ERR_COMM);
	apdu_card_close(c);
	c = apdu_script_open(g_sb.steps, g_sb.n, NULL);
	assert_int_equal(
	        apdu_control(c, CTL_MODIFY, (const uint8_t *)"\x01\x02", 2, out, sizeof(out), &len),
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

	/* the log is this test's: the configuration below, not the caller's environment */
	unsetenv("AKIS_DEBUG");
	unsetenv("AKIS_LOG");
	g_rsa = test_key(false, 2048);
	g_ec = test_key(true, NID_secp384r1);
	img_make_1x(&g_img, g_rsa, false, false);
	img_make_1x(&g_img12p, g_rsa, false, true);
	img_make_1x(&g_img10, g_rsa, true, false);
	img_make_1x(&g_img10p, g_rsa, true, true);
	img_make_2(&g_img2, g_ec, g_rsa);
	img_make_2(&g_img2p, g_ec, g_rsa);
	img_aodf(&g_img2p, 1, true); /* user PIN: storedLength 8, padding FF */
	/* no on-disk cache: every binding reads the card the same way */
	snprintf(g_conf, sizeof(g_conf), "/tmp/akis-pinpad-%ld.conf", (long)getpid());
	snprintf(g_log, sizeof(g_log), "/tmp/akis-pinpad-%ld.log", (long)getpid());
	f = fopen(g_log, "w");
	assert_non_null(f);
	fclose(f);
	f = fopen(g_conf, "w");
	assert_non_null(f);
	fprintf(f, "cache = off\ndebug = pin,apdu\nlog_file = %s\n", g_log);
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
	g_prof = &prof_12;
	unsetenv("AKIS_PIN_PER_SIGNATURE");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(g_conf);
	if (getenv("PINPAD_KEEP_LOG") == NULL)
		unlink(g_log);
	img_free(&g_img);
	img_free(&g_img12p);
	img_free(&g_img10);
	img_free(&g_img10p);
	img_free(&g_img2);
	img_free(&g_img2p);
	EVP_PKEY_free(g_rsa);
	EVP_PKEY_free(g_ec);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_script_control, teardown_each),
	        cmocka_unit_test_teardown(test_pad_login_ok, teardown_each),
	        cmocka_unit_test_teardown(test_pad_results, teardown_each),
	        cmocka_unit_test_teardown(test_pad_login_mode, teardown_each),
	        cmocka_unit_test_teardown(test_pad_locked_no_exchange, teardown_each),
	        cmocka_unit_test_teardown(test_pad_reader_keyboard_pin, teardown_each),
	        cmocka_unit_test_teardown(test_pad_so_login, teardown_each),
	        cmocka_unit_test_teardown(test_no_pad, teardown_each),
	        cmocka_unit_test_teardown(test_pad_change_structs, teardown_each),
	        cmocka_unit_test_teardown(test_pad_change_results, teardown_each),
	        cmocka_unit_test_teardown(test_pad_change_refused_1x, teardown_each),
	        cmocka_unit_test_teardown(test_pad_change_no_modify, teardown_each),
	        cmocka_unit_test_teardown(test_pad_change_rules, teardown_each),
	        cmocka_unit_test_teardown(test_pad_unblock, teardown_each),
	        cmocka_unit_test_teardown(test_pad_unblock_results, teardown_each),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
