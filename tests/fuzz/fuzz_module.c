/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The whole module over a fuzz transport: C_Initialize → C_GetSlotList →
 * C_GetTokenInfo → C_OpenSession → C_FindObjects (+ attributes) → C_Login →
 * C_Sign with every signing key → C_GenerateRandom → C_Logout → C_Finalize,
 * every card answer taken from the input.
 *
 * The seam is the link: this file provides the apdu/pcsc.h functions
 * (apdu_pcsc_open/readers/connect/...) in place of apdu/pcsc.c, so pkcs11/
 * and akis/ run unchanged on one reader holding one card.
 *
 * Input: u8 ATR length (≤ 33), the ATR, then the responses in the format of
 * tests/fuzz/fuzz_transport.h.
 *
 * Built with -DFUZZ_RECORD it is instead a seed recorder with a main():
 *   fuzz_module_record PORT OUT    listens on PORT as vpcd does, an
 * `akis-vcard run DIR --port PORT` connects; the same call sequence runs
 * against that card and OUT gets its ATR and answers in the input format.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../apdu/pcsc.h"
#include "../../pkcs11/p11.h"
#include "fuzz_transport.h"

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static uint8_t g_atr[APDU_ATR_MAX];
static size_t g_atr_len;
#ifndef FUZZ_RECORD
static const uint8_t *g_stream;
static size_t g_stream_len;
#endif

#ifdef FUZZ_RECORD
static struct apdu_card *record_card_open(void);
#endif

/* ----- apdu/pcsc.h over one fake reader ----- */

#include "../unit/fake_pcsc.h"

void apdu_pcsc_cancel(struct apdu_pcsc *pc)
{
	(void)pc;
}

apdu_rv apdu_pcsc_readers(struct apdu_pcsc *pc, struct apdu_reader *out, size_t cap, size_t *n)
{
	(void)pc;
	*n = 0;
	if (cap < 1)
		return APDU_OK;
	memset(out, 0, sizeof(*out));
	strcpy(out->name, "Fuzz Reader 00 00");
	out->state = APDU_STATE_PRESENT;
	out->event_counter = 1;
	memcpy(out->atr, g_atr, g_atr_len);
	out->atr_len = g_atr_len;
	*n = 1;
	return APDU_OK;
}

apdu_rv apdu_pcsc_wait(struct apdu_pcsc *pc, const struct apdu_reader *known, size_t n,
                       long timeout_ms)
{
	(void)pc, (void)known, (void)n, (void)timeout_ms;
	return APDU_ERR_TIMEOUT;
}

apdu_rv apdu_pcsc_connect(const char *reader, struct apdu_card **out)
{
	(void)reader;
#ifdef FUZZ_RECORD
	*out = record_card_open();
#else
	*out = fz_card_open(g_stream, g_stream_len);
#endif
	return *out != NULL ? APDU_OK : APDU_ERR_NO_MEMORY;
}

/* ----- the call sequence ----- */

static CK_FUNCTION_LIST *p;

static void read_attrs(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h)
{
	static const CK_ATTRIBUTE_TYPE types[] = {CKA_CLASS,     CKA_ID,       CKA_LABEL,
	                                          CKA_VALUE,     CKA_SUBJECT,  CKA_MODULUS,
	                                          CKA_EC_PARAMS, CKA_EC_POINT, CKA_KEY_TYPE};
	CK_BYTE buf[4096];

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CK_ATTRIBUTE a = {types[i], NULL, 0};

		if (p->C_GetAttributeValue(s, h, &a, 1) == CKR_OK && a.ulValueLen <= sizeof(buf)) {
			a.pValue = buf;
			(void)p->C_GetAttributeValue(s, h, &a, 1);
		}
	}
}

static void sign_with(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key)
{
	static const CK_BYTE in[51] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                               0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	CK_KEY_TYPE kt = CKK_RSA;
	CK_BBOOL always = CK_FALSE;
	CK_ATTRIBUTE a[2] = {{CKA_KEY_TYPE, &kt, sizeof(kt)},
	                     {CKA_ALWAYS_AUTHENTICATE, &always, sizeof(always)}};
	CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};
	CK_BYTE sig[1024];
	CK_ULONG sig_len = sizeof(sig);

	(void)p->C_GetAttributeValue(s, key, a, 2);
	if (kt == CKK_EC)
		m.mechanism = CKM_ECDSA;
	if (p->C_SignInit(s, &m, key) != CKR_OK)
		return;
	if (always)
		(void)p->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR) "12345", 5);
	(void)p->C_Sign(s, (CK_BYTE_PTR)in, kt == CKK_EC ? 32 : sizeof(in), sig, &sig_len);
}

static void session_flow(CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h[64], keys[8];
	CK_ULONG n = 0, nk = 0;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE priv = {CKA_CLASS, &cls, sizeof(cls)};
	CK_BYTE rnd[16];

	if (p->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK)
		return;
	if (p->C_FindObjectsInit(s, NULL, 0) == CKR_OK) {
		(void)p->C_FindObjects(s, h, 64, &n);
		(void)p->C_FindObjectsFinal(s);
	}
	for (CK_ULONG i = 0; i < n; i++)
		read_attrs(s, h[i]);
	(void)p->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "12345", 5);
	if (p->C_FindObjectsInit(s, &priv, 1) == CKR_OK) {
		(void)p->C_FindObjects(s, keys, 8, &nk);
		(void)p->C_FindObjectsFinal(s);
	}
	for (CK_ULONG i = 0; i < nk; i++)
		sign_with(s, keys[i]);
	(void)p->C_GenerateRandom(s, rnd, sizeof(rnd));
	(void)p->C_Logout(s);
	(void)p->C_CloseSession(s);
}

static void drive(void)
{
	CK_SLOT_ID slots[4];
	CK_ULONG n = 4;
	CK_TOKEN_INFO ti;

	if (C_GetFunctionList(&p) != CKR_OK || p->C_Initialize(NULL) != CKR_OK)
		return;
	if (p->C_GetSlotList(CK_TRUE, slots, &n) == CKR_OK && n > 0) {
		(void)p->C_GetTokenInfo(slots[0], &ti);
		session_flow(slots[0]);
	}
	(void)p->C_Finalize(NULL);
}

static void environment(void)
{
	/* no on-disk cache: runs must not depend on each other (neither
	 * variable set: a made-up path would be created when run as root) */
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	/* FUZZ_AKIS_CONF: e.g. a file with "debug = all" to follow one input */
	setenv("AKIS_CONF", getenv("FUZZ_AKIS_CONF") ? getenv("FUZZ_AKIS_CONF") : "/dev/null", 1);
}

#ifndef FUZZ_RECORD

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	environment();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || data[0] > APDU_ATR_MAX || size < 1u + data[0])
		return 0;
	g_atr_len = data[0];
	memcpy(g_atr, data + 1, g_atr_len);
	g_stream = data + 1 + g_atr_len;
	g_stream_len = size - 1 - g_atr_len;
	drive();
	return 0;
}

#else /* FUZZ_RECORD: the seed recorder */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static int g_sock = -1;
static uint8_t g_rec[1 << 16];
static size_t g_rec_len;

static bool io_all(int fd, void *buf, size_t n, bool out)
{
	uint8_t *b = buf;

	while (n > 0) {
		ssize_t r = out ? write(fd, b, n) : read(fd, b, n);

		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

static bool vpcd_send(const uint8_t *b, size_t n)
{
	uint8_t hdr[2] = {(uint8_t)(n >> 8), (uint8_t)n};

	return io_all(g_sock, hdr, 2, true) && io_all(g_sock, (void *)b, n, true);
}

static long vpcd_recv(uint8_t *b, size_t cap)
{
	uint8_t hdr[2];
	size_t n;

	if (!io_all(g_sock, hdr, 2, false))
		return -1;
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (n > cap || !io_all(g_sock, b, n, false))
		return -1;
	return (long)n;
}

static apdu_rv rec_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                            size_t *resp_len)
{
	long n;

	(void)ctx;
	if (!vpcd_send(cmd, cmd_len) || (n = vpcd_recv(resp, APDU_RAW_RESP_MAX)) < 0)
		return APDU_ERR_COMM;
	*resp_len = (size_t)n;
	if (g_rec_len + 2 + (size_t)n <= sizeof(g_rec)) {
		g_rec[g_rec_len++] = (uint8_t)(n >> 8);
		g_rec[g_rec_len++] = (uint8_t)n;
		memcpy(g_rec + g_rec_len, resp, (size_t)n);
		g_rec_len += (size_t)n;
	}
	return APDU_OK;
}

static const struct apdu_ops rec_ops = {
        .transmit = rec_transmit,
        .begin = fz_ok,
        .end = fz_end,
        .reconnect = fz_ok,
        .control = fz_control,
        .atr = fz_atr,
        .close = fz_close,
        .forget = fz_close,
};

static struct apdu_card *record_card_open(void)
{
	struct apdu_card *card = calloc(1, sizeof(*card));

	if (card == NULL)
		return NULL;
	card->ops = &rec_ops;
	card->ctx = NULL;
	strcpy(card->reader, "record");
	return card;
}

static int accept_card(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0), s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 1) != 0)
		return -1;
	s = accept(ls, NULL, NULL);
	close(ls);
	if (s >= 0)
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return s;
}

int main(int argc, char **argv)
{
	static const uint8_t get_atr = 0x04, power_on = 0x01;
	FILE *f;
	long n;

	if (argc != 3) {
		fprintf(stderr, "usage: fuzz_module_record PORT OUT\n");
		return 2;
	}
	environment();
	g_sock = accept_card(atoi(argv[1]));
	if (g_sock < 0 || !vpcd_send(&power_on, 1) || !vpcd_send(&get_atr, 1) ||
	    (n = vpcd_recv(g_atr, sizeof(g_atr))) <= 0) {
		fprintf(stderr, "fuzz_module_record: no card on port %s\n", argv[1]);
		return 1;
	}
	g_atr_len = (size_t)n;
	drive();
	f = fopen(argv[2], "wb");
	if (f == NULL)
		return 1;
	fputc((int)g_atr_len, f);
	fwrite(g_atr, 1, g_atr_len, f);
	fwrite(g_rec, 1, g_rec_len, f);
	fclose(f);
	printf("fuzz_module_record: %zu bytes of answers\n", g_rec_len);
	return 0;
}

#endif
