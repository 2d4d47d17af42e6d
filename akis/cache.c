/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The validated on-disk cache of certificate files (R44, docs/design.md "Token
 * binding"). Only certificates (public) are cached, never anything secret.
 *
 * Key: the card serial (one file per card, "akis-<serial hex>.cache").
 * Validation, per certificate file, by what the card must answer anyway:
 * the file size from the FCI (the SELECT is needed to read at all) and the
 * file's last READ BINARY step (≤ 244 bytes). A certificate ends with its
 * signature, so a re-issued or re-provisioned certificate differs there;
 * a hit costs SELECT + one READ BINARY instead of one per 244 bytes.
 *
 * The cache file is parsed with the bounded reader like card bytes; a
 * malformed one is ignored. Written atomically (mkstemp + rename).
 */
#include <errno.h>
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

static const uint8_t cache_magic[8] = {'A', 'K', 'I', 'S', 'C', 'C', '1', '\n'};
#define CACHE_FILE_MAX (AKIS_MAX_CERTS * (AKIS_CERT_MAX + 16u) + sizeof cache_magic)

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
	int fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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

/* Find the entry for path: records of { u8 path_len, path, u16 der_len, der }. */
static bool cache_find(const uint8_t *buf, size_t len, const uint8_t *path, size_t path_len,
                       struct rd *der)
{
	struct rd r = rd_init(buf, len);
	uint8_t magic[sizeof cache_magic], plen, p[AKIS_PATH_MAX];
	uint16_t dlen;
	if (!rd_bytes(&r, magic, sizeof magic) || memcmp(magic, cache_magic, sizeof magic) != 0)
		return false;
	while (rd_u8(&r, &plen)) {
		if (plen > AKIS_PATH_MAX || !rd_bytes(&r, p, plen) || !rd_u16be(&r, &dlen) ||
		    !rd_sub(&r, dlen, der))
			return false;
		if (plen == path_len && memcmp(p, path, plen) == 0)
			return true;
	}
	return false;
}

/* Cached certificate for this path and size whose tail the card confirms. */
static akis_rv cache_try_tx(struct akis_card *card, struct akis_cert *c, size_t size,
                            const char *cache_dir, bool *hit)
{
	char name[4096];
	uint8_t tail[AKIS_READ_STEP], *file = NULL;
	size_t file_len = 0, got = 0;
	struct rd der;
	akis_rv rv = AKIS_OK;
	*hit = false;
	if (size <= AKIS_READ_STEP || !cache_name(card, cache_dir, false, name, sizeof name))
		return AKIS_OK;
	file = cache_load(name, &file_len);
	if (file == NULL || !cache_find(file, file_len, c->path, c->path_len, &der) ||
	    rd_left(&der) != size)
		goto out;
	/* READ BINARY of the last step only (docs/card.md §3: offset + Le ≤ size). */
	size_t off = size - AKIS_READ_STEP;
	struct apdu cmd = {0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0, AKIS_READ_STEP};
	uint16_t sw = 0;
	rv = akis_xmit_tx(card, &cmd, tail, sizeof tail, &got, &sw);
	if (rv != AKIS_OK || sw != AKIS_SW_OK || got != AKIS_READ_STEP ||
	    memcmp(der.p + off, tail, AKIS_READ_STEP) != 0)
		goto out;
	c->der = malloc(size);
	if (c->der == NULL) {
		rv = AKIS_ERR_NO_MEMORY;
		goto out;
	}
	memcpy(c->der, der.p, size);
	c->der_len = size;
	*hit = true;
out:
	free(file);
	return rv;
}

akis_rv akis_cert_read_tx(struct akis_card *card, size_t i, const char *cache_dir)
{
	struct akis_cert *c = &card->certs[i];
	size_t size = 0, len = 0;
	bool hit = false;
	uint8_t *buf = NULL;
	if (cache_dir == NULL)
		return akis_read_file_tx(card, c->path, c->path_len, AKIS_CERT_MAX, &c->der,
		                         &c->der_len);
	akis_rv rv = akis_select_tx(card, c->path, c->path_len, false, &size);
	if (rv != AKIS_OK || size > AKIS_CERT_MAX)
		return rv != AKIS_OK ? rv : AKIS_ERR_CARD_DATA;
	card->binds++;
	rv = cache_try_tx(card, c, size, cache_dir, &hit);
	if (rv != AKIS_OK || hit) {
		card->cache_hits += hit;
		if (hit)
			log_msg(LOG_OBJ, "certificate %zu from the cache", i);
		return rv;
	}
	buf = malloc(size ? size : AKIS_CERT_MAX);
	if (buf == NULL)
		return AKIS_ERR_NO_MEMORY;
	rv = akis_read_current_tx(card, size, buf, size ? size : AKIS_CERT_MAX, &len);
	if (rv != AKIS_OK) {
		free(buf);
		return rv;
	}
	c->der = buf;
	c->der_len = len;
	return AKIS_OK;
}

static bool cache_write_fd(int fd, const struct akis_card *card)
{
	uint8_t hdr[1 + AKIS_PATH_MAX + 2];
	if (write(fd, cache_magic, sizeof cache_magic) != (ssize_t)sizeof cache_magic)
		return false;
	for (size_t i = 0; i < card->n_certs; i++) {
		const struct akis_cert *c = &card->certs[i];
		if (c->der == NULL || c->path_len == 0 || c->der_len > 0xFFFF)
			continue;
		struct wr w = wr_init(hdr, sizeof hdr);
		wr_u8(&w, (uint8_t)c->path_len);
		wr_bytes(&w, c->path, c->path_len);
		wr_u16be(&w, (uint16_t)c->der_len);
		if (!wr_ok(&w) || write(fd, hdr, w.len) != (ssize_t)w.len ||
		    write(fd, c->der, c->der_len) != (ssize_t)c->der_len)
			return false;
	}
	return true;
}

void akis_cache_store(const struct akis_card *card, const char *cache_dir)
{
	char name[4096], tmp[4096 + 16];
	if (cache_dir == NULL || card->n_certs == 0 || card->cache_hits == card->n_certs ||
	    !cache_name(card, cache_dir, true, name, sizeof name))
		return;
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", name) >= (int)sizeof tmp)
		return;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		log_msg(LOG_OBJ, "cache: cannot create in %s: %s", cache_dir, strerror(errno));
		return;
	}
	bool ok = cache_write_fd(fd, card);
	ok = (close(fd) == 0) && ok;
	if (!ok || rename(tmp, name) != 0) {
		unlink(tmp);
		log_msg(LOG_OBJ, "cache: write failed");
		return;
	}
	log_msg(LOG_OBJ, "cache: %zu certificates stored", card->n_certs);
}
