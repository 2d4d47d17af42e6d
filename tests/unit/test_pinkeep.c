/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkcs11/pinkeep.c, the one place a PIN is kept (R46): the copy and its
 * bounds, the wipe (the page's bytes are zero before it goes), locked pages
 * (VmLck grows while a PIN is held), no PIN in a forked child.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../pkcs11/pinkeep.c"

/* ASan's mlock interceptor does nothing and says 0 (the module then believes
 * the page locked): under ASan VmLck cannot grow, and only that it does not
 * move is checked. The build without sanitizers checks the growth. */
#if defined(__SANITIZE_ADDRESS__)
#define LCK_COUNTED false
#else
#define LCK_COUNTED true
#endif

static long vmlck_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static void test_keep_use_wipe(void **state)
{
	struct p11_keep *k = NULL;
	char buf[P11_KEEP_PIN_MAX + 1];
	size_t len = 0;
	long lck0 = vmlck_kb();
	(void)state;

	assert_int_equal(p11_keep_use(&k, 0, 0, buf, sizeof(buf), &len), P11_KEEP_NONE);
	assert_true(p11_keep_set(&k, "12345", 5));
	assert_true(p11_keep_held(&k));
	assert_true(LCK_COUNTED ? vmlck_kb() > lck0 : vmlck_kb() == lck0);
	assert_int_equal(p11_keep_use(&k, 0, 0, buf, sizeof(buf), &len), P11_KEEP_OK);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "12345");
	/* keeping again replaces: one PIN per slot */
	assert_true(p11_keep_set(&k, "987654", 6));
	assert_int_equal(p11_keep_use(&k, 0, 0, buf, sizeof(buf), &len), P11_KEEP_OK);
	assert_string_equal(buf, "987654");
	p11_keep_wipe(&k);
	assert_null(k);
	assert_false(p11_keep_held(&k));
	assert_int_equal(vmlck_kb(), lck0);
	p11_keep_wipe(&k); /* twice is fine */
	/* a PIN too long, a NULL PIN: nothing kept */
	assert_false(p11_keep_set(&k, "12345", P11_KEEP_PIN_MAX + 1));
	assert_false(p11_keep_set(&k, NULL, 0));
	assert_null(k);
	/* a buffer too small: nothing copied */
	assert_true(p11_keep_set(&k, "12345", 5));
	assert_int_equal(p11_keep_use(&k, 0, 0, buf, 5, &len), P11_KEEP_NONE);
	p11_keep_wipe(&k);
}

/* The wipe clears the bytes before the page goes: watch them through a
 * second mapping is not possible, so wipe's first half is checked alone. */
static void test_unmap_clears(void **state)
{
	struct p11_keep *k = keep_map("12345", 5);
	(void)state;

	assert_non_null(k);
	size_t map_len = k->map_len;
	OPENSSL_cleanse(k, map_len);
	for (size_t i = 0; i < map_len; i++)
		assert_int_equal(((unsigned char *)k)[i], 0);
	munlock(k, map_len);
	munmap(k, map_len);
}

static void test_bounds(void **state)
{
	struct p11_keep *k = NULL;
	char buf[P11_KEEP_PIN_MAX + 1];
	size_t len = 0;
	(void)state;

	assert_true(p11_keep_set(&k, "12345", 5));
	for (int i = 0; i < 3; i++)
		assert_int_equal(p11_keep_use(&k, 3, 0, buf, sizeof(buf), &len), P11_KEEP_OK);
	assert_int_equal(p11_keep_use(&k, 3, 0, buf, sizeof(buf), &len), P11_KEEP_EXPIRED);
	assert_null(k);
	assert_true(p11_keep_set(&k, "12345", 5));
	k->last -= 10; /* ten seconds idle */
	assert_int_equal(p11_keep_use(&k, 0, 60, buf, sizeof(buf), &len), P11_KEEP_OK);
	k->last -= 61;
	assert_int_equal(p11_keep_use(&k, 0, 60, buf, sizeof(buf), &len), P11_KEEP_EXPIRED);
	assert_null(k);
}

/* C_SetPIN: the new PIN replaces the kept one and the bounds run on; a
 * replace with none kept keeps nothing. A copy neither counts nor checks. */
static void test_replace_copy(void **state)
{
	struct p11_keep *k = NULL;
	char buf[P11_KEEP_PIN_MAX + 1];
	size_t len = 0;
	long lck0 = vmlck_kb();
	(void)state;

	assert_false(p11_keep_replace(&k, "54321", 5));
	assert_null(k);
	assert_int_equal(vmlck_kb(), lck0);
	assert_false(p11_keep_copy(&k, buf, sizeof(buf), &len));
	assert_true(p11_keep_set(&k, "12345", 5));
	for (int i = 0; i < 2; i++)
		assert_int_equal(p11_keep_use(&k, 3, 60, buf, sizeof(buf), &len), P11_KEEP_OK);
	k->last -= 50;
	assert_true(p11_keep_replace(&k, "654321", 6));
	/* the old page gone */
	assert_int_equal(vmlck_kb() - lck0, LCK_COUNTED ? (long)(k->map_len / 1024) : 0);
	/* a copy: the new PIN, not counted, no bound looked at */
	for (int i = 0; i < 5; i++) {
		assert_true(p11_keep_copy(&k, buf, sizeof(buf), &len));
		assert_int_equal(len, 6);
		assert_string_equal(buf, "654321");
	}
	assert_false(p11_keep_copy(&k, buf, 6, &len)); /* too small */
	/* the uses ran on: two before the change, so this is the third and last */
	assert_int_equal(p11_keep_use(&k, 3, 0, buf, sizeof(buf), &len), P11_KEEP_OK);
	assert_string_equal(buf, "654321");
	assert_int_equal(p11_keep_use(&k, 3, 0, buf, sizeof(buf), &len), P11_KEEP_EXPIRED);
	assert_null(k);
	assert_true(p11_keep_set(&k, "12345", 5));
	k->last -= 50;
	assert_true(p11_keep_replace(&k, "654321", 6));
	k->last -= 11; /* idle 50 s before the change, 11 s after: past 60 */
	assert_int_equal(p11_keep_use(&k, 0, 60, buf, sizeof(buf), &len), P11_KEEP_EXPIRED);
	/* a PIN too long to keep: the old one goes too */
	assert_true(p11_keep_set(&k, "12345", 5));
	assert_false(p11_keep_replace(&k, "12345", P11_KEEP_PIN_MAX + 1));
	assert_null(k);
	assert_int_equal(vmlck_kb(), lck0);
}

/* R46, R5: a forked child finds zeros where the parent keeps its PIN. */
static void test_fork_child_has_none(void **state)
{
	struct p11_keep *k = NULL;
	int st = 0;
	pid_t pid;
	(void)state;

	assert_true(p11_keep_set(&k, "12345", 5));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const unsigned char *b = (const unsigned char *)k;
		int nonzero = 0;

		for (size_t i = 0; i < sizeof(*k); i++)
			nonzero |= b[i];
		_exit(nonzero ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(k->pin, "12345"); /* the parent's is intact */
	p11_keep_wipe(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_keep_use_wipe),
	        cmocka_unit_test(test_unmap_clears),
	        cmocka_unit_test(test_bounds),
	        cmocka_unit_test(test_replace_copy),
	        cmocka_unit_test(test_fork_child_has_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
