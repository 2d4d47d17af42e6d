/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One process, many slot-level calls, as Firefox polls: loads the module,
 * then N times C_GetSlotInfo + C_GetTokenInfo + C_OpenSession on the first
 * slot, printing each call's return value on a line of its own
 * ("tokeninfo 0x..."), so that a script can compare the APDUs the card saw
 * with the calls made (R9, R10). Between rounds it waits MS milliseconds.
 *   p11_probe MODULE.so N MS
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../pkcs11/p11.h"

int main(int argc, char **argv)
{
	CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST *p = NULL;
	CK_SLOT_ID slots[8];
	CK_ULONG n = 8;
	void *lib;
	int rounds, ms;

	if (argc != 4 || (rounds = atoi(argv[2])) < 1 || (ms = atoi(argv[3])) < 0) {
		fprintf(stderr, "usage: %s MODULE.so N MS\n", argv[0]);
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	gfl = lib ? (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(lib, "C_GetFunctionList") : NULL;
	if (gfl == NULL || gfl(&p) != CKR_OK || p->C_Initialize(NULL) != CKR_OK ||
	    p->C_GetSlotList(CK_FALSE, slots, &n) != CKR_OK || n == 0) {
		fprintf(stderr, "%s: cannot load or no slot\n", argv[1]);
		return 2;
	}
	for (int i = 0; i < rounds; i++) {
		CK_SLOT_INFO si;
		CK_TOKEN_INFO ti;
		CK_SESSION_HANDLE h;
		CK_RV rv;

		printf("slotinfo 0x%lx\n", p->C_GetSlotInfo(slots[0], &si));
		printf("tokeninfo 0x%lx\n", p->C_GetTokenInfo(slots[0], &ti));
		rv = p->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &h);
		printf("opensession 0x%lx\n", rv);
		if (rv == CKR_OK)
			p->C_CloseSession(h);
		fflush(stdout);
		usleep((useconds_t)ms * 1000);
	}
	p->C_Finalize(NULL);
	return 0;
}
