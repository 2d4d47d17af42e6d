/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration client for apdu/ over the real pcscd (tests/integration/apdu_pcsc.sh).
 *
 *   apdu_readcert readers            list readers: NAME|state|counter|ATR
 *   apdu_readcert read OUT [FID]     first reader with a card: SELECT 3F00,
 *                                    3D00, FID (default 2F10), READ BINARY
 *                                    with Le=F4 (docs/card.md §3) into OUT
 *   apdu_readcert wait MS            list, then apdu_pcsc_wait; prints rv and
 *                                    milliseconds waited, then the new list
 *   apdu_readcert cancel MS          wait forever, cancel from another thread
 *                                    after MS; prints rv and ms
 *   apdu_readcert valid [S]          apdu_pcsc_valid, then again after S seconds
 *   apdu_readcert reset FLAG         SELECT 3F00, print "ready", wait for the
 *                                    file FLAG (the script resets the card
 *                                    through PC/SC meanwhile), SELECT twice more
 *   apdu_readcert readwhilewait OUT  a thread blocks in apdu_pcsc_wait on the
 *                                    context while the card (own context) is read
 *
 * Uses only apdu/pcsc.h and apdu/apdu.h; build:
 *   cc -I. tests/integration/apdu_readcert.c apdu/{apdu,log,pcsc,tlv}.c -lpcsclite -lpthread
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apdu/apdu.h"
#include "log/log.h"
#include "apdu/pcsc.h"
#include "apdu/tlv.h"

#define CERT_MAX 8192u
#define READ_LE  0xF4u

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int die(const char *what, apdu_rv rv)
{
	fprintf(stderr, "apdu_readcert: %s: %s\n", what, apdu_rv_name(rv));
	return 1;
}

static void print_readers(const struct apdu_reader *r, size_t n)
{
	char hex[3 * APDU_ATR_MAX + 1];
	for (size_t i = 0; i < n; i++)
		printf("%s|%s%s%s|%u|%s\n", r[i].name,
		       (r[i].state & APDU_STATE_PRESENT) ? "present" : "empty",
		       (r[i].state & APDU_STATE_EXCLUSIVE) ? ",exclusive" : "",
		       (r[i].state & APDU_STATE_MUTE) ? ",mute" : "", (unsigned)r[i].event_counter,
		       log_hex(r[i].atr, r[i].atr_len, hex, sizeof(hex)));
	fflush(stdout);
}

static int cmd_readers(struct apdu_pcsc *pc)
{
	struct apdu_reader r[APDU_READERS_MAX];
	size_t n = 0;
	apdu_rv rv = apdu_pcsc_readers(pc, r, APDU_READERS_MAX, &n);
	if (rv != APDU_OK)
		return die("readers", rv);
	print_readers(r, n);
	return 0;
}

static apdu_rv select_fid(struct apdu_card *card, uint16_t fid, uint16_t *sw)
{
	uint8_t d[2] = {(uint8_t)(fid >> 8), (uint8_t)fid};
	struct apdu c = {0x00, 0xA4, 0x00, 0x0C, d, 2, 0};
	size_t rl = 0;
	return apdu_transmit(card, &c, NULL, 0, &rl, sw);
}

/* Total length of a DER TLV from its first bytes, 0 if not parseable. */
static size_t der_total(const uint8_t *p, size_t n)
{
	struct rd r = rd_init(p, n);
	uint8_t tag, l0, b;
	size_t len = 0, hdr = 2;

	if (!rd_u8(&r, &tag) || !rd_u8(&r, &l0))
		return 0;
	if (l0 < 0x80)
		return 2 + l0;
	for (unsigned i = 0; i < (l0 & 0x7Fu) && i < 3; i++, hdr++) {
		if (!rd_u8(&r, &b))
			return 0;
		len = len << 8 | b;
	}
	return hdr + len;
}

static apdu_rv read_all(struct apdu_card *card, uint8_t *out, size_t cap, size_t *len,
                        unsigned long *reads)
{
	size_t off = 0, want = 0;
	uint16_t sw = 0;

	for (;;) {
		struct apdu c = {0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0, READ_LE};
		size_t got = 0;
		if (off + READ_LE > cap)
			return APDU_ERR_PROTOCOL;
		apdu_rv rv = apdu_transmit(card, &c, out + off, cap - off, &got, &sw);
		if (rv != APDU_OK)
			return rv;
		(*reads)++;
		off += got;
		if (want == 0)
			want = der_total(out, off);
		if (sw == 0x6B00 || sw == 0x6282 || (sw == 0x9000 && got < READ_LE) ||
		    (want != 0 && off >= want))
			break;
		if (sw != 0x9000) {
			fprintf(stderr, "READ BINARY at %zu: SW %04X\n", off, sw);
			return APDU_ERR_COMM;
		}
	}
	*len = want != 0 && want < off ? want : off;
	return APDU_OK;
}

static int find_card_reader(struct apdu_pcsc *pc, char *name, size_t cap)
{
	struct apdu_reader r[APDU_READERS_MAX];
	size_t n = 0;
	if (apdu_pcsc_readers(pc, r, APDU_READERS_MAX, &n) != APDU_OK)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (r[i].state & APDU_STATE_PRESENT) {
			snprintf(name, cap, "%s", r[i].name);
			return 0;
		}
	}
	return -1;
}

static uint16_t read_fid = 0x2F10;

static int cmd_read_reader(const char *reader, const char *out_path)
{
	static uint8_t cert[CERT_MAX];
	static const uint16_t path[2] = {0x3F00, 0x3D00};
	uint16_t fid = read_fid;
	struct apdu_card *card = NULL;
	unsigned long reads = 0;
	uint16_t sw = 0;
	size_t len = 0;
	int ret = 1;
	apdu_rv rv;

	rv = apdu_pcsc_connect(reader, &card);
	if (rv != APDU_OK)
		return die("connect", rv);
	rv = apdu_begin(card);
	if (rv != APDU_OK) {
		ret = die("begin", rv);
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		uint16_t f = i < 2 ? path[i] : fid;
		rv = select_fid(card, f, &sw);
		if (rv != APDU_OK || sw != 0x9000) {
			fprintf(stderr, "SELECT %04X: %s SW %04X\n", f, apdu_rv_name(rv), sw);
			goto end;
		}
	}
	rv = read_all(card, cert, sizeof(cert), &len, &reads);
	if (rv != APDU_OK) {
		die("read", rv);
		goto end;
	}
	FILE *f = fopen(out_path, "wb");
	if (f == NULL || fwrite(cert, 1, len, f) != len) {
		perror(out_path);
		if (f)
			fclose(f);
		goto end;
	}
	fclose(f);
	printf("reader %s\ncertificate %zu bytes, %lu READ BINARY, %lu APDUs\n", reader, len, reads,
	       apdu_card_count(card));
	ret = 0;
end:
	(void)apdu_end(card, false);
out:
	apdu_card_close(card);
	return ret;
}

static int cmd_read(struct apdu_pcsc *pc, const char *out_path)
{
	char reader[APDU_READER_NAME_MAX];

	if (find_card_reader(pc, reader, sizeof(reader)) != 0) {
		fprintf(stderr, "apdu_readcert: no reader with a card\n");
		return 1;
	}
	return cmd_read_reader(reader, out_path);
}

static int cmd_wait(struct apdu_pcsc *pc, long ms)
{
	struct apdu_reader r[APDU_READERS_MAX];
	size_t n = 0;
	apdu_rv rv = apdu_pcsc_readers(pc, r, APDU_READERS_MAX, &n);
	if (rv != APDU_OK)
		return die("readers", rv);
	printf("before\n");
	print_readers(r, n);
	printf("waiting\n");
	fflush(stdout);
	long t0 = now_ms();
	rv = apdu_pcsc_wait(pc, r, n, ms);
	long t1 = now_ms();
	printf("wait %s %ld ms\n", apdu_rv_name(rv), t1 - t0);
	printf("after\n");
	return cmd_readers(pc);
}

struct canceller {
	struct apdu_pcsc *pc;
	long ms;
};

static void *cancel_thread(void *arg)
{
	struct canceller *c = arg;
	usleep((useconds_t)c->ms * 1000u);
	apdu_pcsc_cancel(c->pc);
	return NULL;
}

static int cmd_cancel(struct apdu_pcsc *pc, long ms)
{
	struct apdu_reader r[APDU_READERS_MAX];
	struct canceller c = {pc, ms};
	pthread_t th;
	size_t n = 0;
	apdu_rv rv = apdu_pcsc_readers(pc, r, APDU_READERS_MAX, &n);
	if (rv != APDU_OK)
		return die("readers", rv);
	long t0 = now_ms();
	pthread_create(&th, NULL, cancel_thread, &c);
	rv = apdu_pcsc_wait(pc, r, n, -1);
	long t1 = now_ms();
	pthread_join(th, NULL);
	printf("wait %s %ld ms\n", apdu_rv_name(rv), t1 - t0);
	rv = apdu_pcsc_wait(pc, r, n, 5000); /* sticky */
	printf("again %s\n", apdu_rv_name(rv));
	return 0;
}

/* SCARD_W_RESET_CARD from another process: the first exchange reports
 * APDU_ERR_RESET (handle reconnected underneath), the next one works. */
static int cmd_reset(struct apdu_pcsc *pc, const char *flag)
{
	char reader[APDU_READER_NAME_MAX];
	struct apdu_card *card = NULL;
	uint16_t sw = 0;
	apdu_rv rv;

	if (find_card_reader(pc, reader, sizeof(reader)) != 0)
		return 1;
	rv = apdu_pcsc_connect(reader, &card);
	if (rv != APDU_OK)
		return die("connect", rv);
	rv = select_fid(card, 0x3F00, &sw);
	printf("first %s %04X\nready\n", apdu_rv_name(rv), sw);
	fflush(stdout);
	for (int i = 0; i < 200 && access(flag, F_OK) != 0; i++)
		usleep(50000);
	for (int i = 0; i < 2; i++) {
		sw = 0;
		rv = select_fid(card, 0x3F00, &sw);
		printf("after reset %d: %s %04X\n", i, apdu_rv_name(rv), sw);
	}
	apdu_card_close(card);
	return 0;
}

struct waiter {
	struct apdu_pcsc *pc;
	struct apdu_reader r[APDU_READERS_MAX];
	size_t n;
	apdu_rv rv;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	w->rv = apdu_pcsc_wait(w->pc, w->r, w->n, -1);
	return NULL;
}

/* The card gets a SCARDCONTEXT of its own: reading it must not wait for a
 * thread blocked in SCardGetStatusChange on the listing context. */
static int cmd_read_while_wait(struct apdu_pcsc *pc, const char *out_path)
{
	static struct waiter w;
	pthread_t th;
	int ret;

	w.pc = pc;
	if (apdu_pcsc_readers(pc, w.r, APDU_READERS_MAX, &w.n) != APDU_OK)
		return 1;
	/* the connect below needs the reader name: take it before blocking */
	char reader[APDU_READER_NAME_MAX];
	if (find_card_reader(pc, reader, sizeof(reader)) != 0)
		return 1;
	pthread_create(&th, NULL, wait_thread, &w);
	usleep(200000);
	long t0 = now_ms();
	ret = cmd_read_reader(reader, out_path);
	long t1 = now_ms();
	apdu_pcsc_cancel(pc);
	pthread_join(th, NULL);
	printf("read while waiting: %s in %ld ms; wait %s\n", ret == 0 ? "ok" : "failed", t1 - t0,
	       apdu_rv_name(w.rv));
	return ret;
}

int main(int argc, char **argv)
{
	struct apdu_pcsc *pc = NULL;
	int ret = 2;

	if (argc < 2) {
		fprintf(stderr,
		        "usage: apdu_readcert readers|read OUT [FID]|wait MS|cancel MS|valid\n");
		return 2;
	}
	apdu_rv rv = apdu_pcsc_open(&pc);
	if (rv != APDU_OK) {
		printf("open %s\n", apdu_rv_name(rv));
		return 3;
	}
	if (strcmp(argv[1], "readers") == 0)
		ret = cmd_readers(pc);
	else if (strcmp(argv[1], "read") == 0 && argc >= 3) {
		if (argc >= 4)
			read_fid = (uint16_t)strtoul(argv[3], NULL, 16);
		ret = cmd_read(pc, argv[2]);
	} else if (strcmp(argv[1], "reset") == 0 && argc >= 3)
		ret = cmd_reset(pc, argv[2]);
	else if (strcmp(argv[1], "readwhilewait") == 0 && argc >= 3)
		ret = cmd_read_while_wait(pc, argv[2]);
	else if (strcmp(argv[1], "wait") == 0 && argc >= 3)
		ret = cmd_wait(pc, atol(argv[2]));
	else if (strcmp(argv[1], "cancel") == 0 && argc >= 3)
		ret = cmd_cancel(pc, atol(argv[2]));
	else if (strcmp(argv[1], "valid") == 0) {
		printf("valid %d\n", apdu_pcsc_valid(pc));
		fflush(stdout);
		if (argc >= 3)
			sleep((unsigned)atoi(argv[2])); /* the script restarts pcscd meanwhile */
		printf("valid %d\n", apdu_pcsc_valid(pc));
		ret = 0;
	}
	apdu_pcsc_close(pc);
	return ret;
}
