/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where the user's programs look for PKCS#11 modules (issue 11), for
 * `akis-tool setup` and `akis-tool doctor`: the NSS databases of every
 * Firefox and Thunderbird profile (profiles.ini) and of Chromium/Chrome
 * (~/.pki/nssdb), their module lists (pkcs11.txt, NSS's text format of sql:
 * databases), and p11-kit's module files. No card, no PC/SC.
 */
#ifndef AKIS_TOOL_BROWSERS_H
#define AKIS_TOOL_BROWSERS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "tool.h"

enum tool_app { TOOL_APP_FIREFOX, TOOL_APP_THUNDERBIRD, TOOL_APP_CHROMIUM };

struct tool_nssdb {
	enum tool_app app;
	char dir[PATH_MAX];
	char profile[128]; /* profiles.ini Name=, or "nssdb" */
	bool exists;       /* pkcs11.txt is there (an sql: database) */
	bool in_use;       /* the program holds the profile's lock now */
};

#define TOOL_NSSDB_MAX 32u
/* The name the module is registered under. */
#define TOOL_NSS_NAME "AKIS"

/* What one database's pkcs11.txt loads. */
struct tool_nss_reg {
	int ours;      /* entries whose library is this module (any path to it) */
	int proxy;     /* p11-kit-proxy.so entries */
	int closed;    /* a libakisp11.so that is not this module */
	int opensc;    /* opensc-pkcs11.so */
	bool open_end; /* the last entry lacks its empty line (NSS would drop it) */
};

/* "Firefox" / "Thunderbird" / "Chromium/Chrome". */
const char *tool_app_name(enum tool_app a);

/* Every profile database under $HOME; returns the count (at most cap). */
size_t tool_nssdbs_find(const char *home, struct tool_nssdb *out, size_t cap);

/* Read dir/pkcs11.txt. false: no such file. */
bool tool_nssdb_scan(const char *dir, const char *module, struct tool_nss_reg *r) TOOL_WUR;

/* Append / remove this module's entry in dir/pkcs11.txt (temp + rename).
 * Remove takes out only entries named TOOL_NSS_NAME whose library is
 * `module`. 0, or -1 with errno. */
int tool_nssdb_add(const char *dir, const char *module) TOOL_WUR;
int tool_nssdb_remove(const char *dir, const char *module) TOOL_WUR;
/* dir/pkcs11.txt ends with an empty line (appended if not), as NSS needs
 * to keep the last entry when it rewrites the file: 1 appended, 0 already
 * so, -1 error (errno). */
int tool_nssdb_heal(const char *dir) TOOL_WUR;

/* Do the two paths name the same file (after symlinks)? */
bool tool_same_file(const char *a, const char *b);

/* The installed module: `want` if given, else the first that exists of
 * /usr/lib/<multiarch>/pkcs11 and /usr/local/lib/<multiarch>/pkcs11.
 * NULL when none is found. */
const char *tool_module_path(const char *want);

/* A p11-kit module file (out: its path) that loads `module`, or that loads
 * a library named `base` when module is NULL: in p11-kit's system
 * directories and, for a user other than root, in the user's own. */
bool tool_p11kit_loads(const char *module, const char *base, char *out, size_t cap);

/* The home directory ($HOME, else the password database). */
const char *tool_home(void);

#endif
