/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mutexes as CK_C_INITIALIZE_ARGS asks for them (PKCS#11 2.40 §5.4,
 * 3.0 §5.4): OS primitives (pthreads) whenever the application allows
 * them or gives no functions at all, the application's four callbacks only
 * when it supplies them without CKF_OS_LOCKING_OK.
 */
#ifndef AKIS_PKCS11_LOCK_H
#define AKIS_PKCS11_LOCK_H

#include "p11.h"

struct p11_locking {
	CK_CREATEMUTEX create;
	CK_DESTROYMUTEX destroy;
	CK_LOCKMUTEX lock;
	CK_UNLOCKMUTEX unlock;
	int app; /* 1 when the application's callbacks are used */
};

/*
 * Choose the locking from C_Initialize's argument (NULL allowed).
 * CKR_OK, or CKR_ARGUMENTS_BAD when some but not all four functions are
 * given (R1). pReserved is not looked at (NSS puts a string there).
 */
CK_RV p11_locking_choose(const CK_C_INITIALIZE_ARGS *args, struct p11_locking *out) P11_WUR;

/* A new mutex, or NULL (out of memory / the callback failed). */
void *p11_mutex_new(const struct p11_locking *l);
void p11_mutex_free(const struct p11_locking *l, void *m);
void p11_mutex_lock(const struct p11_locking *l, void *m);
void p11_mutex_unlock(const struct p11_locking *l, void *m);

/*
 * A lock taken in the order of arrival (FIFO), for a resource held long
 * (a card operation): nobody waiting for it starves behind later comers
 * (issue 14). With OS locking a ticket lock; with the application's
 * callbacks, which offer no way to wait for a turn, their plain mutex.
 */
struct p11_fair;
struct p11_fair *p11_fair_new(const struct p11_locking *l);
void p11_fair_free(const struct p11_locking *l, struct p11_fair *f);
void p11_fair_lock(const struct p11_locking *l, struct p11_fair *f);
void p11_fair_unlock(const struct p11_locking *l, struct p11_fair *f);

#endif
