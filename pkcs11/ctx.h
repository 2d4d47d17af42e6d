/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The module instance shared by every file of pkcs11/: what C_Initialize
 * creates and C_Finalize destroys (R1-R6, R15, R16; module.c). Entry points
 * bracket their work with p11_enter() / p11_leave(): these check
 * "initialised" and fork (R5) and count calls in flight, so that
 * C_Finalize can wait for them (bounded) before freeing.
 *
 * Locks (docs/design.md "Runtime model"): reg_lock (short) guards the slot and
 * session tables and counters and is never held during card I/O or a
 * PC/SC call; scan_lock serialises reader scans; each slot has its own
 * mutex held for a whole card operation. Order: slot lock → scan_lock →
 * reg_lock.
 */
#ifndef AKIS_PKCS11_CTX_H
#define AKIS_PKCS11_CTX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../akis/reader.h"
#include "config.h"
#include "lock.h"
#include "p11.h"

struct p11_slot;
struct p11_session;

#define P11_SLOTS_MAX   64u /* readers ever seen in one C_Initialize */
#define P11_WAITERS_MAX 16u /* threads blocked in C_WaitForSlotEvent */

struct p11_ctx {
	pid_t pid;                 /* of the process that called C_Initialize (R5) */
	struct p11_ctx *forgotten; /* R5: the ancestor's instance a forked child forgot */
	struct p11_locking locking;
	void *reg_lock;
	void *scan_lock;
	atomic_bool finalizing;
	struct p11_config conf;

	/* scan_lock */
	struct akis_readers *pc; /* listing context; NULL until pcscd answers (R3) */
	bool scanned;
	bool pc_lost; /* pcscd went away since the last listing (R35) */

	/* reg_lock */
	struct p11_slot *slots[P11_SLOTS_MAX]; /* index = CK_SLOT_ID; never shrinks (R8) */
	size_t n_slots;
	struct p11_session **sessions;
	size_t n_sessions, cap_sessions;
	CK_SESSION_HANDLE next_session; /* monotonic, never 0, never reused */
	unsigned long next_token_seq;   /* token instances (insertions) */
	unsigned long next_binding;     /* object handle generations */
	struct akis_readers *waiters[P11_WAITERS_MAX];
};

/* Enter an entry point: CKR_CRYPTOKI_NOT_INITIALIZED when not initialised,
 * in a forked child (until it calls C_Initialize) or while finalising. On
 * CKR_OK the caller must call p11_leave(). */
CK_RV p11_enter(struct p11_ctx **out) P11_WUR;
void p11_leave(void);

/* The instance of this process, installed by C_Initialize (false when one
 * is installed already), taken out by C_Finalize or at exit (false when c
 * is not the current one). */
bool p11_ctx_install(struct p11_ctx *c) P11_WUR;
bool p11_ctx_uninstall(struct p11_ctx *c) P11_WUR;
/* The installed instance (of this or a parent process), or NULL. */
struct p11_ctx *p11_ctx_current(void);
/* Wait up to ms for the calls inside the module to leave; false if some
 * are still inside. */
bool p11_ctx_wait_idle(long ms) P11_WUR;
/* A forked child forgets the calls its parent's threads had in flight. */
void p11_ctx_forget_calls(void);

/* Bounded sleep helper (ms). */
void p11_sleep_ms(long ms);

#endif
