/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The validated on-disk cache of the whole bound token (R44,
 * docs/design.md "The on-disk token cache"). Public data only: the
 * directory files (EF.DIR, ODF, TokenInfo, AODF, PrKDF, PuKDF, CDF), what
 * SELECT by name and probing found, and the certificate files; never
 * anything secret, never a PIN state.
 *
 * Key: the card serial (one file per card, "akis-<serial hex>.cache").
 * A bind replays the cold algorithm over the cached answers: the files
 * that only personalisation writes are trusted, the evidence is read
 * again and compared (the CDF whole, each certificate's last 243 bytes,
 * each with a proof that the file ends where it ended). Anything the card
 * answers differently marks the cache stale; akis_bind_tx then drops it
 * and binds from scratch in the same call (docs/design.md "Self-healing").
 *
 * The cache file is parsed with the bounded reader like card bytes; a
 * malformed one is ignored. Written atomically (mkstemp + rename).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "akis.h"
#include "internal.h"
#include "../log/log.h"
#include "../apdu/tlv.h"

static const uint8_t cache_magic[8] = {'A', 'K', 'I', 'S', 'C', 'C', '2', '\n'};
#define CACHE_RECORDS_MAX 64u
#define CACHE_KEY_MAX     16u
#define CACHE_FILE_MAX                                                                             \
	(AKIS_MAX_CERTS * (AKIS_CERT_MAX + 32u) + 24u * (AKIS_DIR_MAX + 32u) + sizeof cache_magic)
/* A tail of this size plus one byte fits one READ BINARY (docs/card.md §1). */
#define TAIL_PROOF (AKIS_READ_STEP - 1u)

struct cache_rec {
	uint8_t type; /* enum akis_cache_rec */
	uint8_t key[CACHE_KEY_MAX];
	uint8_t key_len;
	const uint8_t *data; /* into the loaded file or `own` */
	size_t len;
	uint8_t *own; /* malloc'd copy for records made in this bind */
};

struct akis_tcache {
	char dir[4096];
	uint8_t *file; /* the loaded cache file, records point into it */
	struct cache_rec rec[CACHE_RECORDS_MAX];
	size_t n;
	bool warm;     /* records came from the disk */
	bool dirty;    /* a record was made in this bind: store at the end */
	bool stale;    /* the card contradicted a record */
	size_t proven; /* cached certificates the card confirmed in this bind */
};

/* mkdir -p with mode 0700 for every component we create. */
static void cache_mkdirs(const char *dir)
{
	char path[4096];
	size_t len = strlen(dir);
	if (len == 0 || len >= sizeof path)
		return;
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];
		path[i] = '\0';
		(void)mkdir(path, 0700);
		path[i] = c;
	}
}

/*
 * The cache directory is used only when it is a real directory owned by
 * this user that nobody else can write to: a certificate served from a
 * directory someone else can write to could be forged (the cache holds
 * public data only, so others may read it). New directories are 0700.
 */
static bool cache_dir_private(const char *dir, bool create)
{
	struct stat st;
	if (create)
		cache_mkdirs(dir);
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0)
		return false;
	return true;
}

static bool cache_name(const struct akis_card *card, const char *dir, bool create, char *out,
                       size_t cap)
{
	if (!cache_dir_private(dir, create)) {
		log_msg(LOG_OBJ, "cache: %s missing or not private, not used", dir);
		return false;
	}
	int n = snprintf(out, cap, "%s/akis-", dir);
	if (card->serial_len == 0 || n < 0 || (size_t)n >= cap)
		return false;
	for (size_t i = 0; i < card->serial_len; i++) {
		int m = snprintf(out + n, cap - (size_t)n, "%02x", card->serial[i]);
		if (m < 0 || (size_t)(n + m) >= cap)
			return false;
		n += m;
	}
	return snprintf(out + n, cap - (size_t)n, ".cache") < (int)(cap - (size_t)n);
}

/* Whole cache file into memory (NULL when absent or unreadable). */
static uint8_t *cache_load(const char *name, size_t *len)
{
	uint8_t *buf = NULL;
	struct stat st;
	/* O_NONBLOCK: a FIFO planted there must not hang the bind */
	int fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (size_t)st.st_size > CACHE_FILE_MAX)
		goto out;
	buf = malloc((size_t)st.st_size);
	if (buf == NULL || read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = (size_t)st.st_size;
out:
	close(fd);
	return buf;
}

/* Records of { u8 type, u8 key_len, key, u16 len, data } after the magic;
 * all or nothing: a malformed file gives no record. */
static bool cache_parse(struct akis_tcache *tc, const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len), data;
	uint8_t magic[sizeof cache_magic];
	uint16_t dlen;
	tc->n = 0;
	if (!rd_bytes(&r, magic, sizeof magic) || memcmp(magic, cache_magic, sizeof magic) != 0)
		return false;
	while (!rd_empty(&r)) {
		struct cache_rec *c = &tc->rec[tc->n];
		if (tc->n >= CACHE_RECORDS_MAX || !rd_u8(&r, &c->type) || !rd_u8(&r, &c->key_len) ||
		    c->key_len > CACHE_KEY_MAX || !rd_bytes(&r, c->key, c->key_len) ||
		    !rd_u16be(&r, &dlen) || !rd_sub(&r, dlen, &data)) {
			tc->n = 0;
			return false;
		}
		c->data = data.p;
		c->len = dlen;
		c->own = NULL;
		tc->n++;
	}
	return true;
}

struct akis_tcache *akis_tcache_open(const struct akis_card *card, const char *dir)
{
	char name[4096];
	size_t len = 0;
	if (dir == NULL || strlen(dir) >= sizeof name)
		return NULL;
	struct akis_tcache *tc = calloc(1, sizeof *tc);
	if (tc == NULL)
		return NULL;
	memcpy(tc->dir, dir, strlen(dir) + 1);
	if (!cache_name(card, dir, false, name, sizeof name))
		return tc;
	tc->file = cache_load(name, &len);
	if (tc->file != NULL && cache_parse(tc, tc->file, len)) {
		tc->warm = true;
		log_msg(LOG_OBJ, "cache: %zu records for this serial", tc->n);
	} else if (tc->file != NULL) {
		log_msg(LOG_OBJ, "cache: %s malformed, ignored", name);
	}
	return tc;
}

bool akis_tcache_warm(const struct akis_tcache *tc)
{
	return tc != NULL && tc->warm;
}

bool akis_tcache_stale(const struct akis_tcache *tc)
{
	return tc != NULL && tc->stale;
}

static void cache_forget(struct akis_tcache *tc)
{
	for (size_t i = 0; i < tc->n; i++)
		free(tc->rec[i].own);
	tc->n = 0;
	free(tc->file);
	tc->file = NULL;
	tc->warm = false;
	tc->proven = 0;
}

void akis_tcache_drop(struct akis_tcache *tc, const struct akis_card *card)
{
	char name[4096];
	if (tc == NULL)
		return;
	cache_forget(tc);
	tc->stale = false;
	tc->dirty = false;
	if (cache_name(card, tc->dir, false, name, sizeof name) && unlink(name) == 0)
		log_msg(LOG_OBJ, "cache: dropped %s", name);
}

static const struct cache_rec *cache_get(const struct akis_tcache *tc, uint8_t type,
                                         const uint8_t *key, size_t key_len)
{
	if (tc == NULL)
		return NULL;
	for (size_t i = 0; i < tc->n; i++)
		if (tc->rec[i].type == type && tc->rec[i].key_len == key_len &&
		    memcmp(tc->rec[i].key, key, key_len) == 0)
			return &tc->rec[i];
	return NULL;
}

bool akis_tcache_get(const struct akis_tcache *tc, enum akis_cache_rec type, const uint8_t *key,
                     size_t key_len, const uint8_t **data, size_t *len)
{
	const struct cache_rec *c = cache_get(tc, (uint8_t)type, key, key_len);
	if (c == NULL)
		return false;
	*data = c->data;
	*len = c->len;
	return true;
}

void akis_tcache_put(struct akis_tcache *tc, enum akis_cache_rec type, const uint8_t *key,
                     size_t key_len, const uint8_t *data, size_t len)
{
	if (tc == NULL || key_len > CACHE_KEY_MAX || len > 0xFFFF ||
	    cache_get(tc, (uint8_t)type, key, key_len) != NULL || tc->n >= CACHE_RECORDS_MAX)
		return;
	struct cache_rec *c = &tc->rec[tc->n];
	c->own = malloc(len ? len : 1);
	if (c->own == NULL)
		return;
	if (len > 0) /* a file the card does not have: no data, data may be NULL */
		memcpy(c->own, data, len);
	c->type = (uint8_t)type;
	memcpy(c->key, key, key_len);
	c->key_len = (uint8_t)key_len;
	c->data = c->own;
	c->len = len;
	tc->n++;
	tc->dirty = true;
}

/*
 * Does the card's file at path hold exactly want[0..n), judging by bytes
 * [from, n)? SELECT without FCI, READ BINARY in 244-byte steps; the last
 * step asks one byte more than is left, so the card's 6282 ("end of file
 * before Le", docs/card.md §3) proves that the file ends at n. Any other
 * answer (6A82, 6B00, a different byte, more bytes) means "no". A
 * transport error is returned as such.
 */
static akis_rv card_holds_tx(struct akis_card *card, const uint8_t *path, size_t path_len,
                             const uint8_t *want, size_t n, size_t from, bool *same)
{
	uint8_t buf[AKIS_READ_STEP];
	size_t off = from, got = 0;
	uint16_t sw = 0;
	*same = false;
	akis_rv rv = akis_select_tx(card, path, path_len, false, NULL);
	if (rv != AKIS_OK)
		return akis_rv_transport(rv) ? rv : AKIS_OK;
	for (;;) {
		size_t left = n - off, ask = left + 1 <= AKIS_READ_STEP ? left + 1 : AKIS_READ_STEP;
		rv = akis_read_binary_tx(card, off, ask, buf, &got, &sw);
		if (rv == AKIS_ERR_CARD_DATA)
			return AKIS_OK; /* an offset no file of ours reaches: not the same */
		if (rv != AKIS_OK)
			return rv;
		if (ask == left + 1) { /* the last step: the file must end here */
			*same = got == left && memcmp(buf, want + off, left) == 0 &&
			        (sw == AKIS_SW_EOF || (left == 0 && sw == AKIS_SW_WRONG_OFFSET));
			return AKIS_OK;
		}
		if (sw != AKIS_SW_OK || got != ask || memcmp(buf, want + off, ask) != 0)
			return AKIS_OK;
		off += got;
	}
}

/* The card disagrees with what the cache holds for this bind. */
static void cache_contradicted(struct akis_tcache *tc, const char *what, const uint8_t *path,
                               size_t path_len)
{
	char hex[2 * AKIS_PATH_MAX + 1] = "";
	for (size_t i = 0; i < path_len && i < AKIS_PATH_MAX; i++)
		snprintf(hex + 2 * i, 3, "%02X", path[i]);
	log_msg(LOG_OBJ, "cache: %s %s differs on the card: stale", what, hex);
	tc->stale = true;
}

akis_rv akis_tcache_file_tx(struct akis_card *card, struct akis_tcache *tc, const uint8_t *path,
                            size_t path_len, bool evidence, uint8_t **out, size_t *out_len)
{
	const struct cache_rec *c = NULL;
	if (tc != NULL && tc->warm)
		c = cache_get(tc, AKIS_CREC_FILE, path, path_len);
	if (c == NULL && tc != NULL && tc->warm && !evidence &&
	    cache_get(tc, AKIS_CREC_ABSENT, path, path_len) != NULL)
		return AKIS_ERR_NOT_FOUND; /* trusted: absent since personalisation */
	if (c != NULL) {
		bool same = !evidence;
		if (evidence) {
			akis_rv rv = card_holds_tx(card, path, path_len, c->data, c->len, 0, &same);
			if (rv != AKIS_OK)
				return rv;
			card->binds++;
		}
		if (!same) {
			cache_contradicted(tc, "file", path, path_len);
			return AKIS_ERR_CARD_DATA;
		}
		*out = malloc(c->len ? c->len : 1);
		if (*out == NULL)
			return AKIS_ERR_NO_MEMORY;
		memcpy(*out, c->data, c->len);
		*out_len = c->len;
		card->cache_hits++;
		return AKIS_OK;
	}
	akis_rv rv = akis_read_file_tx(card, path, path_len, AKIS_DIR_MAX, out, out_len);
	if (rv == AKIS_OK)
		akis_tcache_put(tc, AKIS_CREC_FILE, path, path_len, *out, *out_len);
	else if (rv == AKIS_ERR_NOT_FOUND)
		akis_tcache_put(tc, AKIS_CREC_ABSENT, path, path_len, NULL, 0);
	return rv;
}

/* A cached certificate the card confirms: same last 243 bytes, same end. */
static akis_rv cert_from_cache_tx(struct akis_card *card, struct akis_tcache *tc,
                                  struct akis_cert *c, const struct cache_rec *rec)
{
	bool same = false;
	size_t from = rec->len > TAIL_PROOF ? rec->len - TAIL_PROOF : 0;
	akis_rv rv = card_holds_tx(card, c->path, c->path_len, rec->data, rec->len, from, &same);
	if (rv != AKIS_OK)
		return rv;
	if (!same) {
		cache_contradicted(tc, "certificate", c->path, c->path_len);
		return AKIS_ERR_CARD_DATA;
	}
	c->der = malloc(rec->len);
	if (c->der == NULL)
		return AKIS_ERR_NO_MEMORY;
	memcpy(c->der, rec->data, rec->len);
	c->der_len = rec->len;
	tc->proven++;
	card->cache_hits++;
	card->binds++;
	return AKIS_OK;
}

akis_rv akis_cert_read_tx(struct akis_card *card, size_t i, struct akis_tcache *tc)
{
	struct akis_cert *c = &card->certs[i];
	const struct cache_rec *rec = NULL;
	if (tc != NULL && tc->warm)
		rec = cache_get(tc, AKIS_CREC_CERT, c->path, c->path_len);
	if (rec != NULL)
		return cert_from_cache_tx(card, tc, c, rec);
	akis_rv rv =
	        akis_read_file_tx(card, c->path, c->path_len, AKIS_CERT_MAX, &c->der, &c->der_len);
	if (rv == AKIS_OK)
		akis_tcache_put(tc, AKIS_CREC_CERT, c->path, c->path_len, c->der, c->der_len);
	return rv;
}

/*
 * Replace the file `name` atomically (mkstemp in the same directory, then
 * rename): with `buf` (len bytes), or with the records of `tc`. Never a
 * half-written file, whatever a concurrent reader sees.
 */
static bool cache_write_fd(int fd, const struct akis_tcache *tc);
static bool file_replace(const char *name, const uint8_t *buf, size_t len,
                         const struct akis_tcache *tc)
{
	char tmp[4096 + 16];
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", name) >= (int)sizeof tmp)
		return false;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return false;
	bool ok = tc != NULL ? cache_write_fd(fd, tc) : write(fd, buf, len) == (ssize_t)len;
	ok = (close(fd) == 0) && ok;
	if (!ok || rename(tmp, name) != 0) {
		unlink(tmp);
		return false;
	}
	return true;
}

/*
 * The reader's last card (docs/design.md "The on-disk token cache"): a
 * small file per reader, "reader-<hash of the reader name>.last", that
 * names the card serial whose token was last bound in that reader, with
 * its profile: { u8 profile, u8 serial length, serial }. It only picks
 * the cache file a bind tries first without the GET DATA of the serial;
 * the evidence read from the card still decides (akis_bind_tx).
 */
static bool hint_name(const struct akis_card *card, const char *dir, bool create, char *out,
                      size_t cap)
{
	uint64_t h = 0xCBF29CE484222325u; /* FNV-1a 64 */
	if (dir == NULL || card->reader[0] == '\0' || !cache_dir_private(dir, create))
		return false;
	for (const char *p = card->reader; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001B3u;
	int n = snprintf(out, cap, "%s/reader-%016llx.last", dir, (unsigned long long)h);
	return n > 0 && (size_t)n < cap;
}

bool akis_tcache_hint(struct akis_card *card, const char *dir)
{
	char name[4096];
	size_t n = 0;
	if (card == NULL || !hint_name(card, dir, false, name, sizeof name))
		return false;
	uint8_t *buf = cache_load(name, &n);
	bool ok = buf != NULL && n >= 3 && buf[1] <= AKIS_SERIAL_MAX && n == 2u + buf[1] &&
	          buf[0] == card->atr.profile;
	if (ok) {
		memcpy(card->serial, buf + 2, buf[1]);
		card->serial_len = buf[1];
	}
	free(buf);
	return ok;
}

void akis_tcache_hint_set(const struct akis_card *card, const char *dir)
{
	char name[4096];
	uint8_t buf[2 + AKIS_SERIAL_MAX];
	if (card == NULL || card->serial_len == 0 || card->serial_len > AKIS_SERIAL_MAX ||
	    !hint_name(card, dir, true, name, sizeof name))
		return;
	buf[0] = (uint8_t)card->atr.profile;
	buf[1] = (uint8_t)card->serial_len;
	memcpy(buf + 2, card->serial, card->serial_len);
	if (!file_replace(name, buf, 2 + card->serial_len, NULL))
		log_msg(LOG_OBJ, "cache: reader hint not written");
}

size_t akis_tcache_proven(const struct akis_tcache *tc)
{
	return tc == NULL ? 0 : tc->proven;
}

static bool cache_write_fd(int fd, const struct akis_tcache *tc)
{
	uint8_t hdr[2 + CACHE_KEY_MAX + 2];
	if (write(fd, cache_magic, sizeof cache_magic) != (ssize_t)sizeof cache_magic)
		return false;
	for (size_t i = 0; i < tc->n; i++) {
		const struct cache_rec *c = &tc->rec[i];
		struct wr w = wr_init(hdr, sizeof hdr);
		wr_u8(&w, c->type);
		wr_u8(&w, c->key_len);
		wr_bytes(&w, c->key, c->key_len);
		wr_u16be(&w, (uint16_t)c->len);
		if (!wr_ok(&w) || write(fd, hdr, w.len) != (ssize_t)w.len ||
		    (c->len > 0 && write(fd, c->data, c->len) != (ssize_t)c->len))
			return false;
	}
	return true;
}

static void cache_store(const struct akis_tcache *tc, const struct akis_card *card)
{
	char name[4096];
	if (!cache_name(card, tc->dir, true, name, sizeof name))
		return;
	if (!file_replace(name, NULL, 0, tc)) {
		log_msg(LOG_OBJ, "cache: write failed in %s", tc->dir);
		return;
	}
	log_msg(LOG_OBJ, "cache: %zu records stored", tc->n);
}

void akis_tcache_close(struct akis_tcache *tc, const struct akis_card *card, bool bound)
{
	if (tc == NULL)
		return;
	if (bound && tc->dirty && card->n_certs > 0)
		cache_store(tc, card);
	cache_forget(tc);
	free(tc);
}
