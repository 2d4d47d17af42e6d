/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The on-disk token cache (akis/cache.c, R44): the cache file is parsed
 * with the bounded reader like card bytes, and what it serves is confirmed
 * by the card's answers. The file comes from the input, the card's answers
 * (SELECT, READ BINARY of the evidence) after it.
 * Input: u16 cache file length, the file, then the responses
 * (tests/fuzz/fuzz_transport.h); the file's bytes are also given as the
 * reader's hint file (akis_tcache_hint). Linked without akis/cache.c's object:
 * the file is included to reach its statics.
 */
#include <stdio.h>
#include <unistd.h>

#include "../../akis/cache.c"
#include "fuzz_transport.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static const uint8_t atr12[] = {0x3B, 0x9F, 0x96, 0x81, 0x31, 0xFE, 0x45, 0x80,
                                0x67, 0x55, 0x45, 0x4B, 0x41, 0x45, 0x12, 0x92,
                                0x31, 0x80, 0x73, 0xB3, 0xA1, 0x80, 0x6A};
static const uint8_t serial[12] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
                                   0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC};
static const uint8_t cert_path[4] = {0x3D, 0x00, 0x2F, 0x10};

static void remove_dir(void)
{
	char name[128];

	snprintf(name, sizeof(name), "%s/akis-112233445566778899aabbcc.cache", dir);
	unlink(name);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	snprintf(dir, sizeof(dir), "/tmp/akis-fuzz-cache.%d", (int)getpid());
	mkdir(dir, 0700);
	atexit(remove_dir);
	return 0;
}

static bool write_cache(const struct akis_card *card, const uint8_t *p, size_t n)
{
	char name[4096];
	FILE *f;

	if (!cache_name(card, dir, true, name, sizeof(name)) || (f = fopen(name, "wb")) == NULL)
		return false;
	fwrite(p, 1, n, f);
	return fclose(f) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct akis_atr_info atr;
	struct akis_card *card = NULL;
	struct apdu_card *io;
	size_t flen;
	char hint[4096];
	FILE *f;

	if (size < 2 || !akis_atr_match(atr12, sizeof(atr12), &atr))
		return 0;
	flen = (size_t)data[0] << 8 | data[1];
	if (flen > size - 2)
		flen = size - 2;
	io = fz_card_open(data + 2 + flen, size - 2 - flen);
	if (io == NULL || akis_card_new(io, &atr, &card) != AKIS_OK) {
		apdu_card_close(io);
		return 0;
	}
	memcpy(card->serial, serial, sizeof(serial));
	card->serial_len = sizeof(serial);
	memcpy(card->certs[0].path, cert_path, sizeof(cert_path));
	card->certs[0].path_len = sizeof(cert_path);
	card->n_certs = 1;
	if (write_cache(card, data + 2, flen)) {
		struct akis_tcache *tc = akis_tcache_open(card, dir);
		uint8_t *buf = NULL;
		size_t len = 0;
		(void)akis_cert_read_tx(card, 0, tc);
		if (akis_tcache_file_tx(card, tc, cert_path, sizeof(cert_path), true, &buf, &len) ==
		    AKIS_OK)
			free(buf);
		akis_tcache_close(tc, card, false);
	}
	/* the same bytes as the reader's hint file (the reader's last card) */
	snprintf(card->reader, sizeof(card->reader), "fuzz reader");
	if (hint_name(card, dir, false, hint, sizeof(hint)) && (f = fopen(hint, "wb")) != NULL) {
		fwrite(data + 2, 1, flen, f);
		if (fclose(f) == 0 && akis_tcache_hint(card, dir) &&
		    card->serial_len > AKIS_SERIAL_MAX)
			abort();
		unlink(hint);
	}
	akis_card_free(card);
	return 0;
}
