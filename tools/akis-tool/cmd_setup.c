/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup (issue 11): registers the module where the user's programs look —
 * every Firefox and Thunderbird profile, Chromium's and Chrome's
 * ~/.pki/nssdb, a SunPKCS11 configuration for Java — and, with --system
 * (root), Firefox's enterprise policy. What it did is written to a state
 * file, one line per change, and `setup --remove` undoes exactly those.
 * Never a second registration of the module in one database: loaded twice
 * (directly and through p11-kit-proxy) the same card appears twice and
 * Firefox fails to use it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "browsers.h"
#include "card.h"
#include "tool.h"

#define STATE_LINE_MAX (PATH_MAX * 2 + 32)

struct setup {
	const char *module;
	char state[PATH_MAX];
	FILE *log; /* the state file, opened for appending */
	int ex;
};

static void mkdirs(const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		(void)mkdir(p, 0700);
		*s = '/';
	}
	(void)mkdir(p, 0700);
}

static void state_path(struct setup *s, bool system)
{
	const char *x = getenv("XDG_STATE_HOME");
	if (system)
		snprintf(s->state, sizeof(s->state), "/var/lib/akis-tool/setup.state");
	else if (x != NULL && x[0] == '/')
		snprintf(s->state, sizeof(s->state), "%s/akis-tool/setup.state", x);
	else
		snprintf(s->state, sizeof(s->state), "%s/.local/state/akis-tool/setup.state",
		         tool_home());
}

static void record(struct setup *s, const char *kind, const char *path)
{
	if (s->log == NULL) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", s->state);
		*strrchr(dir, '/') = '\0';
		mkdirs(dir);
		s->log = fopen(s->state, "a");
	}
	if (s->log == NULL || fprintf(s->log, "%s\t%s\t%s\n", kind, path, s->module) < 0) {
		tool_err(_("cannot write %s: %s"), s->state, strerror(errno));
		s->ex = TOOL_EXIT_ERROR;
	}
}

/* Chromium creates ~/.pki/nssdb on its own; when it has not yet, and
 * Chromium or Chrome has been used, create it with NSS's modutil. */
static bool create_chromium_db(struct setup *s, char *dir, size_t cap)
{
	char cfg[PATH_MAX], cmd[PATH_MAX + 64];
	const char *home = tool_home();
	bool used = false;
	snprintf(cfg, sizeof(cfg), "%s/.config/chromium", home);
	used = access(cfg, F_OK) == 0;
	snprintf(cfg, sizeof(cfg), "%s/.config/google-chrome", home);
	used = used || access(cfg, F_OK) == 0;
	snprintf(dir, cap, "%s/.pki/nssdb", home);
	if (!used || access(dir, F_OK) == 0 || system("command -v modutil >/dev/null") != 0)
		return false;
	mkdirs(dir);
	snprintf(cmd, sizeof(cmd), "modutil -create -force -dbdir 'sql:%s' >/dev/null 2>&1", dir);
	if (system(cmd) != 0)
		return false;
	record(s, "nssdb-created", dir);
	printf(_("Created the NSS database of Chromium/Chrome: %s\n"), dir);
	return true;
}

static void register_db(struct setup *s, const struct tool_nssdb *db, bool proxy_ours)
{
	struct tool_nss_reg r;
	const char *app = tool_app_name(db->app);
	if (!db->exists) {
		printf(_("%s profile %s: no certificate database yet; start the program once, then "
		         "run akis-tool setup again\n"),
		       app, db->profile);
		return;
	}
	if (db->in_use) {
		tool_err(_("%s is running with profile %s: close it, then run akis-tool setup "
		           "again"),
		         app, db->profile);
		s->ex = TOOL_EXIT_ERROR;
		return;
	}
	if (!tool_nssdb_scan(db->dir, s->module, &r))
		return;
	if (r.ours > 0 || (r.proxy > 0 && proxy_ours)) {
		printf(_("%s profile %s: already registered\n"), app, db->profile);
		if (r.ours + (r.proxy > 0 && proxy_ours) > 1)
			printf("%s\n", _("  but loaded twice (see akis-tool doctor): the card "
			                 "appears twice "
			                 "and the browser fails to use it"));
		int h = r.ours > 0 ? tool_nssdb_heal(db->dir) : 0;
		if (h > 0)
			printf("%s\n",
			       _("  its entry now ends with an empty line (without it, the "
			         "browser would drop the module the next time it changes its "
			         "device list)"));
		else if (h < 0)
			tool_err(_("cannot repair %s/pkcs11.txt: %s"), db->dir, strerror(errno));
		return;
	}
	if (tool_nssdb_add(db->dir, s->module) != 0) {
		tool_err(_("cannot register the module in %s: %s"), db->dir, strerror(errno));
		s->ex = TOOL_EXIT_ERROR;
		return;
	}
	record(s, "nssdb", db->dir);
	printf(_("%s profile %s: registered (%s)\n"), app, db->profile, db->dir);
}

static void setup_java(struct setup *s)
{
	char path[PATH_MAX], want[PATH_MAX + 64], have[PATH_MAX + 64] = "";
	snprintf(path, sizeof(path), "%s/.config/akis-pkcs11/java-sunpkcs11.cfg", tool_home());
	snprintf(want, sizeof(want), "name = AKIS\nlibrary = %s\n", s->module);
	FILE *f = fopen(path, "r");
	if (f != NULL) {
		size_t n = fread(have, 1, sizeof(have) - 1, f);
		have[n] = '\0';
		fclose(f);
		printf(strcmp(have, want) == 0
		               ? _("Java: %s already there\n")
		               : _("Java: %s exists and is not ours: left as it is\n"),
		       path);
		return;
	}
	*strrchr(path, '/') = '\0';
	mkdirs(path);
	strcat(path, "/java-sunpkcs11.cfg");
	f = fopen(path, "w");
	if (f == NULL || fputs(want, f) < 0 || fclose(f) != 0) {
		tool_err(_("cannot write %s: %s"), path, strerror(errno));
		s->ex = TOOL_EXIT_ERROR;
		return;
	}
	record(s, "java", path);
	printf(_("Java (SunPKCS11): %s\n"), path);
}

static const char *policies_path(void)
{
	const char *p = getenv("AKIS_FIREFOX_POLICIES"); /* tests */
	return p != NULL && p[0] != '\0' ? p : "/etc/firefox/policies/policies.json";
}

static void setup_system(struct setup *s)
{
	const char *path = policies_path();
	char dir[PATH_MAX];
	if (access(path, F_OK) == 0) {
		printf(_("%s exists: it is left as it is. Add the module to it yourself, inside "
		         "\"policies\":\n"),
		       path);
		printf("  \"SecurityDevices\": { \"Add\": { \"%s\": \"%s\" } }\n", TOOL_NSS_NAME,
		       s->module);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	(void)chmod(dir, 0755);
	FILE *f = fopen(path, "w");
	if (f == NULL ||
	    fprintf(f,
	            "{ \"policies\": { \"SecurityDevices\": { \"Add\": { \"%s\": \"%s\" } } } }\n",
	            TOOL_NSS_NAME, s->module) < 0 ||
	    fclose(f) != 0 || chmod(path, 0644) != 0) {
		tool_err(_("cannot write %s: %s"), path, strerror(errno));
		s->ex = TOOL_EXIT_ERROR;
		return;
	}
	record(s, "policy", path);
	printf(_("Firefox enterprise policy: %s\n"), path);
}

/* Remove an NSS database that setup created (its three files, then the
 * directory and ~/.pki if empty). */
static void remove_created_db(const char *dir)
{
	static const char *const files[] = {"cert9.db", "key4.db", "pkcs11.txt"};
	char p[PATH_MAX + 16];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		(void)unlink(p);
	}
	(void)rmdir(dir);
	snprintf(p, sizeof(p), "%s", dir);
	*strrchr(p, '/') = '\0';
	(void)rmdir(p);
}

static void undo_line(struct setup *s, char *line)
{
	char *kind = strtok(line, "\t\n"), *path = strtok(NULL, "\t\n"),
	     *mod = strtok(NULL, "\t\n");
	if (kind == NULL || path == NULL || mod == NULL)
		return;
	int rc = 0;
	if (strcmp(kind, "nssdb") == 0)
		rc = access(path, F_OK) == 0 ? tool_nssdb_remove(path, mod) : 0;
	else if (strcmp(kind, "nssdb-created") == 0)
		remove_created_db(path);
	else if (strcmp(kind, "java") == 0 || strcmp(kind, "policy") == 0)
		rc = unlink(path) == 0 || errno == ENOENT ? 0 : -1;
	if (rc == 0 && strcmp(kind, "java") == 0) { /* the directory setup made, if empty */
		*strrchr(path, '/') = '\0';
		(void)rmdir(path);
	}
	if (rc != 0) {
		tool_err(_("cannot undo %s: %s"), path, strerror(errno));
		s->ex = TOOL_EXIT_ERROR;
	} else {
		printf(_("removed: %s\n"), path);
	}
}

/* Undo in reverse order (the entry before the database setup created). */
static int setup_remove(struct setup *s)
{
	char(*lines)[STATE_LINE_MAX] = calloc(256, STATE_LINE_MAX);
	size_t n = 0;
	FILE *f = fopen(s->state, "r");
	if (f == NULL || lines == NULL) {
		printf("%s\n",
		       _("Nothing to remove: akis-tool setup has not registered anything."));
		free(lines);
		if (f != NULL)
			fclose(f);
		return TOOL_EXIT_OK;
	}
	while (n < 256 && fgets(lines[n], STATE_LINE_MAX, f) != NULL)
		n++;
	fclose(f);
	while (n > 0)
		undo_line(s, lines[--n]);
	free(lines);
	if (s->ex == TOOL_EXIT_OK && unlink(s->state) == 0) {
		*strrchr(s->state, '/') = '\0';
		(void)rmdir(s->state);
	}
	return s->ex;
}

int cmd_setup(const struct tool_opts *o)
{
	struct setup s = {.ex = TOOL_EXIT_OK};
	struct tool_nssdb dbs[TOOL_NSSDB_MAX];
	char path[PATH_MAX];
	if (o->system && geteuid() != 0) {
		tool_err("%s", _("setup --system changes /etc: run it as root"));
		return TOOL_EXIT_USAGE;
	}
	state_path(&s, o->system);
	if (o->remove)
		return setup_remove(&s);
	s.module = tool_module_path(o->module);
	if (s.module == NULL || access(s.module, R_OK) != 0) {
		tool_err("%s", _("the akis-pkcs11 module is not installed "
		                 "(sudo apt install akis-pkcs11)"));
		return TOOL_EXIT_ERROR;
	}
	if (o->system) {
		setup_system(&s);
	} else {
		bool proxy_ours = tool_p11kit_loads(s.module, NULL, path, sizeof(path));
		(void)create_chromium_db(&s, path, sizeof(path));
		size_t n = tool_nssdbs_find(tool_home(), dbs, TOOL_NSSDB_MAX);
		if (n == 0)
			printf("%s\n", _("No Firefox, Thunderbird or Chromium profile found."));
		for (size_t i = 0; i < n; i++)
			register_db(&s, &dbs[i], proxy_ours);
		setup_java(&s);
	}
	if (s.log != NULL && fclose(s.log) != 0)
		s.ex = TOOL_EXIT_ERROR;
	return s.ex;
}
