/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis-monitor: the desktop card monitor for card holders (issue 10,
 * R49-R51). Messages follow the locale; catalogues in $AKIS_LOCALEDIR
 * when set (tests run from the build tree), else LOCALEDIR.
 *
 * Test hooks (not for users): AKIS_MONITOR_TEST_DUMP=FILE writes the view
 * as JSON after every change; AKIS_MONITOR_TEST_CMD=FILE is read (then
 * removed) every 200 ms, one step a line, acting on the real widgets:
 * "open change-pin|change-puk|unblock READER-INDEX", a dialog step (see
 * mon_dialog_script), "export READER CERT der|pem PATH", "quit".
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialogs.h"
#include "i18n.h"
#include "window.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

static void on_snapshot(struct mon_snapshot *s, void *data)
{
	mon_window_update(data, s);
}

static void on_done(struct mon_job_done *d, void *data)
{
	mon_dialog_done(data, d);
}

static bool open_cmd(struct mon_app *a, const char *arg)
{
	static const struct {
		const char *name;
		enum mon_op op;
	} ops[] = {{"change-pin ", MON_OP_CHANGE_PIN},
	           {"change-puk ", MON_OP_CHANGE_PUK},
	           {"unblock ", MON_OP_UNBLOCK}};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].name);
		if (strncmp(arg, ops[i].name, n) == 0) {
			mon_dialog_open(a, ops[i].op, strtoul(arg + n, NULL, 10));
			return a->dialog != NULL;
		}
	}
	return false;
}

static bool run_cmd(struct mon_app *a, const char *line)
{
	unsigned long rd = 0, cert = 0;
	char kind[8], path[512];
	if (strncmp(line, "open ", 5) == 0)
		return open_cmd(a, line + 5);
	if (sscanf(line, "export %lu %lu %7s %511s", &rd, &cert, kind, path) == 4)
		return mon_window_export(a, rd, cert, strcmp(kind, "pem") == 0, path);
	if (strcmp(line, "quit") == 0) {
		g_application_quit(G_APPLICATION(a->app));
		return true;
	}
	return mon_dialog_script(a, line);
}

static gboolean poll_cmd(gpointer p)
{
	struct mon_app *a = p;
	const char *path = getenv("AKIS_MONITOR_TEST_CMD");
	gchar *text = NULL;
	if (path == NULL || !g_file_get_contents(path, &text, NULL, NULL))
		return G_SOURCE_CONTINUE;
	remove(path);
	gchar **lines = g_strsplit(text, "\n", -1);
	for (gchar **l = lines; *l != NULL; l++)
		if ((*l)[0] != '\0' && !run_cmd(a, *l))
			fprintf(stderr, "akis-monitor: test step refused: %.5s...\n", *l);
	/* the steps may carry secrets: wiped */
	explicit_bzero(text, strlen(text));
	for (gchar **l = lines; *l != NULL; l++)
		explicit_bzero(*l, strlen(*l));
	g_strfreev(lines);
	g_free(text);
	mon_app_dump(a);
	return G_SOURCE_CONTINUE;
}

static void on_activate(GtkApplication *app, gpointer p)
{
	struct mon_app *a = p;
	if (a->win != NULL) {
		gtk_window_present(GTK_WINDOW(a->win));
		return;
	}
	(void)app;
	mon_window_build(a);
	a->worker = mon_worker_start(on_snapshot, on_done, a);
	if (getenv("AKIS_MONITOR_TEST_CMD") != NULL)
		g_timeout_add(200, poll_cmd, a);
}

int main(int argc, char **argv)
{
	struct mon_app a;
	const char *dir = getenv("AKIS_LOCALEDIR");
	memset(&a, 0, sizeof(a));
	setlocale(LC_ALL, "");
	dir = dir != NULL && dir[0] != '\0' ? dir : LOCALEDIR;
	bindtextdomain("akis-tool", dir);
	bindtextdomain(MON_DOMAIN, dir);
	bind_textdomain_codeset("akis-tool", "UTF-8");
	bind_textdomain_codeset(MON_DOMAIN, "UTF-8");
	textdomain("akis-tool"); /* the shared core's messages */
	a.dump_path = getenv("AKIS_MONITOR_TEST_DUMP");
	a.notified = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	a.app = gtk_application_new("org.akis_pkcs11.Monitor", G_APPLICATION_NON_UNIQUE);
	g_set_application_name(_("AKİS Card Monitor"));
	g_signal_connect(a.app, "activate", G_CALLBACK(on_activate), &a);
	int status = g_application_run(G_APPLICATION(a.app), argc, argv);
	mon_worker_stop(a.worker);
	mon_snapshot_free(a.snap);
	g_hash_table_destroy(a.notified);
	g_object_unref(a.app);
	return status;
}
