/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apdu/: the transport layer.
 *
 * ISO 7816-4 short APDUs (cases 1-4), command chaining, 61xx accumulation,
 * 6Cxx re-send, and a transport ops table with two implementations: PC/SC
 * (apdu/pcsc.c, the only file in the project that includes <winscard.h>)
 * and a scripted one for unit tests (apdu/script.c).
 *
 * Error vocabulary: apdu_rv. A status word is never folded into it: a
 * transmit that reached the card returns APDU_OK and the SW beside it.
 */
#ifndef AKIS_APDU_APDU_H
#define AKIS_APDU_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APDU_WUR __attribute__((warn_unused_result))

/* Largest data field of a short command APDU (ISO 7816-4 §5.1). */
#define APDU_SHORT_LC_MAX 255u
/* Largest response data of a short APDU (Le = 00 means 256). */
#define APDU_SHORT_LE_MAX 256u
/* Cap on a response accumulated over 61xx / GET RESPONSE (named, docs/style.md). */
#define APDU_CHAIN_CAP 4096u
/* Largest raw message (command or response) on the wire. */
#define APDU_RAW_MAX      (5u + APDU_SHORT_LC_MAX + 1u)
#define APDU_RAW_RESP_MAX (APDU_SHORT_LE_MAX + 2u)
/* Longest ATR (ISO 7816-3). */
#define APDU_ATR_MAX 33u

typedef enum {
	APDU_OK = 0,
	APDU_ERR_ARGS, /* caller error: bad lengths, NULL, too long for the encoding */
	APDU_ERR_NO_MEMORY,
	APDU_ERR_NO_SERVICE, /* pcscd not running or went away */
	APDU_ERR_NO_READER,  /* the reader is gone */
	APDU_ERR_NO_CARD,    /* card removed (or never there) */
	APDU_ERR_RESET,    /* card was reset by someone: handle reconnected, security state lost */
	APDU_ERR_SHARING,  /* card held exclusively by another process */
	APDU_ERR_PROTOCOL, /* malformed response: < 2 bytes, over a cap, wrong T */
	APDU_ERR_TIMEOUT,
	APDU_ERR_CANCELLED,     /* wait cancelled, PIN pad cancel */
	APDU_ERR_NOT_SUPPORTED, /* e.g. no PIN pad feature */
	APDU_ERR_COMM,          /* any other transport failure */
} apdu_rv;

/* Short name for logs ("APDU_ERR_RESET"). Never NULL. */
const char *apdu_rv_name(apdu_rv rv);

/*
 * One command APDU. le: 0 = no Le field; 1..256 = expected length (256 is
 * encoded as 00). data may be longer than 255 bytes only for apdu_transmit,
 * which then chains it (CLA | 0x10 on all but the last part).
 */
struct apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	size_t le;
};

/* Encode a single short APDU (lc <= 255, le <= 256) into out.
 * Returns APDU_OK or APDU_ERR_ARGS. */
apdu_rv apdu_encode(const struct apdu *cmd, uint8_t *out, size_t cap, size_t *out_len) APDU_WUR;

/* ----- transport ----- */

struct apdu_card; /* a connected card: ops + implementation context */

struct apdu_ops {
	/* Send one raw short APDU, receive the raw response (data + SW1 SW2).
	 * resp has room for APDU_RAW_RESP_MAX bytes. */
	apdu_rv (*transmit)(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
	                    size_t *resp_len);
	apdu_rv (*begin)(void *ctx); /* SCardBeginTransaction */
	/* SCardEndTransaction: SCARD_LEAVE_CARD, or SCARD_RESET_CARD when reset
	 * (the card's security state must go and a LOGOUT could not do it) */
	apdu_rv (*end)(void *ctx, bool reset);
	apdu_rv (*reconnect)(
	        void *ctx); /* after APDU_ERR_RESET: SCardReconnect shared, T=1, leave */
	/* SCardControl, for PC/SC part 10 features (PIN pad). May be NULL. */
	apdu_rv (*control)(void *ctx, uint32_t code, const uint8_t *in, size_t in_len, uint8_t *out,
	                   size_t out_cap, size_t *out_len);
	/* Current ATR of the connected card. */
	apdu_rv (*atr)(void *ctx, uint8_t *atr, size_t *atr_len);
	void (*close)(void *ctx); /* SCardDisconnect(SCARD_LEAVE_CARD), free ctx */
	/* Free ctx without any transport call (a forked child). May be NULL. */
	void (*forget)(void *ctx);
};

struct apdu_card {
	const struct apdu_ops *ops;
	void *ctx;
	char reader[128];    /* for log lines */
	unsigned long count; /* raw APDUs sent (apdu_card_count) */
};

/*
 * THE function that knows chaining, 61xx and 6Cxx (docs/style.md):
 *  - data over 255 bytes is sent in 255-byte parts with CLA|0x10 (ISO 7816-4
 *    §5.1.1.1); a non-9000 SW on an intermediate part ends the exchange with
 *    that SW;
 *  - 61xx: GET RESPONSE 00 C0 00 00 xx (xx = 00 means 256) until a final SW,
 *    accumulating at most min(resp_cap, APDU_CHAIN_CAP) bytes, else
 *    APDU_ERR_PROTOCOL;
 *  - 6Cxx on a command without data (case 2): re-sent once with Le = xx;
 *    6Cxx on a command with data is returned as is (docs/card.md §1: never
 *    repeat a signature);
 *  - 6883 (last command of the chain expected) on the first raw exchange:
 *    the card was left in the middle of a chain (by a broken chain of ours
 *    or another application's) and did not execute the command, which the
 *    answer also ended; the whole command is sent once more (ISO 7816-4
 *    §5.1.1.1, docs/card.md §1).
 * On APDU_OK, *sw holds the final status word and resp (*resp_len bytes) the data.
 * resp may be NULL when resp_cap is 0; response data that does not fit
 * resp_cap is APDU_ERR_PROTOCOL. Every raw exchange is traced (log/log.h).
 */
apdu_rv apdu_transmit(struct apdu_card *card, const struct apdu *cmd, uint8_t *resp,
                      size_t resp_cap, size_t *resp_len, uint16_t *sw) APDU_WUR;

apdu_rv apdu_begin(struct apdu_card *card) APDU_WUR;
/* End the transaction; reset: end it with a card reset (every application
 * then sees SCARD_W_RESET_CARD; the card's PINs are no longer verified).
 * The result is informational. */
apdu_rv apdu_end(struct apdu_card *card, bool reset);
apdu_rv apdu_reconnect(struct apdu_card *card) APDU_WUR;
apdu_rv apdu_control(struct apdu_card *card, uint32_t code, const uint8_t *in, size_t in_len,
                     uint8_t *out, size_t out_cap, size_t *out_len) APDU_WUR;
apdu_rv apdu_card_atr(struct apdu_card *card, uint8_t *atr, size_t *atr_len) APDU_WUR;
void apdu_card_close(struct apdu_card *card); /* frees card; NULL is fine */
/* After fork(): free card without any transport call (the PC/SC handle
 * belongs to the parent, R5). NULL is fine. */
void apdu_card_forget(struct apdu_card *card);

/* Number of raw APDUs sent through this card since open (benchmarks, tests). */
unsigned long apdu_card_count(const struct apdu_card *card);

#endif
