/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../apdu/log.h"

#define P11_CONF_DEFAULT "/etc/akis-pkcs11/akis.conf"
#define P11_CONF_FILE_MAX 16384u

static void trim(const char **b, const char **e)
{
	while (*b < *e && (**b == ' ' || **b == '\t' || **b == '\r'))
		(*b)++;
	while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
		(*e)--;
}

static void set_str(char *dst, const char *b, const char *e)
{
	size_t n = (size_t)(e - b);

	if (n >= P11_CONF_STR_MAX)
		n = P11_CONF_STR_MAX - 1;
	memcpy(dst, b, n);
	dst[n] = '\0';
}

static bool on_value(const char *b, const char *e)
{
	size_t n = (size_t)(e - b);

	return (n == 2 && strncmp(b, "on", 2) == 0) || (n == 3 && strncmp(b, "yes", 3) == 0) ||
	       (n == 4 && strncmp(b, "true", 4) == 0) || (n == 1 && *b == '1');
}

/* One "key = value" line; anything else is ignored. */
static void parse_line(struct p11_config *conf, const char *b, const char *e)
{
	const char *eq = memchr(b, '=', (size_t)(e - b)), *kb = b, *ke, *vb, *ve = e;

	if (eq == NULL)
		return;
	ke = eq;
	vb = eq + 1;
	trim(&kb, &ke);
	trim(&vb, &ve);
	if ((size_t)(ke - kb) == 13 && strncmp(kb, "reader_filter", 13) == 0)
		set_str(conf->reader_filter, vb, ve);
	else if ((size_t)(ke - kb) == 5 && strncmp(kb, "debug", 5) == 0)
		set_str(conf->debug, vb, ve);
	else if ((size_t)(ke - kb) == 8 && strncmp(kb, "log_file", 8) == 0)
		set_str(conf->log_file, vb, ve);
	else if ((size_t)(ke - kb) == 5 && strncmp(kb, "cache", 5) == 0)
		conf->cache = on_value(vb, ve);
}

void p11_config_parse(struct p11_config *conf, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl, *hash;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		hash = memchr(p, '#', (size_t)(nl - p));
		parse_line(conf, p, hash != NULL ? hash : nl);
		p = nl + 1;
	}
}

static void cache_dir(struct p11_config *conf)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n = -1;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(conf->cache_dir, sizeof(conf->cache_dir), "%s/akis-pkcs11", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(conf->cache_dir, sizeof(conf->cache_dir), "%s/.cache/akis-pkcs11",
			     home);
	if (n < 0 || (size_t)n >= sizeof(conf->cache_dir))
		conf->cache_dir[0] = '\0';
}

void p11_config_load(struct p11_config *conf)
{
	const char *path = getenv("AKIS_CONF");
	char *text;
	size_t len;
	FILE *f;

	memset(conf, 0, sizeof(*conf));
	conf->cache = true;
	cache_dir(conf);
	f = fopen(path != NULL && path[0] ? path : P11_CONF_DEFAULT, "re");
	if (f == NULL)
		return;
	text = malloc(P11_CONF_FILE_MAX);
	if (text != NULL) {
		len = fread(text, 1, P11_CONF_FILE_MAX, f);
		p11_config_parse(conf, text, len);
		free(text);
	}
	fclose(f);
	if (conf->debug[0] || conf->log_file[0])
		log_configure(conf->debug[0] ? conf->debug : NULL,
			      conf->log_file[0] ? conf->log_file : NULL);
}

bool p11_config_reader_ok(const struct p11_config *conf, const char *reader)
{
	return conf->reader_filter[0] == '\0' || strstr(reader, conf->reader_filter) != NULL;
}
