/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log/log.c (R38): PIN redaction by INS byte, categories, AKIS_LOG file
 * output, silence by default, nothing on stdout, whole lines under threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../log/log.h"

static char log_path[] = "/tmp/akis-test-log-XXXXXX";
static const char *self_path; /* argv[0]: re-executed for the silent test */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;
	for (; *s; s++) {
		if (*s == ' ')
			continue;
		if (n >= cap || sscanf(s, "%2x", &v) != 1)
			fail_msg("bad hex in test");
		out[n++] = (uint8_t)v;
		s++;
	}
	return n;
}

static char *slurp(const char *path)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n = 0;
	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

struct red_case {
	const char *cmd;
	const char *want;
};

static void test_redaction_table(void **state)
{
	(void)state;
	static const struct red_case cases[] = {
	        {"00 20 00 81 05 31 32 33 34 35", "00 20 00 81 **"},
	        {"10 20 00 81 05 31 32 33 34 35", "10 20 00 81 **"},          /* chained part */
	        {"80 20 00 01 08 34 34 34 34 34 34 34 34", "80 20 00 01 **"}, /* any CLA */
	        {"00 24 01 81 0C 05 31 32 33 34 35 05 35 34 33 32 31", "00 24 01 81 **"},
	        {"00 24 00 81 0A 31 32 33 34 35 35 34 33 32 31", "00 24 00 81 **"},
	        {"00 2C 02 81 05 35 34 33 32 31", "00 2C 02 81 **"},
	        {"00 20 00 81", "00 20 00 81"},                   /* status query, no data */
	        {"00 A4 00 0C 02 3F 00", "00 A4 00 0C 02 3F 00"}, /* not redacted */
	        {"00 2A 9E 9A 03 31 32 33 00", "00 2A 9E 9A 03 31 32 33 00"},
	        {"00 22 41 B6 06 80 01 02 84 01 81", "00 22 41 B6 06 80 01 02 84 01 81"},
	        {"00 B0 00 00 F4", "00 B0 00 00 F4"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t cmd[64];
		char out[256];
		size_t n = unhex(cases[i].cmd, cmd, sizeof(cmd));
		log_apdu_format(cmd, n, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%s: got '%s' want '%s'", cases[i].cmd, out, cases[i].want);
	}
}

static void test_hex_truncation(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x3F, 0x00, 0x90, 0x00, 0x12};
	char out[32];

	assert_string_equal(log_hex(b, 4, out, sizeof(out)), "3F 00 90 00");
	assert_string_equal(log_hex(b, 5, out, 12), "3F 00 ...");
	assert_string_equal(log_hex(b, 5, out, 2), "");
	assert_string_equal(log_hex(b, 0, out, sizeof(out)), "");
	/* a redacted command in a tiny buffer still never shows the PIN */
	static const uint8_t v[] = {0x00, 0x20, 0x00, 0x81, 0x02, 0x31, 0x32};
	log_apdu_format(v, sizeof(v), out, 8);
	assert_null(strstr(out, "31"));
}

struct cat_case {
	const char *s;
	unsigned bits;
};

static void test_categories(void **state)
{
	(void)state;
	static const struct cat_case cases[] = {
	        {"apdu", LOG_APDU},
	        {"apdu,pin", LOG_APDU | LOG_PIN},
	        {"p11, obj", LOG_P11 | LOG_OBJ},
	        {"CARD", LOG_CARD},
	        {"all", LOG_ALL},
	        {"apdux,pi", 0},
	        {"", 0},
	        {",,apdu;;card", LOG_APDU | LOG_CARD},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned got = log_parse_categories(cases[i].s);
		if (got != cases[i].bits)
			fail_msg("'%s': %#x want %#x", cases[i].s, got, cases[i].bits);
	}
	assert_int_equal(log_parse_categories(NULL), 0);
}

/* main() set AKIS_DEBUG=apdu,pin and AKIS_LOG=log_path before any call. */
static void test_file_output(void **state)
{
	(void)state;
	uint8_t verify[16];
	size_t n = unhex("00 20 00 81 05 31 32 33 34 35", verify, sizeof(verify));
	static const uint8_t resp[] = {0x63, 0xC2};
	int saved = dup(1);
	char out_path[] = "/tmp/akis-test-stdout-XXXXXX";
	int fd = mkstemp(out_path);

	assert_true(saved >= 0 && fd >= 0);
	fflush(stdout);
	dup2(fd, 1);
	assert_true(log_enabled(LOG_APDU));
	assert_true(log_enabled(LOG_PIN));
	assert_false(log_enabled(LOG_P11));
	log_configure("all", NULL); /* environment wins */
	assert_false(log_enabled(LOG_P11));
	log_apdu_cmd("Virtual PCD 00 00", verify, n);
	log_apdu_resp("Virtual PCD 00 00", resp, sizeof(resp));
	log_msg(LOG_PIN, "tries left %d", 2);
	log_msg(LOG_P11, "must not appear");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);

	const char *txt = slurp(log_path);
	assert_non_null(strstr(txt, "Virtual PCD 00 00 > 00 20 00 81 **"));
	assert_non_null(strstr(txt, "Virtual PCD 00 00 < 63 C2"));
	assert_non_null(strstr(txt, "pin: tries left 2"));
	assert_null(strstr(txt, "31 32 33"));
	assert_null(strstr(txt, "must not appear"));
	assert_string_equal(slurp(out_path), ""); /* never stdout */
	close(fd);
	unlink(out_path);
}

#define THREADS 4
#define LINES   300

static void *writer(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < LINES; i++)
		log_msg(LOG_APDU, "thread-%ld line-%d END", id, i);
	return NULL;
}

static void test_threads_whole_lines(void **state)
{
	(void)state;
	pthread_t th[THREADS];
	int count = 0;

	assert_int_equal(truncate(log_path, 0), 0);
	for (long i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer, (void *)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	char *txt = slurp(log_path);
	for (char *line = strtok(txt, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strstr(line, "thread-") == NULL)
			continue;
		const char *end = strstr(line, " END");
		if (end == NULL || end[4] != '\0' || strstr(end + 1, "thread-") != NULL)
			fail_msg("mangled line: %s", line);
		count++;
	}
	assert_int_equal(count, THREADS * LINES);
}

/* Without AKIS_DEBUG nothing is printed anywhere (a fresh process). */
static void test_silent_by_default(void **state)
{
	(void)state;
	int p[2];
	char buf[256];
	ssize_t got;
	int status;

	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		unsetenv("AKIS_DEBUG");
		unsetenv("AKIS_LOG");
		execl(self_path, self_path, "--child", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	got = read(p[0], buf, sizeof(buf));
	close(p[0]);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(got, 0);
}

static int child_main(void)
{
	static const uint8_t v[] = {0x00, 0x20, 0x00, 0x81, 0x01, 0x31};
	log_msg(LOG_APDU, "apdu");
	log_msg(LOG_PIN, "pin");
	log_apdu_cmd("r", v, sizeof(v));
	log_apdu_resp("r", v, 2);
	return log_enabled(LOG_ALL) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--child") == 0)
		return child_main();
	self_path = argv[0];
	int fd = mkstemp(log_path);
	if (fd < 0)
		return 2;
	close(fd);
	setenv("AKIS_DEBUG", "apdu,pin", 1);
	setenv("AKIS_LOG", log_path, 1);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_redaction_table),
	        cmocka_unit_test(test_hex_truncation),
	        cmocka_unit_test(test_categories),
	        cmocka_unit_test(test_file_output),
	        cmocka_unit_test(test_threads_whole_lines),
	        cmocka_unit_test(test_silent_by_default),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(log_path);
	return rc;
}
