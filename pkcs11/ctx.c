/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The installed module instance and the calls inside it (R1, R5, R16):
 * what every entry point checks on the way in (p11_enter), and what
 * C_Finalize waits for before freeing. Creating and freeing an instance is
 * module.c's.
 */
#include "ctx.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

/* The current instance, and the number of calls inside the module. The
 * counter is incremented before g_ctx is read, so a C_Finalize that has
 * cleared g_ctx and then sees 0 knows no call can still reach the old
 * instance (both seq_cst). */
static _Atomic(struct p11_ctx *) g_ctx;
static atomic_long g_inflight;

void p11_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

CK_RV p11_enter(struct p11_ctx **out)
{
	struct p11_ctx *c;

	atomic_fetch_add(&g_inflight, 1);
	c = atomic_load(&g_ctx);
	if (c == NULL || c->pid != getpid() || atomic_load(&c->finalizing)) {
		atomic_fetch_sub(&g_inflight, 1);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	*out = c;
	return CKR_OK;
}

void p11_leave(void)
{
	atomic_fetch_sub(&g_inflight, 1);
}

bool p11_ctx_install(struct p11_ctx *c)
{
	struct p11_ctx *none = NULL;

	return atomic_compare_exchange_strong(&g_ctx, &none, c);
}

bool p11_ctx_uninstall(struct p11_ctx *c)
{
	return c != NULL && atomic_compare_exchange_strong(&g_ctx, &c, NULL);
}

struct p11_ctx *p11_ctx_current(void)
{
	return atomic_load(&g_ctx);
}

bool p11_ctx_wait_idle(long ms)
{
	long waited;

	for (waited = 0; waited < ms; waited++) {
		if (atomic_load(&g_inflight) <= 0)
			return true;
		p11_sleep_ms(1);
	}
	return false;
}

void p11_ctx_forget_calls(void)
{
	atomic_store(&g_inflight, 0); /* the parent's threads do not exist here */
}
