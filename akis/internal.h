/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private interfaces between the files of akis/ (not for pkcs11/ or tools).
 * akis.h is the public contract; this header only shares helpers between
 * card.c (transport, selection, reading), pkcs15.c (directory parsing),
 * nodir.c (the fallback without a directory), cache.c, pin.c, pinpad.c
 * and key.c. reader.c and x509.c have public headers of their own.
 */
#ifndef AKIS_AKIS_INTERNAL_H
#define AKIS_AKIS_INTERNAL_H

#include "akis.h"
#include "../apdu/tlv.h"

/* Largest directory file (ODF, TokenInfo, xDF, EF.DIR) read into memory. */
#define AKIS_DIR_MAX 4096u
/* GET DATA 01 04 byte 6: life cycle (docs/card.md §3) */
#define AKIS_LCS_DEAD 0xAAu
/* READ BINARY step: a response carries at most 244 bytes (docs/card.md §1). */
#define AKIS_READ_STEP 0xF4u

/* ----- sw.c: the transport's results ----- */

/* Transport result → akis_rv (the one translator for apdu_rv). */
akis_rv akis_rv_from_apdu(apdu_rv rv);

/* ----- card.c: transport and file system ----- */

/* apdu_transmit + apdu_rv translation; forgets the selection on a reset. */
akis_rv akis_xmit_tx(struct akis_card *card, const struct apdu *cmd, uint8_t *resp, size_t cap,
                     size_t *len, uint16_t *sw) AKIS_WUR;

/* The PIN and PUK as docs/card.md §3 gives them, until a directory says
 * otherwise. */
void akis_pins_default(struct akis_card *card);
/* Free and zero keys, certificates, PIN infos. */
void akis_card_clear_directory(struct akis_card *card);
/* Transport-class result (the bind stops; card answers may be tolerated). */
static inline bool akis_rv_transport(akis_rv rv)
{
	return rv != AKIS_OK && rv < AKIS_ERR_NOT_AKIS;
}

/* Forget the cached current file (after reset, logout, unknown SELECT). */
void akis_sel_forget(struct akis_card *card);

/*
 * Select by path from the MF (without 3F00). With fci != NULL the FCI is
 * requested (P2 00) and the size from tag 80/81 stored in *size (0 when the
 * FCI has none). Skips the APDU when the path is already current and no FCI
 * is wanted. AKIS_ERR_NOT_FOUND for 6A82.
 */
akis_rv akis_select_tx(struct akis_card *card, const uint8_t *path, size_t len, bool is_df,
                       size_t *size) AKIS_WUR;
/* Make the application DF (card->app_path) current (no APDU when it is). */
/* The logout guard (guard.c): mark the card's reader before a PIN is sent,
 * unmark it once the card is logged out or reset. No-ops without a reader. */
void akis_guard_arm(struct akis_card *card);
void akis_guard_disarm(struct akis_card *card);
/* Is the application DF current in this transaction (selected, or an EF in it)? */
bool akis_app_current(const struct akis_card *card);
akis_rv akis_select_app_tx(struct akis_card *card) AKIS_WUR;

/* One READ BINARY of the current EF: want (≤ AKIS_READ_STEP) bytes at off
 * into dst, the status word in *sw for the caller to judge.
 * AKIS_ERR_CARD_DATA for an offset past 7FFF, without an APDU. */
akis_rv akis_read_binary_tx(struct akis_card *card, size_t off, size_t want, uint8_t *dst,
                            size_t *got, uint16_t *sw) AKIS_WUR;
/* READ BINARY of the current EF. size 0 = unknown (read until 6282/6B00 or
 * a short answer). Up to cap bytes into buf. */
akis_rv akis_read_current_tx(struct akis_card *card, size_t size, uint8_t *buf, size_t cap,
                             size_t *len) AKIS_WUR;
/* Select (with FCI) and read a whole EF into a malloc'd buffer. */
akis_rv akis_read_file_tx(struct akis_card *card, const uint8_t *path, size_t path_len, size_t cap,
                          uint8_t **out, size_t *out_len) AKIS_WUR;

/* ----- pin.c ----- */

/* Record what a VERIFY or CHANGE of `which` with data may have left
 * verified on the card, from its result (pin.c, pinpad.c). */
void akis_pin_note_sent(struct akis_card *card, enum akis_pin_which which, akis_rv rv);

/* ----- sw.c ----- */

/* What the command carried, for the status words whose meaning depends on
 * it (6700 on a PIN, 6A80 on a new PIN). */
enum akis_sw_context { AKIS_SW_GENERAL, AKIS_SW_PIN, AKIS_SW_NEW_PIN };
akis_rv akis_sw_ctx(enum akis_profile profile, uint16_t sw, enum akis_sw_context ctx, int *tries);
/* The status words that code outside sw.c tests by value, named once
 * (docs/card.md §5); everything else goes through akis_sw_ctx. */
#define AKIS_SW_OK           0x9000u /* normal processing */
#define AKIS_SW_EOF          0x6282u /* READ BINARY: end of file before Le */
#define AKIS_SW_WRONG_LENGTH 0x6700u /* GET CHALLENGE: Le too large for this card */
#define AKIS_SW_WRONG_OFFSET 0x6B00u /* READ BINARY: offset at or past the end */
/* Does this answer to SELECT by path (P1 08) say the card does not do it?
 * Then the module selects FID by FID (docs/card.md §3). */
bool akis_sw_no_path_select(uint16_t sw);

/* ----- pkcs15.c ----- */

struct akis_odf {
	uint8_t path[9][AKIS_PATH_MAX]; /* indexed by the ODF choice tag [0]..[8] */
	size_t len[9];
};
#define AKIS_ODF_PRKDF 0
#define AKIS_ODF_PUKDF 1
#define AKIS_ODF_CDF   4
#define AKIS_ODF_AODF  8

/* Turn a PKCS#15 Path (absolute with 3F00, or relative to the application
 * DF) into a path from the MF without 3F00. */
bool akis_p15_path(const struct akis_card *card, struct rd *path_value, uint8_t *out,
                   size_t *out_len) AKIS_WUR;

akis_rv akis_p15_efdir(struct akis_card *card, const uint8_t *buf, size_t len) AKIS_WUR;
akis_rv akis_p15_odf(const struct akis_card *card, const uint8_t *buf, size_t len,
                     struct akis_odf *odf) AKIS_WUR;
akis_rv akis_p15_tokeninfo(struct akis_card *card, const uint8_t *buf, size_t len) AKIS_WUR;
akis_rv akis_p15_aodf(struct akis_card *card, const uint8_t *buf, size_t len) AKIS_WUR;
akis_rv akis_p15_prkdf(struct akis_card *card, const uint8_t *buf, size_t len) AKIS_WUR;
/* CDF entries: certificates with a path get der == NULL (read later);
 * direct values are copied. */
akis_rv akis_p15_cdf(struct akis_card *card, const uint8_t *buf, size_t len) AKIS_WUR;
akis_rv akis_p15_pukdf(struct akis_card *card, const uint8_t *buf, size_t len) AKIS_WUR;

/* ----- nodir.c: facts from certificates, the no-PKCS#15 card ----- */

struct akis_tcache;
/* Pair keys with certificates by iD and complete key type/bits from them. */
void akis_keys_complete(struct akis_card *card);
/* Discover certificates and keys without ODF (docs/card.md §2). */
akis_rv akis_nodir_bind_tx(struct akis_card *card, struct akis_tcache *tc) AKIS_WUR;

/* ----- cache.c: the whole bound token on disk (R44, docs/design.md "The
 * on-disk token cache") ----- */

/* What a record of the cache holds, keyed by a path (or a DF name). */
enum akis_cache_rec {
	AKIS_CREC_FILE = 1,   /* a directory file's content */
	AKIS_CREC_ABSENT = 2, /* a directory file the card does not have (6A82) */
	AKIS_CREC_NAME = 3,   /* SELECT by DF name: the FID found (2 bytes) or nothing */
	AKIS_CREC_CERT = 4,   /* a certificate file */
};
/* One bind's view of the cache of this card (its serial must be known):
 * warm when the card's cache file was there and well formed. NULL for no
 * cache (dir NULL, no memory); every function below takes NULL. */
struct akis_tcache *akis_tcache_open(const struct akis_card *card, const char *dir);
bool akis_tcache_warm(const struct akis_tcache *tc);
/* Did the card contradict a record in this bind? (the bind then fails
 * with AKIS_ERR_CARD_DATA and akis_bind_tx starts again, cold) */
bool akis_tcache_stale(const struct akis_tcache *tc);
/* Forget every record and delete the card's cache file: cold from now. */
void akis_tcache_drop(struct akis_tcache *tc, const struct akis_card *card);
/* Store (when the bind succeeded and made new records) and free. */
void akis_tcache_close(struct akis_tcache *tc, const struct akis_card *card, bool bound);
bool akis_tcache_get(const struct akis_tcache *tc, enum akis_cache_rec type, const uint8_t *key,
                     size_t key_len, const uint8_t **data, size_t *len);
void akis_tcache_put(struct akis_tcache *tc, enum akis_cache_rec type, const uint8_t *key,
                     size_t key_len, const uint8_t *data, size_t len);
/* A directory file into a malloc'd buffer. Warm: a trusted file
 * (evidence false) comes from the cache without an APDU; an evidence file
 * is read and must equal the cached copy byte for byte and in length.
 * Otherwise read from the card and recorded. AKIS_ERR_NOT_FOUND for an
 * absent file; AKIS_ERR_CARD_DATA with akis_tcache_stale() on a
 * contradiction. */
akis_rv akis_tcache_file_tx(struct akis_card *card, struct akis_tcache *tc, const uint8_t *path,
                            size_t path_len, bool evidence, uint8_t **out,
                            size_t *out_len) AKIS_WUR;
/* The certificate file at certs[i].path: warm, the cached copy when the
 * card confirms its last 243 bytes and its end; else read and recorded. */
akis_rv akis_cert_read_tx(struct akis_card *card, size_t i, struct akis_tcache *tc) AKIS_WUR;
/* How many cached certificates the card confirmed in this bind. */
size_t akis_tcache_proven(const struct akis_tcache *tc);
/* The reader's last card: its serial into card->serial when the reader
 * (card->reader) has a hint file in dir for a card of this profile. */
bool akis_tcache_hint(struct akis_card *card, const char *dir);
/* Make card->serial the reader's last card (written only when it changed
 * is the caller's business; atomic). */
void akis_tcache_hint_set(const struct akis_card *card, const char *dir);

/* ----- pinpad.c ----- */

/* PC/SC part 10 feature discovery (no APDU). */
void akis_pinpad_discover(struct akis_card *card);

#endif
