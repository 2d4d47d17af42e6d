/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis_rv → CK_RV: the one translator between the card profile's error
 * vocabulary and PKCS#11's (docs/design.md "Layers").
 */
#ifndef AKIS_PKCS11_RV_H
#define AKIS_PKCS11_RV_H

#include "../akis/akis.h"
#include "p11.h"

/* Exhaustive over akis_rv (-Wswitch-enum); never returns CKR_OK for an
 * error. Callers with more context (a removed card, a reset) also update
 * the slot state: see p11_token_card_rv_locked. */
CK_RV p11_rv_from_akis(akis_rv rv);

#endif
