/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one place where a PIN outlives a call (R46, the per-signature PIN
 * compatibility mode): a page of its own, locked against swap (mlock),
 * left out of core dumps (MADV_DONTDUMP) and zero in a forked child
 * (MADV_WIPEONFORK), wiped with OPENSSL_cleanse before it is unmapped.
 * A slot holds at most one (struct p11_keep *, NULL when none); every
 * function here takes the module-wide keep lock, so a wipe may come from
 * any thread (a removal seen by a scan) while another reads the PIN.
 * Nothing here decides when a PIN is kept or dropped: pkcs11/login.c,
 * ops.c and token.c do (docs/design.md "Per-signature PIN compatibility
 * mode").
 */
#ifndef AKIS_PKCS11_PINKEEP_H
#define AKIS_PKCS11_PINKEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "../akis/akis.h"

#define P11_KEEP_PIN_MAX AKIS_PIN_MAX

struct p11_keep;

/* Keep a copy of pin[0..len) in *slot (wiping any earlier one). False when
 * nothing could be kept (a PIN too long, no memory, pages that cannot be
 * locked: logged), and then *slot is NULL. */
bool p11_keep_set(struct p11_keep **slot, const char *pin, size_t len);

/* The PIN was changed (C_SetPIN): pin[0..len) takes the place of the kept
 * one, which is wiped, and the bounds (uses, idle time) run on from it. Only
 * when a PIN is kept: false, and *slot NULL, when none was (a wipe came
 * first) or the new one could not be kept. */
bool p11_keep_replace(struct p11_keep **slot, const char *pin, size_t len);

enum p11_keep_result { P11_KEEP_OK, P11_KEEP_NONE, P11_KEEP_EXPIRED };
/* Copy the kept PIN into buf (cap ≥ P11_KEEP_PIN_MAX + 1, NUL-terminated)
 * for one use, counting it. Bounds (0: none): after max_uses uses, or idle_s
 * seconds since the last use (or the keeping), the PIN is wiped instead and
 * P11_KEEP_EXPIRED returned. The caller wipes buf. */
enum p11_keep_result p11_keep_use(struct p11_keep **slot, unsigned long max_uses,
                                  unsigned long idle_s, char *buf, size_t cap, size_t *len);
/* Copy the kept PIN into buf as p11_keep_use does, but neither count the
 * use nor look at the bounds: for a second try of the same signature, whose
 * first try counted already. False when none is kept. */
bool p11_keep_copy(struct p11_keep **slot, char *buf, size_t cap, size_t *len);
/* Is a PIN kept in *slot? */
bool p11_keep_held(struct p11_keep *const *slot);
/* Wipe, unlock, unmap; *slot becomes NULL. NULL is fine. */
void p11_keep_wipe(struct p11_keep **slot);

#endif
