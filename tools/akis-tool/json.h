/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small streaming JSON writer (RFC 8259) for akis-tool's --json output.
 * Strings are escaped; bytes that are not valid UTF-8 become U+FFFD, so
 * whatever a card holds, the output parses.
 */
#ifndef AKIS_TOOL_JSON_H
#define AKIS_TOOL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16u

struct json {
	FILE *f;
	bool pretty;
	bool failed; /* nesting overflow / underflow */
	unsigned depth;
	bool first[JSON_DEPTH_MAX + 1]; /* nothing written yet at this level */
	bool after_key;                 /* a key was just written: no comma/newline */
};

void json_init(struct json *j, FILE *f, bool pretty);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t len);
void json_int(struct json *j, long long v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Bytes as upper-case hex string. */
void json_hex(struct json *j, const unsigned char *p, size_t len);

/* Key + value shorthands. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_kint(struct json *j, const char *key, long long v);
void json_kbool(struct json *j, const char *key, bool v);

/* Write s with JSON escaping (no quotes) to f. Exposed for tests. */
void json_escape(FILE *f, const char *s, size_t len);

/* Length of the valid UTF-8 sequence at p (1..4), 0 if invalid. */
size_t utf8_seq_len(const unsigned char *p, size_t avail);

#endif
