/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Diagnostics (log/log.h, R38): categories from AKIS_DEBUG, output to
 * AKIS_LOG or stderr, nothing at all by default, never stdout.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048u
#define LOG_HEX_MAX  (3u * LOG_RAW_MAX + 8u)

/* Redacted by INS byte, whatever the CLA (docs/design.md "PINs"). */
static const uint8_t redacted_ins[] = {
        0x20, /* VERIFY, ISO 7816-4 §7.5.6 */
        0x24, /* CHANGE REFERENCE DATA, §7.5.7 */
        0x2C, /* RESET RETRY COUNTER, §7.5.10 */
};

static const struct {
	const char *name;
	unsigned bits;
} cat_names[] = {
        {"apdu", LOG_APDU}, {"pin", LOG_PIN},   {"p11", LOG_P11},
        {"obj", LOG_OBJ},   {"card", LOG_CARD}, {"all", LOG_ALL},
};

/* File-level state, guarded by `lock`; `cats` is also read atomically. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned cats;
static FILE *sink;         /* NULL = stderr */
static bool cats_from_env; /* AKIS_DEBUG set: configuration does not override */
static bool file_from_env; /* AKIS_LOG set: likewise */

unsigned log_parse_categories(const char *s)
{
	unsigned bits = 0;

	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, ", ;:");
		for (size_t i = 0; i < sizeof(cat_names) / sizeof(cat_names[0]); i++) {
			if (strlen(cat_names[i].name) == n &&
			    strncasecmp(s, cat_names[i].name, n) == 0)
				bits |= cat_names[i].bits;
		}
		s += n;
		s += strspn(s, ", ;:");
	}
	return bits;
}

/* Caller holds `lock`. */
static void set_file_locked(const char *path)
{
	FILE *f = fopen(path, "ae"); /* append, close-on-exec */

	if (f == NULL)
		return; /* keep the previous sink */
	if (sink != NULL)
		fclose(sink);
	sink = f;
}

static void init_from_env(void)
{
	const char *d = secure_getenv("AKIS_DEBUG");
	const char *f = secure_getenv("AKIS_LOG");

	pthread_mutex_lock(&lock);
	if (d != NULL) {
		cats_from_env = true;
		__atomic_store_n(&cats, log_parse_categories(d), __ATOMIC_RELEASE);
	}
	if (f != NULL && *f != '\0') {
		file_from_env = true;
		set_file_locked(f);
	}
	pthread_mutex_unlock(&lock);
}

void log_init(void)
{
	pthread_once(&init_once, init_from_env);
}

void log_configure(const char *categories, const char *file)
{
	log_init();
	pthread_mutex_lock(&lock);
	if (categories != NULL && !cats_from_env)
		__atomic_store_n(&cats, log_parse_categories(categories), __ATOMIC_RELEASE);
	if (file != NULL && *file != '\0' && !file_from_env)
		set_file_locked(file);
	pthread_mutex_unlock(&lock);
}

int log_enabled(enum log_cat cat)
{
	log_init();
	return (__atomic_load_n(&cats, __ATOMIC_ACQUIRE) & (unsigned)cat) != 0;
}

static const char *cat_name(enum log_cat cat)
{
	for (size_t i = 0; i < sizeof(cat_names) / sizeof(cat_names[0]); i++) {
		if (cat_names[i].bits == (unsigned)cat)
			return cat_names[i].name;
	}
	return "log";
}

void log_msg(enum log_cat cat, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (!log_enabled(cat))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	pthread_mutex_lock(&lock);
	FILE *f = sink != NULL ? sink : stderr;
	fprintf(f, "%02d:%02d:%02d.%03ld akis[%d:%d] %s: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
	        ts.tv_nsec / 1000000L, (int)getpid(), (int)gettid(), cat_name(cat), line);
	fflush(f);
	pthread_mutex_unlock(&lock);
}

/* The one hex-dump helper: "00 A4 04 0C", truncated with "..." to fit. */
char *log_hex(const uint8_t *p, size_t len, char *out, size_t cap)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t o = 0;

	if (out == NULL || cap == 0)
		return out;
	for (size_t i = 0; i < len && p != NULL; i++) {
		if (o + 3 + 5 > cap) { /* room for " XX" and " ...\0" */
			if (o + 5 <= cap) {
				memcpy(out + o, " ...", 4);
				o += 4;
			}
			break;
		}
		if (i > 0)
			out[o++] = ' ';
		out[o++] = digits[p[i] >> 4];
		out[o++] = digits[p[i] & 0x0Fu];
	}
	out[o < cap ? o : cap - 1] = '\0';
	return out;
}

static bool is_redacted(const uint8_t *cmd, size_t len)
{
	if (len <= 5) /* header, or header + Le: no data field */
		return false;
	for (size_t i = 0; i < sizeof(redacted_ins); i++) {
		if (cmd[1] == redacted_ins[i])
			return true;
	}
	return false;
}

/* Redacted form keeps the 4 header bytes only: Lc would give the PIN
 * length away. */
char *log_apdu_format(const uint8_t *cmd, size_t len, char *out, size_t cap)
{
	if (out == NULL || cap == 0)
		return out;
	if (cmd == NULL || !is_redacted(cmd, len))
		return log_hex(cmd, cmd != NULL ? len : 0, out, cap);
	log_hex(cmd, 4, out, cap);
	if (strlen(out) + 4 <= cap)
		strcat(out, " **");
	return out;
}

void log_apdu_cmd(const char *reader, const uint8_t *cmd, size_t len)
{
	char hex[LOG_HEX_MAX];

	if (!log_enabled(LOG_APDU))
		return;
	log_msg(LOG_APDU, "%s > %s", reader != NULL ? reader : "?",
	        log_apdu_format(cmd, len, hex, sizeof(hex)));
}

void log_apdu_resp(const char *reader, const uint8_t *resp, size_t len)
{
	char hex[LOG_HEX_MAX];

	if (!log_enabled(LOG_APDU))
		return;
	log_msg(LOG_APDU, "%s < %s", reader != NULL ? reader : "?",
	        log_hex(resp, len, hex, sizeof(hex)));
}
