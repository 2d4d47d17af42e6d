/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Browser profiles and NSS module lists (browsers.h). pkcs11.txt is NSS's
 * module database of sql: databases: blocks of key=value lines separated
 * by an empty line, one block per module, `library=` its path (empty for
 * NSS's internal module) and `name=` its name. NSS reads it when the
 * program starts and rewrites it when a module is added from the program,
 * so it is edited only while the program does not hold the profile.
 */
#include "browsers.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TOOL_MULTIARCH
#define TOOL_MULTIARCH "x86_64-linux-gnu"
#endif
#ifndef TOOL_P11DIR
#define TOOL_P11DIR "/usr/lib/" TOOL_MULTIARCH "/pkcs11"
#endif

#define NSS_FILE_MAX (256u * 1024u)

/* snprintf for paths: false (and an empty string) when it does not fit. */
static bool fmt_path(char *out, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static bool fmt_path(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < cap)
		return true;
	out[0] = '\0';
	return false;
}

const char *tool_app_name(enum tool_app a)
{
	switch (a) {
	case TOOL_APP_FIREFOX:
		return "Firefox";
	case TOOL_APP_THUNDERBIRD:
		return "Thunderbird";
	case TOOL_APP_CHROMIUM:
		return "Chromium/Chrome";
	}
	return "?";
}

const char *tool_home(void)
{
	const char *h = getenv("HOME");
	if (h != NULL && h[0] != '\0')
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_dir : "/";
}

bool tool_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

const char *tool_module_path(const char *want)
{
	static const char *const cand[] = {
	        TOOL_P11DIR "/akis-pkcs11.so",
	        "/usr/lib/" TOOL_MULTIARCH "/pkcs11/akis-pkcs11.so",
	        "/usr/local/lib/" TOOL_MULTIARCH "/pkcs11/akis-pkcs11.so",
	};
	if (want != NULL)
		return want;
	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++)
		if (exists(cand[i]))
			return cand[i];
	return NULL;
}

/* Firefox and Thunderbird write a `lock` symlink "IP:+PID" while they run. */
static bool profile_in_use(const char *dir)
{
	char path[PATH_MAX + 8], target[128];
	fmt_path(path, sizeof(path), "%s/lock", dir);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	const char *plus = strrchr(target, '+');
	long pid = plus != NULL ? strtol(plus + 1, NULL, 10) : 0;
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static void add_db(struct tool_nssdb *out, size_t cap, size_t *n, enum tool_app app,
                   const char *dir, const char *profile)
{
	char p[PATH_MAX + 16];
	for (size_t i = 0; i < *n; i++)
		if (tool_same_file(out[i].dir, dir))
			return;
	if (*n >= cap)
		return;
	struct tool_nssdb *d = &out[(*n)++];
	memset(d, 0, sizeof(*d));
	d->app = app;
	fmt_path(d->dir, sizeof(d->dir), "%s", dir);
	fmt_path(d->profile, sizeof(d->profile), "%s", profile);
	fmt_path(p, sizeof(p), "%s/pkcs11.txt", dir);
	d->exists = exists(p);
	d->in_use = app != TOOL_APP_CHROMIUM && profile_in_use(dir);
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* One profiles.ini: every [Profile*] section with a Path that exists. */
static void read_ini(const char *base, enum tool_app app, struct tool_nssdb *out, size_t cap,
                     size_t *n)
{
	char ini[PATH_MAX], line[PATH_MAX], path[PATH_MAX] = "", name[128] = "";
	char dir[PATH_MAX * 2 + 2];
	bool in_profile = false, relative = true;
	fmt_path(ini, sizeof(ini), "%s/profiles.ini", base);
	FILE *f = fopen(ini, "r");
	if (f == NULL)
		return;
	for (bool more = true; more;) {
		more = fgets(line, sizeof(line), f) != NULL;
		trim(line);
		if (!more || line[0] == '[') {
			if (in_profile && path[0] != '\0') {
				fmt_path(dir, sizeof(dir), "%s%s%s", relative ? base : "",
				         relative ? "/" : "", path);
				if (exists(dir))
					add_db(out, cap, n, app, dir, name);
			}
			in_profile = more && strncmp(line, "[Profile", 8) == 0;
			path[0] = name[0] = '\0';
			relative = true;
		} else if (strncmp(line, "Path=", 5) == 0) {
			fmt_path(path, sizeof(path), "%s", line + 5);
		} else if (strncmp(line, "Name=", 5) == 0) {
			fmt_path(name, sizeof(name), "%s", line + 5);
		} else if (strncmp(line, "IsRelative=", 11) == 0) {
			relative = line[11] != '0';
		}
	}
	fclose(f);
}

size_t tool_nssdbs_find(const char *home, struct tool_nssdb *out, size_t cap)
{
	static const struct {
		enum tool_app app;
		const char *sub;
	} bases[] = {
	        {TOOL_APP_FIREFOX, ".mozilla/firefox"},
	        {TOOL_APP_FIREFOX, ".config/mozilla/firefox"},
	        {TOOL_APP_THUNDERBIRD, ".thunderbird"},
	        {TOOL_APP_THUNDERBIRD, ".config/thunderbird"},
	};
	char base[PATH_MAX];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		fmt_path(base, sizeof(base), "%s/%s", home, bases[i].sub);
		read_ini(base, bases[i].app, out, cap, &n);
	}
	fmt_path(base, sizeof(base), "%s/.pki/nssdb", home);
	if (exists(base))
		add_db(out, cap, &n, TOOL_APP_CHROMIUM, base, "nssdb");
	return n;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s != NULL ? s + 1 : p;
}

/* Is `lib` (a library= value) this module? A relative name is looked up
 * in the PKCS#11 directory, as p11-kit does. */
static bool is_ours(const char *lib, const char *module)
{
	char p[PATH_MAX];
	if (lib[0] != '/') {
		fmt_path(p, sizeof(p), "%s/%s", TOOL_P11DIR, lib);
		lib = p;
	}
	return module != NULL && tool_same_file(lib, module);
}

static void count_lib(const char *lib, const char *module, struct tool_nss_reg *r)
{
	const char *b = base_name(lib);
	if (lib[0] == '\0')
		return;
	if (is_ours(lib, module))
		r->ours++;
	else if (strcmp(b, "p11-kit-proxy.so") == 0)
		r->proxy++;
	else if (strcmp(b, "libakisp11.so") == 0)
		r->closed++;
	else if (strcmp(b, "opensc-pkcs11.so") == 0)
		r->opensc++;
}

bool tool_nssdb_scan(const char *dir, const char *module, struct tool_nss_reg *r)
{
	char path[PATH_MAX + 16], line[PATH_MAX + 16];
	memset(r, 0, sizeof(*r));
	fmt_path(path, sizeof(path), "%s/pkcs11.txt", dir);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		trim(line);
		if (strncmp(line, "library=", 8) == 0)
			count_lib(line + 8, module, r);
	}
	char tail[2];
	r->open_end = fseek(f, -2, SEEK_END) == 0 && fread(tail, 1, 2, f) == 2 &&
	              !(tail[0] == '\n' && tail[1] == '\n');
	fclose(f);
	return true;
}

/* The whole file into a buffer (bounded). */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	if (f == NULL)
		return NULL;
	buf = malloc(NSS_FILE_MAX + 1);
	if (buf != NULL) {
		*len = fread(buf, 1, NSS_FILE_MAX, f);
		buf[*len] = '\0';
		if (!feof(f)) { /* larger than any real module list */
			free(buf);
			buf = NULL;
			errno = EFBIG;
		}
	}
	fclose(f);
	return buf;
}

/* Write `text` as dir/pkcs11.txt through a temporary file (mode kept). */
static int replace_file(const char *dir, const char *text, size_t len)
{
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	struct stat st;
	mode_t mode = 0600;
	fmt_path(path, sizeof(path), "%s/pkcs11.txt", dir);
	fmt_path(tmp, sizeof(tmp), "%s/pkcs11.txt.akis-tool", dir);
	if (stat(path, &st) == 0)
		mode = st.st_mode & 0777;
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	bool ok = fwrite(text, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (ok && chmod(tmp, mode) == 0 && rename(tmp, path) == 0)
		return 0;
	int e = errno;
	unlink(tmp);
	errno = e;
	return -1;
}

/* dir/pkcs11.txt with its last entry closed by an empty line, then
 * `entry` ("" to close only). Entries end with an empty line, as NSS writes
 * its own: NSS (modutil, a browser's "Load") rewrites the file when a module
 * is added or deleted and drops a last entry that has none. 1 written, 0
 * nothing to write, -1 error (errno). */
static int append_entry(const char *dir, const char *entry)
{
	char path[PATH_MAX + 16];
	size_t len = 0;
	fmt_path(path, sizeof(path), "%s/pkcs11.txt", dir);
	char *old = slurp(path, &len);
	if (old == NULL)
		return -1;
	bool nl = len == 0 || old[len - 1] == '\n';
	bool blank = len == 0 || (len == 1 && nl) || (nl && old[len - 2] == '\n');
	int rv = 0;
	if (entry[0] != '\0' || !blank) {
		size_t cap = len + strlen(entry) + 3;
		char *text = malloc(cap);
		int w = text != NULL ? snprintf(text, cap, "%s%s%s%s", old, nl ? "" : "\n",
		                                blank ? "" : "\n", entry)
		                     : -1;
		rv = w > 0 && (size_t)w < cap && replace_file(dir, text, (size_t)w) == 0 ? 1 : -1;
		free(text);
	}
	free(old);
	return rv;
}

int tool_nssdb_add(const char *dir, const char *module)
{
	char entry[PATH_MAX + 64];
	int w = snprintf(entry, sizeof(entry), "library=%s\nname=%s\n\n", module, TOOL_NSS_NAME);
	if (w < 0 || (size_t)w >= sizeof(entry)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return append_entry(dir, entry) > 0 ? 0 : -1;
}

int tool_nssdb_heal(const char *dir)
{
	/* the last entry without its empty line (written by an earlier
	 * akis-tool setup, or by hand) */
	return append_entry(dir, "");
}

/* Does the block starting at `b` (up to `e`) carry name=AKIS and library=module? */
static bool block_is_ours(const char *b, const char *e, const char *module)
{
	char line[PATH_MAX + 16];
	bool name = false, lib = false;
	while (b < e) {
		const char *nl = memchr(b, '\n', (size_t)(e - b));
		size_t n = (size_t)((nl != NULL ? nl : e) - b);
		fmt_path(line, sizeof(line), "%.*s", (int)n, b);
		trim(line);
		if (strcmp(line, "name=" TOOL_NSS_NAME) == 0)
			name = true;
		if (strncmp(line, "library=", 8) == 0 && strcmp(line + 8, module) == 0)
			lib = true;
		b += n + (nl != NULL);
	}
	return name && lib;
}

int tool_nssdb_remove(const char *dir, const char *module)
{
	char path[PATH_MAX + 16];
	size_t len = 0, o = 0;
	fmt_path(path, sizeof(path), "%s/pkcs11.txt", dir);
	char *old = slurp(path, &len);
	if (old == NULL)
		return -1;
	char *text = malloc(len + 1);
	int rv = -1;
	if (text != NULL) {
		const char *p = old, *end = old + len;
		while (p < end) { /* a block and the empty lines after it */
			const char *q = strstr(p, "\n\n");
			const char *be = q != NULL ? q + 1 : end;
			while (be < end && *be == '\n')
				be++;
			if (!block_is_ours(p, be, module)) {
				memcpy(text + o, p, (size_t)(be - p));
				o += (size_t)(be - p);
			}
			p = be;
		}
		rv = replace_file(dir, text, o);
	}
	free(text);
	free(old);
	return rv;
}

/* One .module file: its `module:` line loads `module` (or a library named base). */
static bool module_file_loads(const char *path, const char *module, const char *base)
{
	char line[PATH_MAX + 16];
	bool hit = false;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (!hit && fgets(line, sizeof(line), f) != NULL) {
		trim(line);
		if (strncmp(line, "module:", 7) != 0)
			continue;
		const char *v = line + 7;
		while (*v == ' ' || *v == '\t')
			v++;
		hit = module != NULL ? is_ours(v, module) : strcmp(base_name(v), base) == 0;
	}
	fclose(f);
	return hit;
}

/* p11-kit's own module files of the user: $XDG_CONFIG_HOME/pkcs11/modules,
 * else ~/.config/pkcs11/modules. p11-kit reads them for a user, never for
 * root. false when there is none to read. */
static bool user_modules_dir(char *out, size_t cap)
{
	const char *x = getenv("XDG_CONFIG_HOME");
	if (geteuid() == 0)
		return false;
	if (x != NULL && x[0] == '/')
		return fmt_path(out, cap, "%s/pkcs11/modules", x);
	return fmt_path(out, cap, "%s/.config/pkcs11/modules", tool_home());
}

#ifndef TOOL_P11KIT_CONF
#define TOOL_P11KIT_CONF "/etc/pkcs11/pkcs11.conf"
#endif

/* p11-kit's system setting user-config (pkcs11.conf(5)): "none" (the
 * user's files are not read), "merge" (the default), "only" (only the
 * user's files are read). */
enum p11kit_user { P11KIT_MERGE, P11KIT_NONE, P11KIT_ONLY };

static enum p11kit_user p11kit_user_config(void)
{
	char line[256];
	enum p11kit_user u = P11KIT_MERGE;
	FILE *f = fopen(TOOL_P11KIT_CONF, "r");
	if (f == NULL)
		return u;
	while (fgets(line, sizeof(line), f) != NULL) {
		trim(line);
		const char *v = line;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strncmp(v, "user-config", 11) != 0)
			continue;
		v += 11;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v++ != ':')
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		u = strcmp(v, "none") == 0   ? P11KIT_NONE
		    : strcmp(v, "only") == 0 ? P11KIT_ONLY
		                             : P11KIT_MERGE;
	}
	fclose(f);
	return u;
}

bool tool_p11kit_loads(const char *module, const char *base, char *out, size_t cap)
{
	char user[PATH_MAX];
	enum p11kit_user u = p11kit_user_config();
	bool sys = u != P11KIT_ONLY;
	bool usr = u != P11KIT_NONE && user_modules_dir(user, sizeof(user));
	const char *const dirs[] = {sys ? "/usr/share/p11-kit/modules" : NULL,
	                            sys ? "/etc/pkcs11/modules" : NULL, usr ? user : NULL};
	char path[PATH_MAX + 256];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *d = dirs[i] != NULL ? opendir(dirs[i]) : NULL;
		struct dirent *e;
		while (d != NULL && (e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name);
			if (l < 8 || strcmp(e->d_name + l - 7, ".module") != 0)
				continue;
			fmt_path(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
			if (module_file_loads(path, module, base)) {
				fmt_path(out, cap, "%s", path);
				closedir(d);
				return true;
			}
		}
		if (d != NULL)
			closedir(d);
	}
	return false;
}
