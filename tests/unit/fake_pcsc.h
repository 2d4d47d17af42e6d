/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The part of a fake apdu/pcsc.h that every test with a fake reader shares
 * (unit tests of the whole module, the fuzz_module target): a context that
 * is only an allocation. The including file defines the rest
 * (apdu_pcsc_readers, apdu_pcsc_wait, apdu_pcsc_connect, ...) for its own
 * reader and card, and links without apdu/pcsc.c.
 */
#ifndef AKIS_TESTS_FAKE_PCSC_H
#define AKIS_TESTS_FAKE_PCSC_H

#include <stdbool.h>
#include <stdlib.h>

#include "../../apdu/pcsc.h"

struct apdu_pcsc {
	int unused;
};

apdu_rv apdu_pcsc_open(struct apdu_pcsc **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? APDU_OK : APDU_ERR_NO_MEMORY;
}

void apdu_pcsc_close(struct apdu_pcsc *pc)
{
	free(pc);
}

void apdu_pcsc_forget(struct apdu_pcsc *pc)
{
	free(pc);
}

bool apdu_pcsc_valid(struct apdu_pcsc *pc)
{
	return pc != NULL;
}

#endif
