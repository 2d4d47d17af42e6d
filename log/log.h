/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Diagnostics (R38). AKIS_DEBUG selects categories ("apdu,pin,p11,obj",
 * "all"); AKIS_LOG names a file (default: stderr). Both are read once, at
 * the first log_init() call, and may also come from akis.conf through
 * log_configure(). Without them nothing is printed, ever.
 *
 * Its own place below every layer (apdu/, akis/, pkcs11/, the tools), since
 * each of them logs and calls only go down; the categories name the
 * layers, the module does not own them (docs/design.md "Layers").
 */
#ifndef AKIS_LOG_LOG_H
#define AKIS_LOG_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_cat {
	LOG_APDU = 1u << 0, /* every raw command / response (redacted) */
	LOG_PIN = 1u << 1,  /* PIN decisions (never PIN values) */
	LOG_P11 = 1u << 2,  /* PKCS#11 decisions: slots, sessions, login state */
	LOG_OBJ = 1u << 3,  /* token binding, object directory, cache */
	LOG_CARD = 1u << 4, /* card profile decisions: ATR, SW mapping */
	LOG_ALL = 0xffu,
};

/* Read AKIS_DEBUG / AKIS_LOG once (thread-safe, idempotent). */
void log_init(void);
/* Override from configuration: categories string and file path (NULL = keep).
 * The environment wins: a value set by AKIS_DEBUG / AKIS_LOG is kept. */
void log_configure(const char *categories, const char *file);
/* "apdu,pin" → LOG_APDU|LOG_PIN; separators , ; : space; unknown names
 * ignored; case-insensitive. */
unsigned log_parse_categories(const char *s);
/* Is the category on? Cheap; use before formatting big dumps. */
int log_enabled(enum log_cat cat);
void log_msg(enum log_cat cat, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Longest raw command or response traced in full: a short APDU, 5 header
 * bytes, 255 data bytes and Le (apdu/apdu.c checks APDU_RAW_MAX against it). */
#define LOG_RAW_MAX 261u

/*
 * Trace one raw exchange. The data field of VERIFY (INS 20), CHANGE
 * REFERENCE DATA (24) and RESET RETRY COUNTER (2C) is replaced by "**"
 * (so are those INS with CLA chaining bit set), by INS byte, whoever the
 * caller is.
 */
void log_apdu_cmd(const char *reader, const uint8_t *cmd, size_t len);
void log_apdu_resp(const char *reader, const uint8_t *resp, size_t len);

/* Format cmd as hex with redaction into out (for tests and the vcard-free
 * trace); returns out. A redacted command keeps its 4 header bytes only
 * ("00 20 00 81 **"): Lc would give the PIN length away. */
char *log_apdu_format(const uint8_t *cmd, size_t len, char *out, size_t cap);

/* The one hex-dump helper, no redaction: "3F 00 90 00", cut with "..." when
 * out is too small; always NUL-terminated (cap > 0); returns out. */
char *log_hex(const uint8_t *p, size_t len, char *out, size_t cap);

#endif
