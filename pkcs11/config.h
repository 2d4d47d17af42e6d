/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis.conf (AKIS_CONF or /etc/akis-pkcs11/akis.conf): a few keys,
 * "key = value" lines, '#' comments.
 *   reader_filter = substring   only readers whose name contains it
 *   debug = apdu,pin,...        as AKIS_DEBUG
 *   log_file = /path            as AKIS_LOG
 *   cache = on|off              on-disk cache of public card data (R44)
 *   pin_per_signature = card|login          R46 (default card: R20)
 *   pin_per_signature.PROGRAM = card|login  for the executable named PROGRAM
 *   pin_per_signature_max_signatures = N    login mode: log out after N (0: no bound)
 *   pin_per_signature_idle = SECONDS        login mode: log out after so long unused
 * The environment variable AKIS_PIN_PER_SIGNATURE wins over the file.
 */
#ifndef AKIS_PKCS11_CONFIG_H
#define AKIS_PKCS11_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define P11_CONF_STR_MAX 256u

struct p11_config {
	char reader_filter[P11_CONF_STR_MAX]; /* "" = all readers */
	char debug[P11_CONF_STR_MAX];
	char log_file[P11_CONF_STR_MAX];
	bool cache;
	char cache_dir[P11_CONF_STR_MAX]; /* "" when no usable directory */
	/* R46: keep the user's PIN for keys that want one per signature */
	bool pin_login;
	bool pin_login_by_program;           /* a pin_per_signature.PROGRAM line decided it */
	const char *pin_login_source;        /* "default", "file", "program", "environment" */
	unsigned long pin_max_sigs;          /* 0: no bound */
	unsigned long pin_idle_s;            /* 0: no bound */
	char program[P11_CONF_STR_MAX];      /* basename of the running executable */
	char pps_programs[P11_CONF_STR_MAX]; /* "java=login keytool=login" as read */
	bool pps_general_login;              /* the general line alone (akis-tool reports it) */
};

/* Defaults, then the file if it exists. Never fails: a bad line is
 * ignored (and logged). */
void p11_config_load(struct p11_config *conf);
/* The defaults alone (tests): cache on, policy card. */
void p11_config_defaults(struct p11_config *conf);
/* Parse the text of a configuration file into conf (tests). */
void p11_config_parse(struct p11_config *conf, const char *text, size_t len);
/* Does the reader pass the filter? */
bool p11_config_reader_ok(const struct p11_config *conf, const char *reader);

#endif
