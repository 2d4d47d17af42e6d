/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../log/log.h"

#define P11_CONF_DEFAULT  "/etc/akis-pkcs11/akis.conf"
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

static bool key_is(const char *kb, const char *ke, const char *key)
{
	size_t n = strlen(key);

	return (size_t)(ke - kb) == n && strncmp(kb, key, n) == 0;
}

/* "card" | "login" → *login; false for anything else (the line is ignored). */
static bool pps_value(const char *b, const char *e, bool *login)
{
	if (key_is(b, e, "login"))
		*login = true;
	else if (key_is(b, e, "card"))
		*login = false;
	else
		return false;
	return true;
}

static unsigned long num_value(const char *b, const char *e)
{
	char buf[24];
	size_t n = (size_t)(e - b);

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, b, n);
	buf[n] = '\0';
	return strspn(buf, "0123456789") == n ? strtoul(buf, NULL, 10) : 0;
}

/* "PROGRAM=login " appended to the list akis-tool shows (cut when full). */
static void pps_note_program(struct p11_config *conf, const char *b, const char *e, bool login)
{
	size_t used = strlen(conf->pps_programs), n = (size_t)(e - b);

	if (used + n + 8 >= sizeof(conf->pps_programs))
		return;
	snprintf(conf->pps_programs + used, sizeof(conf->pps_programs) - used, "%s%.*s=%s",
	         used ? " " : "", (int)n, b, login ? "login" : "card");
}

/* pin_per_signature and pin_per_signature.PROGRAM (R46): a line for this
 * program wins over the general one, whatever their order. */
static void pps_line(struct p11_config *conf, const char *kb, const char *ke, const char *vb,
                     const char *ve)
{
	static const char base[] = "pin_per_signature";
	size_t bl = sizeof(base) - 1;
	bool login;

	if (!pps_value(vb, ve, &login))
		return;
	if ((size_t)(ke - kb) == bl) {
		conf->pps_general_login = login;
		if (!conf->pin_login_by_program) {
			conf->pin_login = login;
			conf->pin_login_source = "file";
		}
		return;
	}
	pps_note_program(conf, kb + bl + 1, ke, login);
	if (conf->program[0] == '\0' || !key_is(kb + bl + 1, ke, conf->program))
		return;
	conf->pin_login = login;
	conf->pin_login_by_program = true;
	conf->pin_login_source = "program";
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
	else if (key_is(kb, ke, "pin_per_signature_max_signatures"))
		conf->pin_max_sigs = num_value(vb, ve);
	else if (key_is(kb, ke, "pin_per_signature_idle"))
		conf->pin_idle_s = num_value(vb, ve);
	else if (key_is(kb, ke, "pin_per_signature") ||
	         ((size_t)(ke - kb) > 18 && strncmp(kb, "pin_per_signature.", 18) == 0))
		pps_line(conf, kb, ke, vb, ve);
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

/* The running executable's name, for pin_per_signature.PROGRAM (R46):
 * /proc/self/exe, so that "java" is the JVM whatever link started it. */
static void program_name(struct p11_config *conf)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	const char *base = program_invocation_short_name;

	if (n > 0) {
		path[n] = '\0';
		base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	}
	set_str(conf->program, base, base + strlen(base));
}

void p11_config_defaults(struct p11_config *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->cache = true;
	conf->pin_login_source = "default";
}

/* AKIS_PIN_PER_SIGNATURE=card|login wins over the file (R46). */
static void pps_env(struct p11_config *conf)
{
	const char *v = secure_getenv("AKIS_PIN_PER_SIGNATURE");
	bool login;

	if (v == NULL || !pps_value(v, v + strlen(v), &login))
		return;
	conf->pin_login = login;
	conf->pin_login_source = "environment";
}

void p11_config_load(struct p11_config *conf)
{
	const char *path = getenv("AKIS_CONF");
	char *text;
	size_t len;
	FILE *f;

	p11_config_defaults(conf);
	cache_dir(conf);
	program_name(conf);
	f = fopen(path != NULL && path[0] ? path : P11_CONF_DEFAULT, "re");
	if (f != NULL) {
		text = malloc(P11_CONF_FILE_MAX);
		if (text != NULL) {
			len = fread(text, 1, P11_CONF_FILE_MAX, f);
			p11_config_parse(conf, text, len);
			free(text);
		}
		fclose(f);
	}
	pps_env(conf);
	if (conf->debug[0] || conf->log_file[0])
		log_configure(conf->debug[0] ? conf->debug : NULL,
		              conf->log_file[0] ? conf->log_file : NULL);
	log_msg(LOG_PIN, "per-signature PIN policy: %s (%s; program %s)",
	        conf->pin_login ? "login" : "card", conf->pin_login_source, conf->program);
}

bool p11_config_reader_ok(const struct p11_config *conf, const char *reader)
{
	return conf->reader_filter[0] == '\0' || strstr(reader, conf->reader_filter) != NULL;
}
