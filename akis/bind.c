/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Token binding: identity (GET DATA), the application DF (EF.DIR or SELECT
 * by name), the PKCS#15 directory (ODF → TokenInfo, AODF, PrKDF, PuKDF,
 * CDF) or the fallback without one, and the certificate files.
 * Each file is read once (R44); with the on-disk token cache, a second
 * process reads only the evidence that the cached token is the card's
 * (docs/design.md "The on-disk token cache").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "akis.h"
#include "internal.h"
#include "../log/log.h"
#include "../apdu/tlv.h"

#define INS_GET_DATA    0xCA
#define INS_SELECT_NAME 0xA4
#define SYSBUF_LEN      0x4D /* GET DATA 01 06 */
#define SERIAL_OFF      55u  /* docs/card.md §3 [C] */
#define SERIAL_LEN      12u
#define LCS_LEN         0x0A /* GET DATA 01 04 */
#define LCS_OFF         6u

static const uint8_t p15_name[] = {'P', 'K', 'C', 'S', '-', '1', '5'};
static const uint8_t p15_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                  0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};
static const uint8_t fid_efdir[] = {0x2F, 0x00};
static const uint8_t fid_odf[] = {0x50, 0x31};
static const uint8_t fid_tokeninfo[] = {0x50, 0x32};

/* GET DATA 01 p2 with Le; the answer's bytes [off, off+n) into out. */
static akis_rv get_data_tx(struct akis_card *card, uint8_t p2, size_t le, size_t off, uint8_t *out,
                           size_t n)
{
	uint8_t buf[APDU_SHORT_LE_MAX];
	size_t len = 0;
	uint16_t sw = 0;
	struct apdu cmd = {0x00, INS_GET_DATA, 0x01, p2, NULL, 0, le};
	akis_rv rv = akis_xmit_tx(card, &cmd, buf, sizeof buf, &len, &sw);
	if (rv != AKIS_OK)
		return rv;
	if (sw != AKIS_SW_OK)
		return akis_sw_ctx(card->atr.profile, sw, AKIS_SW_GENERAL, NULL);
	struct rd r = rd_init(buf, len);
	if (!rd_skip(&r, off) || !rd_bytes(&r, out, n))
		return AKIS_ERR_CARD_DATA;
	return AKIS_OK;
}

/* The card serial. A card answering a status word instead keeps the
 * TokenInfo serial; transport errors end the bind. The life cycle is not
 * read here: akis_life_cycle_tx, only where the PUK state leaves it open
 * (akis_card_read_tx, docs/design.md "The on-disk token cache"). */
static akis_rv bind_identity_tx(struct akis_card *card)
{
	uint8_t serial[SERIAL_LEN];
	akis_rv rv = get_data_tx(card, 0x06, SYSBUF_LEN, SERIAL_OFF, serial, sizeof serial);
	if (rv == AKIS_OK) {
		memcpy(card->serial, serial, sizeof serial);
		card->serial_len = sizeof serial;
	} else if (akis_rv_transport(rv)) {
		return rv;
	} else {
		log_msg(LOG_OBJ, "GET DATA serial: %s", akis_rv_name(rv));
	}
	return AKIS_OK;
}

akis_rv akis_life_cycle_tx(struct akis_card *card)
{
	if (card == NULL)
		return AKIS_ERR_ARGS;
	akis_rv rv = get_data_tx(card, 0x04, LCS_LEN, LCS_OFF, &card->life_cycle, 1);
	if (akis_rv_transport(rv))
		return rv;
	if (rv != AKIS_OK)
		card->life_cycle = 0;
	log_msg(LOG_OBJ, "life cycle %02X", card->life_cycle);
	return AKIS_OK;
}

/* SELECT DF by name (P1 04) with FCI; the FID (83) becomes the app path. */
static akis_rv select_name_tx(struct akis_card *card, const uint8_t *name, size_t n, bool *found)
{
	uint8_t fci[APDU_SHORT_LE_MAX];
	size_t len = 0;
	uint16_t sw = 0;
	struct apdu cmd = {0x00, INS_SELECT_NAME, 0x04, 0x00, name, n, APDU_SHORT_LE_MAX};
	*found = false;
	akis_sel_forget(card);
	akis_rv rv = akis_xmit_tx(card, &cmd, fci, sizeof fci, &len, &sw);
	if (rv != AKIS_OK || sw != AKIS_SW_OK)
		return rv;
	*found = true;
	struct rd r = rd_init(fci, len), v, fid;
	unsigned tag;
	if (rd_tlv(&r, &tag, &v) && (tag == 0x62 || tag == 0x6F) && rd_find(&v, 0x83, &fid) &&
	    rd_left(&fid) == 2 && rd_bytes(&fid, card->app_path, 2)) {
		card->app_path_len = 2; /* a DF selectable by name sits under the MF here */
		memcpy(card->cur_path, card->app_path, 2);
		card->cur_path_len = 2;
		card->cur_is_df = true;
	}
	return AKIS_OK;
}

/* SELECT by name through the cache: trusted, personalisation fixes where
 * the application DF is (docs/design.md "The on-disk token cache"). */
static akis_rv select_name_cached_tx(struct akis_card *card, struct akis_tcache *tc,
                                     const uint8_t *name, size_t n, bool *found)
{
	const uint8_t *fid = NULL;
	size_t len = 0;
	if (akis_tcache_warm(tc) && akis_tcache_get(tc, AKIS_CREC_NAME, name, n, &fid, &len) &&
	    len <= 2) {
		*found = len == 2;
		if (*found) {
			memcpy(card->app_path, fid, 2);
			card->app_path_len = 2;
		}
		return AKIS_OK;
	}
	akis_rv rv = select_name_tx(card, name, n, found);
	if (rv == AKIS_OK)
		akis_tcache_put(tc, AKIS_CREC_NAME, name, n, card->app_path, *found ? 2 : 0);
	return rv;
}

/* EF.DIR when present; else SELECT by name "PKCS-15" [C], then the AID. */
static akis_rv bind_app_tx(struct akis_card *card, struct akis_tcache *tc)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	bool found = false;
	akis_rv rv = akis_tcache_file_tx(card, tc, fid_efdir, sizeof fid_efdir, false, &buf, &len);
	if (rv == AKIS_OK) {
		rv = akis_p15_efdir(card, buf, len);
		free(buf);
		if (rv == AKIS_OK) {
			card->has_efdir = true;
			return AKIS_OK;
		}
	}
	if (akis_rv_transport(rv))
		return rv;
	log_msg(LOG_OBJ, "no usable EF.DIR (%s): SELECT by name", akis_rv_name(rv));
	rv = select_name_cached_tx(card, tc, p15_name, sizeof p15_name, &found);
	if (rv == AKIS_OK && !found)
		rv = select_name_cached_tx(card, tc, p15_aid, sizeof p15_aid, &found);
	if (rv == AKIS_OK && !found)
		log_msg(LOG_OBJ, "PKCS-15 DF not selectable by name: assuming 3D00");
	return rv;
}

static bool path_join(const struct akis_card *card, const uint8_t *fid, uint8_t *out, size_t *len)
{
	if (card->app_path_len + 2 > AKIS_PATH_MAX)
		return false;
	memcpy(out, card->app_path, card->app_path_len);
	memcpy(out + card->app_path_len, fid, 2);
	*len = card->app_path_len + 2;
	return true;
}

typedef akis_rv (*dir_parser)(struct akis_card *card, const uint8_t *buf, size_t len);

/* Read one directory file and parse it. A missing file is fine when
 * optional; anything malformed fails the bind (never a half-read token).
 * `evidence`: with a warm cache, read it from the card all the same and
 * compare (the CDF, docs/design.md "The on-disk token cache"). */
static akis_rv dir_file_tx(struct akis_card *card, struct akis_tcache *tc, const uint8_t *path,
                           size_t path_len, dir_parser parse, bool optional, bool evidence)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	if (path_len == 0)
		return AKIS_OK;
	akis_rv rv = akis_tcache_file_tx(card, tc, path, path_len, evidence, &buf, &len);
	if (rv == AKIS_ERR_NOT_FOUND && optional)
		return AKIS_OK;
	if (rv == AKIS_OK)
		rv = parse(card, buf, len);
	free(buf);
	return rv;
}

static akis_rv bind_pkcs15_tx(struct akis_card *card, const struct akis_odf *odf,
                              struct akis_tcache *tc)
{
	uint8_t path[AKIS_PATH_MAX];
	size_t path_len = 0;
	akis_rv rv = AKIS_OK;
	if (path_join(card, fid_tokeninfo, path, &path_len))
		rv = dir_file_tx(card, tc, path, path_len, akis_p15_tokeninfo, true, false);
	if (rv == AKIS_OK)
		rv = dir_file_tx(card, tc, odf->path[AKIS_ODF_AODF], odf->len[AKIS_ODF_AODF],
		                 akis_p15_aodf, true, false);
	if (rv == AKIS_OK)
		rv = dir_file_tx(card, tc, odf->path[AKIS_ODF_PRKDF], odf->len[AKIS_ODF_PRKDF],
		                 akis_p15_prkdf, false, false);
	if (rv == AKIS_OK)
		rv = dir_file_tx(card, tc, odf->path[AKIS_ODF_PUKDF], odf->len[AKIS_ODF_PUKDF],
		                 akis_p15_pukdf, true, false);
	/* the CDF is the evidence of a warm cache (read again and compared) */
	if (rv == AKIS_OK)
		rv = dir_file_tx(card, tc, odf->path[AKIS_ODF_CDF], odf->len[AKIS_ODF_CDF],
		                 akis_p15_cdf, false, true);
	for (size_t i = 0; rv == AKIS_OK && i < card->n_certs; i++) {
		if (card->certs[i].der != NULL)
			continue;
		rv = akis_cert_read_tx(card, i, tc);
		if (rv == AKIS_ERR_NOT_FOUND) {
			log_msg(LOG_OBJ, "certificate %zu: file missing, dropped", i);
			memmove(&card->certs[i], &card->certs[i + 1],
			        (card->n_certs - i - 1) * sizeof card->certs[0]);
			card->n_certs--;
			i--;
			rv = AKIS_OK;
		}
	}
	return rv;
}

static akis_rv bind_directory_tx(struct akis_card *card, struct akis_tcache *tc)
{
	uint8_t path[AKIS_PATH_MAX], *buf = NULL;
	size_t path_len = 0, len = 0;
	struct akis_odf odf;
	akis_rv rv = bind_app_tx(card, tc);
	if (rv != AKIS_OK)
		return rv;
	if (!path_join(card, fid_odf, path, &path_len))
		return AKIS_ERR_CARD_DATA;
	rv = akis_tcache_file_tx(card, tc, path, path_len, false, &buf, &len);
	if (rv == AKIS_ERR_NOT_FOUND) {
		log_msg(LOG_OBJ, "no ODF: discovering certificates without a directory");
		return akis_nodir_bind_tx(card, tc);
	}
	if (rv == AKIS_OK)
		rv = akis_p15_odf(card, buf, len, &odf);
	free(buf);
	if (rv != AKIS_OK)
		return rv;
	card->has_pkcs15 = true;
	return bind_pkcs15_tx(card, &odf, tc);
}

/* Everything a directory bind fills in, back to what akis_card_new set. */
static void bind_reset_directory(struct akis_card *card)
{
	akis_card_clear_directory(card);
	akis_pins_default(card);
	card->binds = 0;
	card->cache_hits = 0;
	card->has_efdir = false;
	card->has_pkcs15 = false;
	card->token_label[0] = '\0';
	card->app_path[0] = 0x3D; /* docs/card.md §2 [C] */
	card->app_path[1] = 0x00;
	card->app_path_len = 2;
	snprintf(card->manufacturer, sizeof card->manufacturer, "TUBITAK BILGEM");
}

/*
 * The directory, through the token cache when there is one. A card that
 * contradicts the cache (a file not found, a wrong length, a different
 * byte) costs the cache, never a wrong token: it is dropped and the bind
 * starts again from scratch in the same call (docs/design.md
 * "Self-healing", R44). `drop`: the cache is known stale already.
 */
static akis_rv bind_cached_tx(struct akis_card *card, const char *cache_dir, bool drop)
{
	struct akis_tcache *tc = akis_tcache_open(card, cache_dir);
	if (drop && akis_tcache_warm(tc)) {
		log_msg(LOG_OBJ, "cached token contradicted by its card: binding from scratch");
		akis_tcache_drop(tc, card);
	}
	akis_rv rv = bind_directory_tx(card, tc);
	if (rv != AKIS_OK && !akis_rv_transport(rv) && akis_tcache_warm(tc)) {
		log_msg(LOG_OBJ, "cached token not confirmed (%s%s): binding from scratch",
		        akis_rv_name(rv), akis_tcache_stale(tc) ? ", stale" : "");
		akis_tcache_drop(tc, card);
		bind_reset_directory(card);
		akis_sel_forget(card);
		rv = bind_directory_tx(card, tc);
	}
	if (rv == AKIS_OK)
		akis_keys_complete(card);
	akis_tcache_close(tc, card, rv == AKIS_OK);
	return rv;
}

/* Does the card's serial (GET DATA) equal card->serial? The serial read
 * goes to got (*got_len 0: the card answered a status word), so that the
 * bind by serial needs no second GET DATA (R44). */
static akis_rv bind_same_serial_tx(struct akis_card *card, uint8_t got[SERIAL_LEN], size_t *got_len)
{
	akis_rv rv = get_data_tx(card, 0x06, SYSBUF_LEN, SERIAL_OFF, got, SERIAL_LEN);
	if (akis_rv_transport(rv))
		return rv;
	*got_len = rv == AKIS_OK ? SERIAL_LEN : 0;
	if (rv != AKIS_OK || card->serial_len != SERIAL_LEN ||
	    memcmp(card->serial, got, SERIAL_LEN) != 0)
		return AKIS_ERR_CARD_DATA;
	return AKIS_OK;
}

/* Does this bind prove the reader's last card? Every certificate confirmed
 * from the cache, and one of them the certificate of a key of the card
 * (never a CA's: pairing skips those, akis/nodir.c): it carries the public
 * half of a key made on this card, which no other card holds. */
static bool hint_proven(const struct akis_card *card, const struct akis_tcache *tc)
{
	if (card->n_certs == 0 || akis_tcache_proven(tc) != card->n_certs)
		return false;
	for (size_t i = 0; i < card->n_keys; i++)
		if (card->keys[i].cert >= 0)
			return true;
	return false;
}

/*
 * The reader's last card (card->serial from akis_tcache_hint), bound from
 * its cache without the GET DATA of the serial (docs/design.md "The
 * on-disk token cache"). The evidence decides: the CDF whole, and every
 * certificate's tail and end (hint_proven); where that does not prove the
 * card, the GET DATA is sent after all. Returns AKIS_ERR_NOT_FOUND,
 * nothing sent, when there is no cache to try; AKIS_ERR_CARD_DATA (or
 * another card-side error) when the card is not that token, *stale when a
 * record was contradicted, *asked when the GET DATA was answered (the
 * serial in got, *got_len bytes); transport errors.
 */
static akis_rv bind_hinted_tx(struct akis_card *card, const char *cache_dir, bool *stale,
                              uint8_t got[SERIAL_LEN], size_t *got_len, bool *asked)
{
	struct akis_tcache *tc = akis_tcache_open(card, cache_dir);
	*stale = false;
	*asked = false;
	if (!akis_tcache_warm(tc)) {
		akis_tcache_close(tc, card, false);
		return AKIS_ERR_NOT_FOUND;
	}
	akis_rv rv = bind_directory_tx(card, tc);
	*stale = akis_tcache_stale(tc);
	if (rv == AKIS_OK) {
		akis_keys_complete(card);
		if (!hint_proven(card, tc)) {
			rv = bind_same_serial_tx(card, got, got_len);
			*asked = !akis_rv_transport(rv);
		}
	}
	akis_tcache_close(tc, card, rv == AKIS_OK);
	return rv;
}

static bool serial_is(const struct akis_card *card, const uint8_t *serial, size_t len)
{
	return len > 0 && card->serial_len == len && memcmp(card->serial, serial, len) == 0;
}

akis_rv akis_bind_tx(struct akis_card *card, const char *cache_dir)
{
	uint8_t hint[AKIS_SERIAL_MAX], got[SERIAL_LEN];
	size_t hint_len = 0, got_len = 0;
	bool stale = false, asked = false;
	akis_rv rv = AKIS_ERR_NOT_FOUND;
	if (card == NULL)
		return AKIS_ERR_ARGS;
	bind_reset_directory(card);
	card->serial_len = 0;
	card->life_cycle = 0;
	if (akis_tcache_hint(card, cache_dir)) {
		hint_len = card->serial_len;
		memcpy(hint, card->serial, hint_len);
		akis_pinpad_discover(card);
		rv = bind_hinted_tx(card, cache_dir, &stale, got, &got_len, &asked);
		if (akis_rv_transport(rv))
			card->serial_len = 0; /* a guess the card never confirmed */
	}
	if (rv != AKIS_OK && !akis_rv_transport(rv)) {
		if (rv != AKIS_ERR_NOT_FOUND)
			log_msg(LOG_OBJ,
			        "not the reader's last card as cached (%s): binding by serial",
			        akis_rv_name(rv));
		bind_reset_directory(card);
		akis_sel_forget(card);
		card->serial_len = 0;
		if (asked) { /* answered already: not twice (R44); none: TokenInfo's */
			memcpy(card->serial, got, got_len);
			card->serial_len = got_len;
			rv = AKIS_OK;
		} else {
			rv = bind_identity_tx(card);
		}
		if (rv == AKIS_OK && hint_len == 0)
			akis_pinpad_discover(card);
		/* the same card contradicted its own cache: cold at once */
		if (rv == AKIS_OK)
			rv = bind_cached_tx(card, cache_dir,
			                    stale && serial_is(card, hint, hint_len));
	}
	/* a card without a cache file too: its hint then costs no APDU */
	if (rv == AKIS_OK && !serial_is(card, hint, hint_len))
		akis_tcache_hint_set(card, cache_dir);
	/* A directory the card refuses may be a dead application's (life
	 * cycle AA, docs/card.md §4): the life cycle says. */
	if (rv != AKIS_OK && !akis_rv_transport(rv) && akis_life_cycle_tx(card) == AKIS_OK &&
	    card->life_cycle == AKIS_LCS_DEAD) {
		log_msg(LOG_OBJ, "dead card: directory unreadable (%s)", akis_rv_name(rv));
		akis_card_clear_directory(card);
		return AKIS_ERR_DEAD; /* identity stays for the monitor */
	}
	if (rv == AKIS_OK) {
		log_msg(LOG_OBJ, "bound: %zu keys, %zu certificates, %lu files read, %lu cached",
		        card->n_keys, card->n_certs, card->binds, card->cache_hits);
	} else {
		log_msg(LOG_OBJ, "bind failed: %s", akis_rv_name(rv));
		akis_card_clear_directory(card);
	}
	return rv;
}
