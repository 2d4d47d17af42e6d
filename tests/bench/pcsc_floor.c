/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcsc_floor: the raw PC/SC floor. K trivial APDUs (SELECT MF with no
 * response data, ISO 7816-4 §11.2.2: 00 A4 00 0C 02 3F 00) in one
 * transaction straight through pcsc-lite, repeated N times; prints the
 * mean wall time of one batch of K and of one APDU.
 *   pcsc_floor READER K N
 * Output: floor k=K n=N batch_ms=MEAN apdu_ms=MEAN
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <winscard.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static LONG batch(SCARDHANDLE h, DWORD proto, long k)
{
	static const BYTE select_mf[] = {0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00};
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	BYTE resp[258];
	DWORD rlen;
	LONG rv = SCardBeginTransaction(h);

	for (long i = 0; i < k && rv == SCARD_S_SUCCESS; i++) {
		rlen = sizeof(resp);
		rv = SCardTransmit(h, pci, select_mf, sizeof(select_mf), NULL, resp, &rlen);
		if (rv == SCARD_S_SUCCESS && (rlen < 2 || resp[rlen - 2] != 0x90))
			rv = SCARD_F_UNKNOWN_ERROR; /* the floor must be a successful APDU */
	}
	SCardEndTransaction(h, SCARD_LEAVE_CARD);
	return rv;
}

int main(int argc, char **argv)
{
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto;
	long k, n;
	double t0, total;
	LONG rv;

	if (argc != 4 || (k = strtol(argv[2], NULL, 10)) < 1 ||
	    (n = strtol(argv[3], NULL, 10)) < 1) {
		fprintf(stderr, "usage: pcsc_floor READER K N\n");
		return 2;
	}
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv == SCARD_S_SUCCESS)
		rv = SCardConnect(ctx, argv[1], SCARD_SHARE_SHARED,
		                  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "pcsc_floor: %s\n", pcsc_stringify_error(rv));
		return 1;
	}
	rv = batch(h, proto, k); /* warm-up, not timed */
	t0 = now_ms();
	for (long i = 0; i < n && rv == SCARD_S_SUCCESS; i++)
		rv = batch(h, proto, k);
	total = now_ms() - t0;
	SCardDisconnect(h, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "pcsc_floor: %s\n", pcsc_stringify_error(rv));
		return 1;
	}
	printf("floor k=%ld n=%ld batch_ms=%.3f apdu_ms=%.3f\n", k, n, total / (double)n,
	       total / (double)n / (double)k);
	return 0;
}
