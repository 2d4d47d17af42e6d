/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList, C_GetInterfaceList,
 * C_GetInterface, and the module instance's life (R1-R6, R15, R16).
 */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../log/log.h"
#include "entry.h"
#include "out.h"
#include "session.h"
#include "slot.h"
#include "token.h"

/* R5: instances of ancestor processes, forgotten in this child but kept
 * reachable (a chain through ->forgotten), never freed. */
static struct p11_ctx *g_forgotten;

/* R16: how long C_Finalize waits for calls in flight; past it the instance
 * is leaked rather than freed under a running call. */
#define P11_FINALIZE_WAIT_MS 5000L
/* The same at exit or unload without C_Finalize: shorter, exit must not hang. */
#define P11_EXIT_WAIT_MS 1000L

static void ctx_free(struct p11_ctx *c)
{
	size_t i;

	p11_sessions_free_all(c); /* operations first: they point into slots */
	for (i = 0; i < c->n_slots; i++) {
		p11_token_state_lock(c, c->slots[i]); /* nothing else runs now */
		p11_token_close_locked(c, c->slots[i]);
		p11_token_state_unlock(c, c->slots[i]);
		p11_slot_free(c, c->slots[i]);
	}
	akis_readers_close(c->pc);
	p11_mutex_free(&c->locking, c->scan_lock);
	p11_mutex_free(&c->locking, c->reg_lock);
	free(c);
}

/* A forked child: the parent's instance is not ours. Forget it without any
 * PC/SC call or lock (R5); its card handles and mutexes are leaked, but the
 * memory stays reachable from g_forgotten (a leak checker in the child then
 * sees a deliberate, bounded leak rather than lost memory). */
static void ctx_forget_parent(struct p11_ctx *old)
{
	if (!p11_ctx_uninstall(old))
		return;
	old->forgotten = g_forgotten;
	g_forgotten = old;
	akis_readers_forget(old->pc);
	p11_ctx_forget_calls();
}

/* The end of an instance already taken out of g_ctx: new calls are refused,
 * waiters woken (R15); once no call is inside (ms at most, R16) the tokens
 * are logged out (R22) and everything freed, else the instance is leaked
 * rather than freed under a running call. */
static void ctx_retire(struct p11_ctx *c, long ms)
{
	atomic_store(&c->finalizing, true);
	p11_slot_cancel_waiters(c);
	if (!p11_ctx_wait_idle(ms)) {
		log_msg(LOG_P11, "finalize: calls still in flight, instance leaked");
		return;
	}
	ctx_free(c);
	akis_guard_idle(); /* logged out: the logout guard may go (R22) */
}

static CK_RV ctx_new(const CK_C_INITIALIZE_ARGS *args, struct p11_ctx **out)
{
	struct p11_ctx *c = calloc(1, sizeof(*c));
	CK_RV rv;

	if (c == NULL)
		return CKR_HOST_MEMORY;
	rv = p11_locking_choose(args, &c->locking);
	if (rv != CKR_OK)
		goto out;
	c->pid = getpid();
	c->next_session = 1;
	c->next_token_seq = 1;
	c->next_binding = 1;
	c->reg_lock = p11_mutex_new(&c->locking);
	c->scan_lock = p11_mutex_new(&c->locking);
	rv = (c->reg_lock && c->scan_lock) ? CKR_OK : CKR_CANT_LOCK;
	if (rv != CKR_OK)
		goto out;
	p11_config_load(&c->conf);
	*out = c;
	c = NULL;
out:
	if (c != NULL) {
		p11_mutex_free(&c->locking, c->reg_lock);
		p11_mutex_free(&c->locking, c->scan_lock);
		free(c);
	}
	return rv;
}

P11_EXPORT CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	struct p11_ctx *c = NULL, *old;
	CK_RV rv;

	log_init();
	old = p11_ctx_current();
	if (old != NULL && old->pid != getpid())
		ctx_forget_parent(old);
	rv = ctx_new(pInitArgs, &c);
	if (rv != CKR_OK)
		return rv;
	if (!p11_ctx_install(c)) {
		ctx_free(c); /* nothing was opened yet: no PC/SC call */
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	}
	log_msg(LOG_P11, "C_Initialize: %s locking", c->locking.app ? "application" : "OS");
	return CKR_OK;
}

P11_EXPORT CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	struct p11_ctx *c = p11_ctx_current();

	if (pReserved != NULL)
		return CKR_ARGUMENTS_BAD;
	if (c != NULL && c->pid != getpid()) {
		ctx_forget_parent(c);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	if (!p11_ctx_uninstall(c))
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	ctx_retire(c, P11_FINALIZE_WAIT_MS);
	return CKR_OK;
}

/*
 * R22: a program that exits, or unloads the module, without C_Finalize
 * (pkcs11-tool after C_SetPIN, most Java programs) must not leave a PIN or
 * PUK verified on the card for the next process. exit() and dlclose() run
 * this; a forked child's exit leaves the parent's instance alone (R5).
 * Threads still inside the module get a short wait, never a hang.
 */
__attribute__((destructor)) static void module_unload(void)
{
	struct p11_ctx *c = p11_ctx_current();

	if (c == NULL || c->pid != getpid() || !p11_ctx_uninstall(c))
		return;
	log_msg(LOG_P11, "exit or unload without C_Finalize: finalizing (R22)");
	ctx_retire(c, P11_EXIT_WAIT_MS);
}

P11_EXPORT CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	struct p11_ctx *c;
	CK_RV rv = p11_enter(&c);

	if (rv != CKR_OK)
		return rv;
	if (pInfo == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->cryptokiVersion.major = 2;
	pInfo->cryptokiVersion.minor = 40;
	p11_pad_copy(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "akis-pkcs11 project");
	p11_pad_copy(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
	             "AKIS smart card PKCS#11 module");
	pInfo->libraryVersion.major = 0;
	pInfo->libraryVersion.minor = 1;
out:
	p11_leave();
	return rv;
}

CK_RV p11_unsupported(void)
{
	struct p11_ctx *c;
	CK_RV rv = p11_enter(&c);

	if (rv != CKR_OK)
		return rv;
	p11_leave();
	return CKR_FUNCTION_NOT_SUPPORTED;
}

#define P11_FUNCTIONS_2_40                                                                         \
	C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList, C_GetSlotList, C_GetSlotInfo,      \
	        C_GetTokenInfo, C_GetMechanismList, C_GetMechanismInfo, C_InitToken, C_InitPIN,    \
	        C_SetPIN, C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo,     \
	        C_GetOperationState, C_SetOperationState, C_Login, C_Logout, C_CreateObject,       \
	        C_CopyObject, C_DestroyObject, C_GetObjectSize, C_GetAttributeValue,               \
	        C_SetAttributeValue, C_FindObjectsInit, C_FindObjects, C_FindObjectsFinal,         \
	        C_EncryptInit, C_Encrypt, C_EncryptUpdate, C_EncryptFinal, C_DecryptInit,          \
	        C_Decrypt, C_DecryptUpdate, C_DecryptFinal, C_DigestInit, C_Digest,                \
	        C_DigestUpdate, C_DigestKey, C_DigestFinal, C_SignInit, C_Sign, C_SignUpdate,      \
	        C_SignFinal, C_SignRecoverInit, C_SignRecover, C_VerifyInit, C_Verify,             \
	        C_VerifyUpdate, C_VerifyFinal, C_VerifyRecoverInit, C_VerifyRecover,               \
	        C_DigestEncryptUpdate, C_DecryptDigestUpdate, C_SignEncryptUpdate,                 \
	        C_DecryptVerifyUpdate, C_GenerateKey, C_GenerateKeyPair, C_WrapKey, C_UnwrapKey,   \
	        C_DeriveKey, C_SeedRandom, C_GenerateRandom, C_GetFunctionStatus,                  \
	        C_CancelFunction, C_WaitForSlotEvent

static CK_FUNCTION_LIST functions_2_40 = {{2, 40}, P11_FUNCTIONS_2_40};

static CK_FUNCTION_LIST_3_0 functions_3_0 = {
        {3, 0},
        P11_FUNCTIONS_2_40,
        C_GetInterfaceList,
        C_GetInterface,
        C_LoginUser,
        C_SessionCancel,
        C_MessageEncryptInit,
        C_EncryptMessage,
        C_EncryptMessageBegin,
        C_EncryptMessageNext,
        C_MessageEncryptFinal,
        C_MessageDecryptInit,
        C_DecryptMessage,
        C_DecryptMessageBegin,
        C_DecryptMessageNext,
        C_MessageDecryptFinal,
        C_MessageSignInit,
        C_SignMessage,
        C_SignMessageBegin,
        C_SignMessageNext,
        C_MessageSignFinal,
        C_MessageVerifyInit,
        C_VerifyMessage,
        C_VerifyMessageBegin,
        C_VerifyMessageNext,
        C_MessageVerifyFinal,
};

static CK_CHAR interface_name[] = "PKCS 11";

/* PKCS#11 3.0 §5.4: first the newest. No CKF_INTERFACE_FORK_SAFE (R6):
 * a child must call C_Initialize. */
static CK_INTERFACE interfaces[] = {
        {interface_name, &functions_3_0, 0},
        {interface_name, &functions_2_40, 0},
};
#define N_INTERFACES (sizeof(interfaces) / sizeof(interfaces[0]))

P11_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (ppFunctionList == NULL)
		return CKR_ARGUMENTS_BAD;
	*ppFunctionList = &functions_2_40;
	return CKR_OK;
}

P11_EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	if (pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	return p11_out_array(pInterfacesList, pulCount, interfaces, N_INTERFACES,
	                     sizeof(interfaces[0]));
}

static bool interface_matches(const CK_INTERFACE *itf, const CK_UTF8CHAR *name,
                              const CK_VERSION *version, CK_FLAGS flags)
{
	const CK_VERSION *have = itf->pFunctionList; /* every list starts with its version */

	if (name != NULL && strcmp((const char *)name, (const char *)itf->pInterfaceName) != 0)
		return false;
	if (version != NULL && (version->major != have->major || version->minor != have->minor))
		return false;
	return (itf->flags & flags) == flags;
}

P11_EXPORT CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                                CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	size_t i;

	if (ppInterface == NULL)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < N_INTERFACES; i++) {
		if (interface_matches(&interfaces[i], pInterfaceName, pVersion, flags)) {
			*ppInterface = &interfaces[i];
			return CKR_OK;
		}
	}
	return CKR_ARGUMENTS_BAD; /* PKCS#11 3.0 §5.4.2: no such interface */
}
