/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis.conf (AKIS_CONF or /etc/akis-pkcs11/akis.conf): a few keys,
 * "key = value" lines, '#' comments.
 *   reader_filter = substring   only readers whose name contains it
 *   debug = apdu,pin,...        as AKIS_DEBUG
 *   log_file = /path            as AKIS_LOG
 *   cache = on|off              on-disk cache of public card data (R44)
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
};

/* Defaults, then the file if it exists. Never fails: a bad line is
 * ignored (and logged). */
void p11_config_load(struct p11_config *conf);
/* Parse the text of a configuration file into conf (tests). */
void p11_config_parse(struct p11_config *conf, const char *text, size_t len);
/* Does the reader pass the filter? */
bool p11_config_reader_ok(const struct p11_config *conf, const char *reader);

#endif
