/* SPDX-License-Identifier: BSD-3-Clause */
#include "lock.h"

#include <pthread.h>
#include <stdlib.h>

static CK_RV os_create(CK_VOID_PTR_PTR out)
{
	pthread_mutex_t *m = malloc(sizeof(*m));

	if (m == NULL)
		return CKR_HOST_MEMORY;
	if (pthread_mutex_init(m, NULL) != 0) {
		free(m);
		return CKR_CANT_LOCK;
	}
	*out = m;
	return CKR_OK;
}

static CK_RV os_destroy(CK_VOID_PTR m)
{
	pthread_mutex_destroy(m);
	free(m);
	return CKR_OK;
}

static CK_RV os_lock(CK_VOID_PTR m)
{
	return pthread_mutex_lock(m) == 0 ? CKR_OK : CKR_CANT_LOCK;
}

static CK_RV os_unlock(CK_VOID_PTR m)
{
	return pthread_mutex_unlock(m) == 0 ? CKR_OK : CKR_MUTEX_NOT_LOCKED;
}

CK_RV p11_locking_choose(const CK_C_INITIALIZE_ARGS *args, struct p11_locking *out)
{
	static const struct p11_locking os = {os_create, os_destroy, os_lock, os_unlock, 0};
	int given;

	*out = os;
	if (args == NULL)
		return CKR_OK;
	given = (args->CreateMutex != NULL) + (args->DestroyMutex != NULL) +
	        (args->LockMutex != NULL) + (args->UnlockMutex != NULL);
	if (given != 0 && given != 4)
		return CKR_ARGUMENTS_BAD; /* PKCS#11 2.40 §5.4: all or none */
	/* Functions without CKF_OS_LOCKING_OK: the application's; with it, or
	 * with none, OS locking. Without any, PKCS#11 lets us assume no
	 * concurrency, but R4 asks for safety whatever the flags. */
	if (given == 4 && !(args->flags & CKF_OS_LOCKING_OK)) {
		out->create = args->CreateMutex;
		out->destroy = args->DestroyMutex;
		out->lock = args->LockMutex;
		out->unlock = args->UnlockMutex;
		out->app = 1;
	}
	return CKR_OK;
}

void *p11_mutex_new(const struct p11_locking *l)
{
	void *m = NULL;

	if (l->create(&m) != CKR_OK)
		return NULL;
	return m;
}

void p11_mutex_free(const struct p11_locking *l, void *m)
{
	if (m != NULL)
		(void)l->destroy(m);
}

void p11_mutex_lock(const struct p11_locking *l, void *m)
{
	(void)l->lock(m);
}

void p11_mutex_unlock(const struct p11_locking *l, void *m)
{
	(void)l->unlock(m);
}

struct p11_fair {
	void *app;             /* the application's mutex (l->app), else NULL */
	pthread_mutex_t m;     /* OS: guards the tickets */
	pthread_cond_t turn;   /* OS: signalled when `serving` moves on */
	unsigned long next;    /* the ticket the next comer draws */
	unsigned long serving; /* the ticket whose holder may go */
};

struct p11_fair *p11_fair_new(const struct p11_locking *l)
{
	struct p11_fair *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	if (l->app) {
		f->app = p11_mutex_new(l);
		if (f->app != NULL)
			return f;
	} else if (pthread_mutex_init(&f->m, NULL) == 0) {
		if (pthread_cond_init(&f->turn, NULL) == 0)
			return f;
		pthread_mutex_destroy(&f->m);
	}
	free(f);
	return NULL;
}

void p11_fair_free(const struct p11_locking *l, struct p11_fair *f)
{
	if (f == NULL)
		return;
	if (f->app != NULL) {
		p11_mutex_free(l, f->app);
	} else {
		pthread_cond_destroy(&f->turn);
		pthread_mutex_destroy(&f->m);
	}
	free(f);
}

void p11_fair_lock(const struct p11_locking *l, struct p11_fair *f)
{
	unsigned long mine;

	if (f->app != NULL) {
		p11_mutex_lock(l, f->app);
		return;
	}
	pthread_mutex_lock(&f->m);
	mine = f->next++;
	while (mine != f->serving)
		pthread_cond_wait(&f->turn, &f->m);
	pthread_mutex_unlock(&f->m);
}

void p11_fair_unlock(const struct p11_locking *l, struct p11_fair *f)
{
	if (f->app != NULL) {
		p11_mutex_unlock(l, f->app);
		return;
	}
	pthread_mutex_lock(&f->m);
	f->serving++;
	pthread_cond_broadcast(&f->turn);
	pthread_mutex_unlock(&f->m);
}
