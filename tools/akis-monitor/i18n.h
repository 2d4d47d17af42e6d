/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The monitor's own messages live in the "akis-monitor" catalogue; the
 * shared core's (warnings, purposes, errors) stay in "akis-tool", which
 * main.c makes the default domain.
 */
#ifndef AKIS_MONITOR_I18N_H
#define AKIS_MONITOR_I18N_H

#include <libintl.h>

/* akis-tool's tool.h defines _() for its own domain: a unit test that
 * includes both (tests/unit/test_monitor.c) gets the monitor's. */
#undef _
#undef N_
#define MON_DOMAIN   "akis-monitor"
#define _(s)         dgettext(MON_DOMAIN, s)
#define N_(s)        (s)
#define NG_(s, p, n) dngettext(MON_DOMAIN, s, p, (unsigned long)(n))

/* The one place of the version (akis-monitor.mk reads it for the .pot). */
#define AKIS_MONITOR_VERSION "0.1.0"

#endif
