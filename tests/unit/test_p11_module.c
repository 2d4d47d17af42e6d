/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkcs11/ front end without a card: C_Initialize argument forms (R1),
 * re-initialisation (R2), fork (R5), interfaces (R6), C_Finalize waking a
 * blocked C_WaitForSlotEvent (R15), the akis_rv → CK_RV table, slot
 * tracking (R7-R9, R14, R32), config parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../pkcs11/config.h"
#include "../../pkcs11/entry.h"
#include "../../pkcs11/ctx.h"
#include "../../pkcs11/rv.h"
#include "../../pkcs11/slot.h"

/* ----- application mutex callbacks, counted ----- */

static int app_creates, app_locks;

static CK_RV app_create(CK_VOID_PTR_PTR m)
{
	pthread_mutex_t *p = malloc(sizeof(*p));

	pthread_mutex_init(p, NULL);
	*m = p;
	app_creates++;
	return CKR_OK;
}

static CK_RV app_destroy(CK_VOID_PTR m)
{
	pthread_mutex_destroy(m);
	free(m);
	return CKR_OK;
}

static CK_RV app_lock(CK_VOID_PTR m)
{
	app_locks++;
	return pthread_mutex_lock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}

static CK_RV app_unlock(CK_VOID_PTR m)
{
	return pthread_mutex_unlock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}

static void init_finalize(CK_C_INITIALIZE_ARGS *args, CK_RV expect)
{
	CK_INFO info;

	assert_int_equal(C_Initialize(args), expect);
	if (expect != CKR_OK) {
		assert_int_equal(C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
		return;
	}
	assert_int_equal(C_GetInfo(&info), CKR_OK);
	assert_int_equal(info.cryptokiVersion.major, 2);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

/* R1: every form of CK_C_INITIALIZE_ARGS */
static void test_init_args(void **state)
{
	CK_C_INITIALIZE_ARGS a;
	char nss_params[] = "configdir='sql:/tmp' certPrefix='' keyPrefix=''";

	(void)state;
	init_finalize(NULL, CKR_OK);
	memset(&a, 0, sizeof(a));
	init_finalize(&a, CKR_OK);   /* no functions, no flags */
	a.flags = CKF_OS_LOCKING_OK; /* Java */
	init_finalize(&a, CKR_OK);
	a = (CK_C_INITIALIZE_ARGS){app_create,
	                           app_destroy,
	                           app_lock,
	                           app_unlock,
	                           CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS,
	                           nss_params}; /* NSS */
	app_creates = 0;
	init_finalize(&a, CKR_OK);
	assert_int_equal(app_creates, 0); /* OS locking allowed: ours */
	a.flags = 0;                      /* functions only: the application's must be used */
	a.pReserved = NULL;
	init_finalize(&a, CKR_OK);
	assert_true(app_creates >= 2);
	a.LockMutex = NULL; /* mixed */
	init_finalize(&a, CKR_ARGUMENTS_BAD);
	a = (CK_C_INITIALIZE_ARGS){NULL, app_destroy, NULL, NULL, CKF_OS_LOCKING_OK, NULL};
	init_finalize(&a, CKR_ARGUMENTS_BAD);
}

/* With the application's callbacks, the module's locks go through them. */
static void test_app_locking_used(void **state)
{
	CK_C_INITIALIZE_ARGS a = {app_create, app_destroy, app_lock, app_unlock, 0, NULL};
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;

	(void)state;
	app_locks = 0;
	assert_int_equal(C_Initialize(&a), CKR_OK);
	assert_int_equal(C_GetSlotList(CK_FALSE, slots, &n), CKR_OK);
	assert_true(app_locks > 0);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

/* R2, and calls outside an initialised module */
static void test_reinit_and_state(void **state)
{
	CK_INFO info;
	CK_ULONG n = 0;
	CK_SLOT_ID sid;

	(void)state;
	assert_int_equal(C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &sid, NULL),
	                 CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	assert_int_equal(C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	assert_int_equal(C_GetInfo(&info), CKR_OK); /* still usable */
	assert_int_equal(C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetSlotList(CK_FALSE, NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_Finalize(&n), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_OpenSession(0, 0, NULL, NULL, (CK_SESSION_HANDLE *)&n),
	                 CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	assert_int_equal(C_GetSessionInfo(12345, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_CloseSession(12345), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_Login(0, CKU_USER, NULL, 0), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_GetOperationState(1, NULL, &n), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(C_GetObjectSize(1, 1, &n), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_GetObjectSize(1, 1, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SeedRandom(1, NULL, 4), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_SeedRandom(1, (CK_BYTE_PTR)&n, sizeof n), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(C_GetSlotInfo(100000, (CK_SLOT_INFO *)&info), CKR_SLOT_ID_INVALID);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	assert_int_equal(C_GetObjectSize(1, 1, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
}

/* R5: the child sees "not initialised" until its own C_Initialize. */
static void test_fork(void **state)
{
	CK_INFO info;
	pid_t pid;
	int status = 0;

	(void)state;
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = 0;

		bad |= C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED;
		bad |= C_Initialize(NULL) != CKR_OK;
		bad |= C_GetInfo(&info) != CKR_OK;
		bad |= C_Finalize(NULL) != CKR_OK;
		_exit(bad ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(C_GetInfo(&info), CKR_OK); /* the parent is unaffected */

	pid = fork(); /* C_Finalize first, then C_Initialize */
	if (pid == 0) {
		int bad = C_Finalize(NULL) != CKR_CRYPTOKI_NOT_INITIALIZED;

		bad |= C_Initialize(NULL) != CKR_OK;
		bad |= C_GetInfo(&info) != CKR_OK;
		_exit(bad ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

/* R6: "PKCS 11" 3.0 and 2.40, no fork-safe flag. */
static void test_interfaces(void **state)
{
	CK_INTERFACE list[4], *itf = NULL;
	CK_ULONG n = 0;
	CK_VERSION v240 = {2, 40}, v30 = {3, 0}, v99 = {9, 9};
	CK_FUNCTION_LIST *fl = NULL;
	CK_FUNCTION_LIST_3_0 *f3;

	(void)state;
	assert_int_equal(C_GetInterfaceList(NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetInterfaceList(NULL, &n), CKR_OK);
	assert_int_equal(n, 2);
	n = 1;
	assert_int_equal(C_GetInterfaceList(list, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 2);
	n = 4;
	assert_int_equal(C_GetInterfaceList(list, &n), CKR_OK);
	assert_int_equal(n, 2);
	for (CK_ULONG i = 0; i < n; i++) {
		assert_string_equal((char *)list[i].pInterfaceName, "PKCS 11");
		assert_int_equal(list[i].flags & CKF_INTERFACE_FORK_SAFE, 0);
	}
	assert_int_equal(((CK_VERSION *)list[0].pFunctionList)->major, 3);
	assert_int_equal(((CK_VERSION *)list[1].pFunctionList)->minor, 40);
	assert_int_equal(C_GetInterface(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetInterface(NULL, NULL, &itf, 0), CKR_OK);
	f3 = itf->pFunctionList;
	assert_int_equal(f3->version.major, 3);
	assert_ptr_equal(f3->C_Initialize, C_Initialize);
	assert_ptr_equal(f3->C_WaitForSlotEvent, C_WaitForSlotEvent);
	assert_ptr_equal(f3->C_GetInterface, C_GetInterface);
	assert_ptr_equal(f3->C_SessionCancel, C_SessionCancel);
	assert_ptr_equal(f3->C_MessageVerifyFinal, C_MessageVerifyFinal);
	assert_int_equal(C_GetInterface((CK_UTF8CHAR *)"PKCS 11", &v240, &itf, 0), CKR_OK);
	assert_int_equal(((CK_VERSION *)itf->pFunctionList)->minor, 40);
	assert_int_equal(C_GetInterface((CK_UTF8CHAR *)"PKCS 11", &v30, &itf, 0), CKR_OK);
	assert_int_equal(C_GetInterface((CK_UTF8CHAR *)"PKCS 11", &v99, &itf, 0),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetInterface((CK_UTF8CHAR *)"Vendor", NULL, &itf, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetInterface(NULL, NULL, &itf, CKF_INTERFACE_FORK_SAFE),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(C_GetFunctionList(&fl), CKR_OK);
	assert_int_equal(fl->version.minor, 40);
	assert_ptr_equal(fl->C_Sign, C_Sign);
	assert_ptr_equal(fl->C_GetSlotList, C_GetSlotList);
}

/* ----- R15: C_Finalize wakes a blocked C_WaitForSlotEvent ----- */

struct waiter {
	CK_RV rv;
	struct timespec done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	CK_SLOT_ID sid;

	/* Drain events that exist now, then block; a real event while
	 * blocked (a bench running elsewhere inserts or removes a card) is
	 * not what this test waits for: block again until C_Finalize. */
	while ((w->rv = C_WaitForSlotEvent(CKF_DONT_BLOCK, &sid, NULL)) == CKR_OK)
		;
	while ((w->rv = C_WaitForSlotEvent(0, &sid, NULL)) == CKR_OK)
		;
	clock_gettime(CLOCK_MONOTONIC, &w->done);
	return NULL;
}

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void test_finalize_wakes_waiter(void **state)
{
	struct waiter w = {CKR_OK, {0, 0}};
	struct timespec t0, t1;
	pthread_t th;
	CK_INFO info;

	(void)state;
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
	p11_sleep_ms(400);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	assert_int_equal(w.rv, CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_true(since(&t0, &w.done) < 1.0);
	assert_true(since(&t0, &t1) < 1.0);
	assert_int_equal(C_Initialize(NULL), CKR_OK); /* immediately usable */
	assert_int_equal(C_GetInfo(&info), CKR_OK);
	assert_int_equal(C_Finalize(NULL), CKR_OK);
}

/* ----- R4: concurrent calls while another thread cycles init/finalize ----- */

static atomic_int stop_hammer;

static void *hammer(void *arg)
{
	CK_INFO info;
	CK_ULONG n;
	CK_SLOT_ID ids[64];
	unsigned long bad = 0;

	while (!stop_hammer) {
		CK_RV rv = C_GetInfo(&info);

		bad += rv != CKR_OK && rv != CKR_CRYPTOKI_NOT_INITIALIZED;
		n = 64;
		rv = C_GetSlotList(CK_FALSE, ids, &n);
		bad += rv != CKR_OK && rv != CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	*(unsigned long *)arg = bad;
	return NULL;
}

static void test_concurrent_cycles(void **state)
{
	pthread_t th[3];
	unsigned long bad[3] = {0, 0, 0};
	int i;

	(void)state;
	stop_hammer = 0;
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &bad[i]), 0);
	for (i = 0; i < 200; i++) {
		assert_int_equal(C_Initialize(NULL), CKR_OK);
		assert_int_equal(C_Finalize(NULL), CKR_OK);
	}
	stop_hammer = 1;
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(bad[i], 0);
	}
}

/* ----- the translator ----- */

static void test_rv_table(void **state)
{
	static const struct {
		akis_rv in;
		CK_RV out;
	} cases[] = {
	        {AKIS_OK, CKR_OK},
	        {AKIS_ERR_NO_MEMORY, CKR_HOST_MEMORY},
	        {AKIS_ERR_BUFFER, CKR_BUFFER_TOO_SMALL},
	        {AKIS_ERR_REMOVED, CKR_DEVICE_REMOVED},
	        {AKIS_ERR_NO_SERVICE, CKR_DEVICE_REMOVED},
	        {AKIS_ERR_RESET, CKR_USER_NOT_LOGGED_IN},
	        {AKIS_ERR_CANCELLED, CKR_FUNCTION_CANCELED},
	        {AKIS_ERR_TIMEOUT, CKR_FUNCTION_CANCELED},
	        {AKIS_ERR_NOT_AKIS, CKR_TOKEN_NOT_RECOGNIZED},
	        {AKIS_ERR_PIN_INCORRECT, CKR_PIN_INCORRECT},
	        {AKIS_ERR_PIN_BLOCKED, CKR_PIN_LOCKED},
	        {AKIS_ERR_PIN_LEN, CKR_PIN_LEN_RANGE},
	        {AKIS_ERR_PIN_INVALID, CKR_PIN_INVALID},
	        {AKIS_ERR_NOT_LOGGED_IN, CKR_USER_NOT_LOGGED_IN},
	        {AKIS_ERR_DEAD, CKR_PIN_LOCKED},
	        {AKIS_ERR_COMM, CKR_DEVICE_ERROR},
	        {AKIS_ERR_CARD_DATA, CKR_DEVICE_ERROR},
	};
	int v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(p11_rv_from_akis(cases[i].in), cases[i].out);
	for (v = AKIS_ERR_ARGS; v <= AKIS_ERR_DEAD; v++) /* no error becomes CKR_OK */
		assert_int_not_equal(p11_rv_from_akis((akis_rv)v), CKR_OK);
}

/* ----- slot tracking, driven by listings (no PC/SC) ----- */

static const uint8_t atr_akis12[] = {0x3B, 0x9F, 0x96, 0x81, 0x31, 0xFE, 0x45, 0x80,
                                     0x67, 0x55, 0x45, 0x4B, 0x41, 0x45, 0x12, 0x92,
                                     0x31, 0x80, 0x73, 0xB3, 0xA1, 0x80, 0x6A};
static const uint8_t atr_other[] = {0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00,
                                    0x03, 0x06, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x6A};

static void reader(struct akis_reader *r, const char *name, const uint8_t *atr, size_t atr_len,
                   uint32_t counter)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (atr != NULL) {
		r->state = AKIS_READER_PRESENT;
		memcpy(r->atr, atr, atr_len);
		r->atr_len = atr_len;
	}
	r->event_counter = counter;
}

static void ctx_setup(struct p11_ctx *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(p11_locking_choose(NULL, &c->locking), CKR_OK);
	c->reg_lock = p11_mutex_new(&c->locking);
	c->scan_lock = p11_mutex_new(&c->locking);
	c->next_token_seq = 1;
	c->scanned = true; /* p11_slot_list must not scan for real */
}

static void ctx_teardown(struct p11_ctx *c)
{
	for (size_t i = 0; i < c->n_slots; i++)
		p11_slot_free(c, c->slots[i]); /* both locks, as the module frees them */
	p11_mutex_free(&c->locking, c->reg_lock);
	p11_mutex_free(&c->locking, c->scan_lock);
}

static void test_slot_tracking(void **state)
{
	struct p11_ctx c;
	struct akis_reader r[2];
	CK_SLOT_ID ids[8];
	CK_ULONG n = 8;
	unsigned long seq;

	(void)state;
	ctx_setup(&c);
	reader(&r[0], "Reader A 00 00", NULL, 0, 0);
	reader(&r[1], "Reader B 01 00", atr_akis12, sizeof(atr_akis12), 1);
	p11_slots_merge(&c, r, 2, true);
	assert_int_equal(c.n_slots, 2);
	assert_int_equal(c.slots[0]->kind, P11_TOKEN_NONE);
	assert_int_equal(c.slots[1]->kind, P11_TOKEN_AKIS);
	assert_false(c.slots[0]->event || c.slots[1]->event); /* first scan: no event */
	assert_int_equal(p11_slot_list(&c, CK_FALSE, ids, &n), CKR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 1); /* slot with a token first (R8) */
	assert_int_equal(ids[1], 0);
	n = 1;
	assert_int_equal(p11_slot_list(&c, CK_FALSE, ids, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 2);
	n = 8;
	assert_int_equal(p11_slot_list(&c, CK_TRUE, ids, &n), CKR_OK);
	assert_int_equal(n, 1);

	/* same state again: nothing happens (R9: no re-probe) */
	seq = c.slots[1]->token_seq;
	p11_slots_merge(&c, r, 2, false);
	assert_false(c.slots[1]->event);
	assert_int_equal(c.slots[1]->token_seq, seq);

	/* a foreign card in A: an event, not recognised */
	reader(&r[0], "Reader A 00 00", atr_other, sizeof(atr_other), 1);
	p11_slots_merge(&c, r, 2, false);
	assert_true(c.slots[0]->event);
	assert_int_equal(c.slots[0]->kind, P11_TOKEN_OTHER);
	c.slots[0]->event = false;

	/* a swap in B between two scans (counter moved by 2): a new token */
	reader(&r[1], "Reader B 01 00", atr_akis12, sizeof(atr_akis12), 3);
	p11_slots_merge(&c, r, 2, false);
	assert_true(c.slots[1]->event);
	assert_true(c.slots[1]->token_seq != seq);
	c.slots[1]->event = false;

	/* reader A unplugged: the slot stays, empty (R8) */
	p11_slots_merge(&c, &r[1], 1, false);
	assert_int_equal(c.n_slots, 2);
	assert_false(c.slots[0]->listed);
	assert_int_equal(c.slots[0]->kind, P11_TOKEN_NONE);
	assert_true(c.slots[0]->event);
	n = 8;
	assert_int_equal(p11_slot_list(&c, CK_FALSE, ids, &n), CKR_OK);
	assert_int_equal(n, 2);

	/* and back: the same ID (stable per reader name) */
	reader(&r[0], "Reader A 00 00", NULL, 0, 2);
	reader(&r[1], "Reader C", NULL, 0, 0);
	p11_slots_merge(&c, r, 2, false);
	assert_int_equal(c.n_slots, 3);
	assert_true(c.slots[0]->listed);
	assert_string_equal(c.slots[2]->reader, "Reader C");
	ctx_teardown(&c);
}

/* R7: slotDescription is the reader name, blank-padded, cut at 64. */
static void test_slot_info(void **state)
{
	struct p11_ctx c;
	struct akis_reader r;
	CK_SLOT_INFO info;
	char longname[100];

	(void)state;
	ctx_setup(&c);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	reader(&r, "ACS ACR38U 00 00", atr_akis12, sizeof(atr_akis12), 1);
	p11_slots_merge(&c, &r, 1, true);
	reader(&r, longname, NULL, 0, 0);
	p11_slots_merge(&c, &r, 1, false);
	assert_int_equal(p11_slot_info(&c, c.slots[0], &info), CKR_OK);
	assert_memory_equal(info.slotDescription, "ACS ACR38U 00 00     ", 21);
	assert_int_equal(info.slotDescription[63], ' ');
	assert_int_equal(info.flags & (CKF_REMOVABLE_DEVICE | CKF_HW_SLOT),
	                 CKF_REMOVABLE_DEVICE | CKF_HW_SLOT);
	assert_int_equal(info.flags & CKF_TOKEN_PRESENT, 0); /* reader gone from listing */
	assert_int_equal(p11_slot_info(&c, c.slots[1], &info), CKR_OK);
	assert_memory_equal(info.slotDescription, longname, 64);
	ctx_teardown(&c);
}

static void test_config(void **state)
{
	struct p11_config conf;
	static const char text[] = "# comment\n"
	                           "reader_filter = vpcd \n"
	                           "debug=apdu,pin # trailing\n"
	                           "cache = off\r\n"
	                           "nonsense line\n"
	                           "log_file=/tmp/x.log";

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.cache = true;
	p11_config_parse(&conf, text, sizeof(text) - 1);
	assert_string_equal(conf.reader_filter, "vpcd");
	assert_string_equal(conf.debug, "apdu,pin");
	assert_string_equal(conf.log_file, "/tmp/x.log");
	assert_false(conf.cache);
	assert_true(p11_config_reader_ok(&conf, "Virtual PCD vpcd 00 00"));
	assert_false(p11_config_reader_ok(&conf, "ACS ACR38U"));
}

/* R46: pin_per_signature, the program's own line winning over the general
 * one in either order, unknown values ignored, the bounds. */
static void test_config_pin_policy(void **state)
{
	static const struct {
		const char *text, *program;
		bool login;
		const char *source;
	} cases[] = {
	        {"", "java", false, "default"},
	        {"pin_per_signature = login\n", "java", true, "file"},
	        {"pin_per_signature = maybe\n", "java", false, "default"},
	        {"pin_per_signature.java = login\n", "java", true, "program"},
	        {"pin_per_signature.java = login\n", "firefox-esr", false, "default"},
	        {"pin_per_signature.java = login\npin_per_signature = card\n", "java", true,
	         "program"},
	        {"pin_per_signature = login\npin_per_signature.firefox-esr = card\n", "firefox-esr",
	         false, "program"},
	        {"pin_per_signature = login\npin_per_signature.firefox-esr = card\n", "java", true,
	         "file"},
	        {"pin_per_signature.jav = login\n", "java", false, "default"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct p11_config conf;

		p11_config_defaults(&conf);
		snprintf(conf.program, sizeof(conf.program), "%s", cases[i].program);
		p11_config_parse(&conf, cases[i].text, strlen(cases[i].text));
		if (conf.pin_login != cases[i].login ||
		    strcmp(conf.pin_login_source, cases[i].source))
			fail_msg("case %zu: %d %s", i, conf.pin_login, conf.pin_login_source);
	}
	struct p11_config conf;
	const char bounds[] = "pin_per_signature_max_signatures = 1000\n"
	                      "pin_per_signature_idle = 600\npin_per_signature_idle = x1\n";
	p11_config_defaults(&conf);
	p11_config_parse(&conf, bounds, sizeof(bounds) - 1);
	assert_int_equal(conf.pin_max_sigs, 1000);
	assert_int_equal(conf.pin_idle_s, 0); /* the last line, not a number: no bound */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_config_pin_policy),
	        cmocka_unit_test(test_init_args),
	        cmocka_unit_test(test_app_locking_used),
	        cmocka_unit_test(test_reinit_and_state),
	        cmocka_unit_test(test_fork),
	        cmocka_unit_test(test_interfaces),
	        cmocka_unit_test(test_finalize_wakes_waiter),
	        cmocka_unit_test(test_concurrent_cycles),
	        cmocka_unit_test(test_rv_table),
	        cmocka_unit_test(test_slot_tracking),
	        cmocka_unit_test(test_slot_info),
	        cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
