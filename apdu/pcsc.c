/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PC/SC transport over pcsc-lite (apdu/pcsc.h). The only file of the
 * project that includes <winscard.h> (docs/design.md "Layers").
 */
#include "pcsc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

#include "../log/log.h"

#define PNP_READER "\\\\?PnP?\\Notification"
/* A reader list buffer bigger than this is refused (16 readers x 128). */
#define READER_LIST_MAX (APDU_READERS_MAX * APDU_READER_NAME_MAX + 1u)
/* Rounds of list + status when a reader vanishes in between. */
#define LIST_RETRIES 3

struct apdu_pcsc {
	SCARDCONTEXT ctx;
	int cancelled; /* sticky, read and written atomically */
};

/* Context of a connected card: its own SCARDCONTEXT (pcsc-lite serialises
 * calls per context; two cards must never wait on each other). */
struct pcsc_card {
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	char reader[APDU_READER_NAME_MAX];
};

/*
 * THE translator PC/SC → apdu_rv (docs/design.md: one translator per
 * vocabulary). Codes: pcsc-lite's pcsclite.h, PC/SC part 5 / MSDN
 * "Smart Card Return Values".
 */
static apdu_rv pcsc_rv(LONG rc)
{
	switch (rc) {
	case SCARD_S_SUCCESS:
		return APDU_OK;
	case SCARD_W_REMOVED_CARD:
	case SCARD_E_NO_SMARTCARD:
		return APDU_ERR_NO_CARD;
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_NO_READERS_AVAILABLE: /* callers listing readers treat it as 0 readers */
		return APDU_ERR_NO_READER;
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
	case SCARD_E_INVALID_HANDLE: /* a context or handle from before a pcscd restart */
	case SCARD_F_COMM_ERROR:     /* the socket to pcscd broke */
		return APDU_ERR_NO_SERVICE;
	case SCARD_W_RESET_CARD:
		return APDU_ERR_RESET;
	case SCARD_E_SHARING_VIOLATION:
		return APDU_ERR_SHARING;
	case SCARD_E_TIMEOUT:
		return APDU_ERR_TIMEOUT;
	case SCARD_E_CANCELLED:
	case SCARD_W_CANCELLED_BY_USER:
		return APDU_ERR_CANCELLED;
	case SCARD_E_NO_MEMORY:
		return APDU_ERR_NO_MEMORY;
	case SCARD_E_INVALID_PARAMETER:
	case SCARD_E_INVALID_VALUE:
	case SCARD_E_INVALID_TARGET:
		return APDU_ERR_ARGS;
	case SCARD_E_PROTO_MISMATCH:
	case SCARD_E_INSUFFICIENT_BUFFER:
	case SCARD_E_INVALID_ATR:
	case SCARD_E_CARD_UNSUPPORTED:
	case SCARD_W_UNSUPPORTED_CARD:
		return APDU_ERR_PROTOCOL;
	case SCARD_E_UNSUPPORTED_FEATURE: /* pcsc-lite: same value as SCARD_E_UNEXPECTED */
	case SCARD_E_READER_UNSUPPORTED:
		return APDU_ERR_NOT_SUPPORTED;
	case SCARD_W_UNRESPONSIVE_CARD: /* mute: present, but no token to speak of */
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_E_NOT_TRANSACTED:
	case SCARD_E_NOT_READY:
	case SCARD_E_COMM_DATA_LOST:
	case SCARD_E_SYSTEM_CANCELLED:
	case SCARD_E_SERVER_TOO_BUSY:
	case SCARD_F_INTERNAL_ERROR:
	case SCARD_F_UNKNOWN_ERROR:
	case SCARD_F_WAITED_TOO_LONG:
	case SCARD_P_SHUTDOWN:
	default:
		return APDU_ERR_COMM;
	}
}

static apdu_rv rv_logged(const char *what, const char *reader, LONG rc)
{
	apdu_rv rv = pcsc_rv(rc);

	if (rv != APDU_OK)
		log_msg(LOG_APDU, "%s%s%s: %s (0x%08lX) → %s", what, reader ? " " : "",
		        reader ? reader : "", pcsc_stringify_error(rc), (unsigned long)rc,
		        apdu_rv_name(rv));
	return rv;
}

/* ----- context ----- */

apdu_rv apdu_pcsc_open(struct apdu_pcsc **out)
{
	struct apdu_pcsc *pc;
	LONG rc;

	if (out == NULL)
		return APDU_ERR_ARGS;
	*out = NULL;
	pc = calloc(1, sizeof(*pc));
	if (pc == NULL)
		return APDU_ERR_NO_MEMORY;
	rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &pc->ctx);
	if (rc != SCARD_S_SUCCESS) {
		free(pc);
		return rv_logged("SCardEstablishContext", NULL, rc);
	}
	*out = pc;
	return APDU_OK;
}

void apdu_pcsc_close(struct apdu_pcsc *pc)
{
	if (pc == NULL)
		return;
	(void)SCardReleaseContext(pc->ctx);
	free(pc);
}

void apdu_pcsc_forget(struct apdu_pcsc *pc)
{
	free(pc); /* after fork: the context belongs to the parent */
}

/* SCardIsValidContext only checks pcsc-lite's client-side table; a pcscd
 * restart is seen by a call that reaches the daemon (R35). */
bool apdu_pcsc_valid(struct apdu_pcsc *pc)
{
	DWORD len = 0;
	LONG rc;

	if (pc == NULL || SCardIsValidContext(pc->ctx) != SCARD_S_SUCCESS)
		return false;
	rc = SCardListReaders(pc->ctx, NULL, NULL, &len);
	return pcsc_rv(rc) != APDU_ERR_NO_SERVICE;
}

void apdu_pcsc_cancel(struct apdu_pcsc *pc)
{
	if (pc == NULL)
		return;
	__atomic_store_n(&pc->cancelled, 1, __ATOMIC_RELEASE);
	(void)SCardCancel(pc->ctx);
}

static bool is_cancelled(const struct apdu_pcsc *pc)
{
	return __atomic_load_n(&pc->cancelled, __ATOMIC_ACQUIRE) != 0;
}

/* ----- readers ----- */

/* Reader names from SCardListReaders (a multi-string), PnP reader and
 * over-long names left out. */
struct name_list {
	char names[APDU_READERS_MAX][APDU_READER_NAME_MAX];
	size_t n;
};

static void split_names(const char *buf, size_t len, struct name_list *nl)
{
	size_t off = 0;

	nl->n = 0;
	while (off < len && buf[off] != '\0' && nl->n < APDU_READERS_MAX) {
		size_t l = strnlen(buf + off, len - off);
		if (l < APDU_READER_NAME_MAX && strcmp(buf + off, PNP_READER) != 0) {
			memcpy(nl->names[nl->n], buf + off, l);
			nl->names[nl->n][l] = '\0';
			nl->n++;
		} else if (l >= APDU_READER_NAME_MAX) {
			log_msg(LOG_APDU, "reader name of %zu bytes ignored", l);
		}
		off += l + 1;
	}
}

static apdu_rv APDU_WUR list_names(SCARDCONTEXT ctx, struct name_list *nl)
{
	/* One call with a buffer as large as the module accepts (not a size
	 * query first): every listing is a round trip to pcscd, and C_GetSlotInfo
	 * and C_GetTokenInfo list to see a removal at once (R32). A longer list
	 * answers SCARD_E_INSUFFICIENT_BUFFER, an error as before. */
	char buf[READER_LIST_MAX + 1];
	DWORD len = READER_LIST_MAX;
	LONG rc;
	apdu_rv rv;

	nl->n = 0;
	rc = SCardListReaders(ctx, NULL, buf, &len);
	if (rc == SCARD_S_SUCCESS && len == 0)
		rc = SCARD_E_NO_READERS_AVAILABLE;
	if (rc == SCARD_E_NO_READERS_AVAILABLE)
		return APDU_OK; /* zero readers is not an error */
	rv = rv_logged("SCardListReaders", NULL, rc);
	if (rv == APDU_OK) {
		buf[len < READER_LIST_MAX ? len : READER_LIST_MAX] = '\0';
		split_names(buf, len, nl);
	}
	return rv;
}

static unsigned state_flags(DWORD ev)
{
	unsigned s = 0;

	if (ev & SCARD_STATE_PRESENT)
		s |= APDU_STATE_PRESENT;
	if (ev & SCARD_STATE_EXCLUSIVE)
		s |= APDU_STATE_EXCLUSIVE;
	if (ev & SCARD_STATE_MUTE)
		s |= APDU_STATE_MUTE;
	if (ev & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE))
		s |= APDU_STATE_UNKNOWN;
	return s;
}

static void fill_reader(struct apdu_reader *r, const SCARD_READERSTATE *st)
{
	snprintf(r->name, sizeof(r->name), "%s", st->szReader);
	r->state = state_flags(st->dwEventState);
	r->event_counter = (uint32_t)((st->dwEventState >> 16) & 0xFFFFu);
	r->atr_len = 0;
	if ((r->state & APDU_STATE_PRESENT) && st->cbAtr <= APDU_ATR_MAX) {
		memcpy(r->atr, st->rgbAtr, st->cbAtr);
		r->atr_len = st->cbAtr;
	}
}

/* Current state of every reader plus, at index n, the PnP pseudo-reader.
 * st has room for APDU_READERS_MAX + 1 entries. */
static apdu_rv APDU_WUR snapshot(SCARDCONTEXT ctx, struct name_list *nl, SCARD_READERSTATE *st,
                                 size_t *n)
{
	for (int round = 0; round < LIST_RETRIES; round++) {
		apdu_rv rv = list_names(ctx, nl);
		LONG rc;

		if (rv != APDU_OK)
			return rv;
		memset(st, 0, sizeof(*st) * (nl->n + 1));
		for (size_t i = 0; i < nl->n; i++)
			st[i].szReader = nl->names[i];
		st[nl->n].szReader = PNP_READER;
		st[nl->n].dwCurrentState = SCARD_STATE_UNAWARE;
		*n = nl->n;
		rc = SCardGetStatusChange(ctx, 0, st, (DWORD)(nl->n + 1));
		if (rc == SCARD_S_SUCCESS || rc == SCARD_E_TIMEOUT)
			return APDU_OK;
		if (rc != SCARD_E_UNKNOWN_READER && rc != SCARD_E_READER_UNAVAILABLE)
			return rv_logged("SCardGetStatusChange", NULL, rc);
		/* a reader left between the list and the status: list again */
	}
	return APDU_ERR_NO_READER;
}

apdu_rv apdu_pcsc_readers(struct apdu_pcsc *pc, struct apdu_reader *out, size_t cap, size_t *n)
{
	struct name_list nl;
	SCARD_READERSTATE st[APDU_READERS_MAX + 1];
	size_t cnt = 0;
	apdu_rv rv;

	if (n != NULL)
		*n = 0;
	if (pc == NULL || n == NULL || (out == NULL && cap > 0))
		return APDU_ERR_ARGS;
	rv = snapshot(pc->ctx, &nl, st, &cnt);
	if (rv != APDU_OK)
		return rv;
	for (size_t i = 0; i < cnt && i < cap; i++)
		fill_reader(&out[i], &st[i]);
	*n = cnt < cap ? cnt : cap;
	return APDU_OK;
}

/* Same names, states and counters as `known` (order may differ)? */
static bool same_as_known(const SCARD_READERSTATE *st, size_t n, const struct apdu_reader *known,
                          size_t kn)
{
	if (n != kn)
		return false;
	for (size_t k = 0; k < kn; k++) {
		size_t i;
		for (i = 0; i < n; i++) {
			if (strcmp(st[i].szReader, known[k].name) == 0)
				break;
		}
		if (i == n || state_flags(st[i].dwEventState) != known[k].state ||
		    ((st[i].dwEventState >> 16) & 0xFFFFu) != known[k].event_counter)
			return false;
	}
	return true;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* One blocking round: wait for any change from the states just read.
 * Waiting on the raw states (not only on `known`) means a change that
 * does not matter to the caller (another process connecting: INUSE) is
 * absorbed by the next round instead of spinning. */
static apdu_rv APDU_WUR block_once(struct apdu_pcsc *pc, SCARD_READERSTATE *st, size_t n,
                                   DWORD timeout)
{
	LONG rc;

	for (size_t i = 0; i < n; i++)
		st[i].dwCurrentState = st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	/* pcsc-lite: the high word of the PnP reader's state is the reader count */
	st[n].dwCurrentState = (DWORD)n << 16;
	rc = SCardGetStatusChange(pc->ctx, timeout, st, (DWORD)(n + 1));
	if (rc == SCARD_E_UNKNOWN_READER || rc == SCARD_E_READER_UNAVAILABLE)
		return APDU_OK; /* a reader left: the next snapshot shows it */
	if (rc == SCARD_E_CANCELLED || is_cancelled(pc))
		return APDU_ERR_CANCELLED;
	return rc == SCARD_E_TIMEOUT ? APDU_ERR_TIMEOUT
	                             : rv_logged("SCardGetStatusChange", NULL, rc);
}

apdu_rv apdu_pcsc_wait(struct apdu_pcsc *pc, const struct apdu_reader *known, size_t n,
                       long timeout_ms)
{
	struct name_list nl;
	SCARD_READERSTATE st[APDU_READERS_MAX + 1];
	long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	size_t cnt = 0;
	apdu_rv rv;

	if (pc == NULL || (known == NULL && n > 0))
		return APDU_ERR_ARGS;
	for (unsigned round = 0;; round++) {
		DWORD timeout = INFINITE;
		if (is_cancelled(pc))
			return APDU_ERR_CANCELLED;
		rv = snapshot(pc->ctx, &nl, st, &cnt);
		if (rv != APDU_OK)
			return rv;
		if (!same_as_known(st, cnt, known, n))
			return APDU_OK;
		if (timeout_ms >= 0) {
			long left = deadline - now_ms();
			if (left <= 0)
				return APDU_ERR_TIMEOUT;
			timeout = (DWORD)left;
		}
		if (round > 0)
			log_msg(LOG_APDU, "wait: round %u", round);
		rv = block_once(pc, st, cnt, timeout);
		if (rv != APDU_OK)
			return rv;
	}
}

/* ----- a connected card ----- */

static apdu_rv card_reconnect(void *ctx)
{
	struct pcsc_card *c = ctx;
	DWORD proto = 0;
	LONG rc = SCardReconnect(c->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD,
	                         &proto);

	if (rc == SCARD_S_SUCCESS && proto != SCARD_PROTOCOL_T1)
		return APDU_ERR_PROTOCOL;
	return rv_logged("SCardReconnect", c->reader, rc);
}

/* A card reset by someone: reconnect now so the handle works again, and
 * still report APDU_ERR_RESET: the security state is gone (docs/design.md
 * "Transactions"). A failed reconnect reports its own cause (removal). */
static apdu_rv card_rv(struct pcsc_card *c, const char *what, LONG rc)
{
	apdu_rv rv = rv_logged(what, c->reader, rc);

	if (rv == APDU_ERR_RESET) {
		apdu_rv rr = card_reconnect(c);
		if (rr != APDU_OK)
			return rr;
	}
	return rv;
}

/*
 * A command failed with a plain transport error (APDU_ERR_COMM) or came
 * back without a status word. Was the card pulled out in the middle of it?
 * pcscd answers such a cut SCardTransmit with SCARD_E_NOT_TRANSACTED, or
 * (vpcd) with success and no bytes, before its presence poll (every 400 ms
 * for polled readers) has seen the card go; so ask the handle first, then
 * watch the reader for at most GONE_WAIT_MS. Only this failure path waits;
 * R32 wants the cut call reported as CKR_DEVICE_REMOVED.
 */
#define GONE_WAIT_MS 1500

static bool card_gone(struct pcsc_card *c)
{
	char name[APDU_READER_NAME_MAX * 2];
	DWORD name_len = sizeof(name), state = 0, proto = 0;
	BYTE atr[MAX_ATR_SIZE];
	DWORD atr_len = sizeof(atr);
	SCARD_READERSTATE rs;
	LONG rc = SCardStatus(c->h, name, &name_len, &state, &proto, atr, &atr_len);

	if (rc == SCARD_W_REMOVED_CARD || rc == SCARD_E_NO_SMARTCARD)
		return true;
	memset(&rs, 0, sizeof(rs));
	rs.szReader = c->reader;
	rs.dwCurrentState = SCARD_STATE_UNAWARE;
	if (SCardGetStatusChange(c->ctx, 0, &rs, 1) != SCARD_S_SUCCESS)
		return false;
	if (rs.dwEventState & (SCARD_STATE_EMPTY | SCARD_STATE_UNAVAILABLE))
		return true;
	/* present as far as pcscd knows: wait for its next poll. The high
	 * word of the state counts card events (pcsc-lite): a changed count
	 * means the card left, even if one is back already. */
	rs.dwCurrentState = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	rc = SCardGetStatusChange(c->ctx, GONE_WAIT_MS, &rs, 1);
	if (rc != SCARD_S_SUCCESS)
		return false;
	return (rs.dwEventState & (SCARD_STATE_EMPTY | SCARD_STATE_UNAVAILABLE)) != 0 ||
	       (rs.dwEventState >> 16) != (rs.dwCurrentState >> 16);
}

static apdu_rv card_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                             size_t *resp_len)
{
	struct pcsc_card *c = ctx;
	DWORD len = APDU_RAW_RESP_MAX;
	LONG rc = SCardTransmit(c->h, SCARD_PCI_T1, cmd, (DWORD)cmd_len, NULL, resp, &len);
	apdu_rv rv = card_rv(c, "SCardTransmit", rc);
	/* a plain transport error, or (vpcd) success without a status word,
	 * which no card gives: did the card leave during the command? */
	bool suspect = rv == APDU_ERR_COMM || (rv == APDU_OK && len < 2);

	*resp_len = rv == APDU_OK ? len : 0;
	if (suspect && card_gone(c)) {
		log_msg(LOG_APDU, "%s: the card left during SCardTransmit → APDU_ERR_NO_CARD",
		        c->reader);
		*resp_len = 0;
		rv = APDU_ERR_NO_CARD;
	}
	return rv;
}

static apdu_rv card_begin(void *ctx)
{
	struct pcsc_card *c = ctx;
	return card_rv(c, "SCardBeginTransaction", SCardBeginTransaction(c->h));
}

static apdu_rv card_end(void *ctx, bool reset)
{
	struct pcsc_card *c = ctx;
	return card_rv(c, "SCardEndTransaction",
	               SCardEndTransaction(c->h, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD));
}

static apdu_rv card_control(void *ctx, uint32_t code, const uint8_t *in, size_t in_len,
                            uint8_t *out, size_t out_cap, size_t *out_len)
{
	struct pcsc_card *c = ctx;
	DWORD got = 0;
	LONG rc = SCardControl(c->h, code, in, (DWORD)in_len, out, (DWORD)out_cap, &got);

	*out_len = rc == SCARD_S_SUCCESS ? got : 0;
	/* no removal probe here: a reader driver that refuses a control code
	 * with a plain error would cost every bind the probe's wait */
	return card_rv(c, "SCardControl", rc);
}

static apdu_rv card_atr(void *ctx, uint8_t *atr, size_t *atr_len)
{
	struct pcsc_card *c = ctx;
	char name[APDU_READER_NAME_MAX * 2];
	DWORD name_len = sizeof(name), state = 0, proto = 0;
	BYTE buf[MAX_ATR_SIZE];
	DWORD len = sizeof(buf);
	LONG rc = SCardStatus(c->h, name, &name_len, &state, &proto, buf, &len);
	apdu_rv rv = card_rv(c, "SCardStatus", rc);

	if (rv != APDU_OK)
		return rv;
	if (len > APDU_ATR_MAX)
		return APDU_ERR_PROTOCOL;
	memcpy(atr, buf, len);
	*atr_len = len;
	return APDU_OK;
}

static void card_forget(void *ctx)
{
	free(ctx);
}

static void card_close(void *ctx)
{
	struct pcsc_card *c = ctx;

	if (c == NULL)
		return;
	(void)SCardDisconnect(c->h, SCARD_LEAVE_CARD);
	(void)SCardReleaseContext(c->ctx);
	free(c);
}

static const struct apdu_ops pcsc_ops = {
        .transmit = card_transmit,
        .begin = card_begin,
        .end = card_end,
        .reconnect = card_reconnect,
        .control = card_control,
        .atr = card_atr,
        .close = card_close,
        .forget = card_forget,
};

/* Connect shared with T=1 (docs/card.md §1: T=1 only) on a fresh context. */
static apdu_rv APDU_WUR connect_ctx(struct pcsc_card *c, const char *reader)
{
	DWORD proto = 0;
	LONG rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx);

	if (rc != SCARD_S_SUCCESS)
		return rv_logged("SCardEstablishContext", reader, rc);
	rc = SCardConnect(c->ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &c->h, &proto);
	if (rc == SCARD_S_SUCCESS && proto == SCARD_PROTOCOL_T1)
		return APDU_OK;
	if (rc == SCARD_S_SUCCESS) {
		(void)SCardDisconnect(c->h, SCARD_LEAVE_CARD);
		rc = SCARD_E_PROTO_MISMATCH;
	}
	(void)SCardReleaseContext(c->ctx);
	return rv_logged("SCardConnect", reader, rc);
}

apdu_rv apdu_pcsc_connect(const char *reader, struct apdu_card **out)
{
	struct apdu_card *card = NULL;
	struct pcsc_card *c = NULL;
	apdu_rv rv = APDU_ERR_NO_MEMORY;

	if (out != NULL)
		*out = NULL;
	if (reader == NULL || out == NULL || strlen(reader) >= APDU_READER_NAME_MAX)
		return APDU_ERR_ARGS;
	card = calloc(1, sizeof(*card));
	c = calloc(1, sizeof(*c));
	if (card == NULL || c == NULL)
		goto out;
	rv = connect_ctx(c, reader);
	if (rv != APDU_OK)
		goto out;
	snprintf(c->reader, sizeof(c->reader), "%s", reader);
	snprintf(card->reader, sizeof(card->reader), "%s", reader);
	card->ops = &pcsc_ops;
	card->ctx = c;
	*out = card;
	card = NULL;
	c = NULL;
	log_msg(LOG_APDU, "%s: connected (T=1, shared)", reader);
out:
	free(card);
	free(c);
	return rv;
}
