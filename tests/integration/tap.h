/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The output of the C test programs under tests/integration/: one line per
 * check, "ok   - TAG..." or "FAIL - TAG...", and at the end tap_summary()'s
 * "N passed, N failed", which tests/run-all adds up. Header-only: each
 * program is one translation unit.
 */
#ifndef AKIS_TESTS_TAP_H
#define AKIS_TESTS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tap_passed, tap_failed;
static const char *tap_tag = ""; /* printed after "ok - ", e.g. "akis-2: " */

__attribute__((format(printf, 2, 3), unused)) static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf(ok ? "ok   - %s" : "FAIL - %s", tap_tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		tap_passed++;
	else
		tap_failed++;
}

/* Prints the summary line; the exit status for main. */
__attribute__((unused)) static int tap_summary(void)
{
	printf("%d passed, %d failed\n", tap_passed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
