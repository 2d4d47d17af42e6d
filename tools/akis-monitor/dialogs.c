/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PIN dialogs (R41): change PIN, unblock with the PUK (tries shown
 * first, explicit confirmation), change PUK. Entries never echo
 * (GtkPasswordEntry keeps its text in non-pageable memory and wipes it);
 * the copies handed to the card thread are wiped there after use. Nothing
 * here logs a secret.
 */
#include <string.h>

#include "i18n.h"
#include "dialogs.h"

struct mon_dialog {
	struct mon_app *a;
	enum mon_op op;
	char reader[AKIS_READER_NAME_MAX];
	GtkWidget *win, *cur, *nw, *again, *confirm, *ok, *cancel, *status;
	bool busy;
};

static const char *const kinds[] = {
        [MON_OP_CHANGE_PIN] = "change-pin",
        [MON_OP_CHANGE_PUK] = "change-puk",
        [MON_OP_UNBLOCK] = "unblock",
};

static GtkWidget *secret_row(GtkWidget *grid, int row, const char *text)
{
	GtkWidget *l = gtk_label_new(text);
	gtk_label_set_xalign(GTK_LABEL(l), 0.0f);
	GtkWidget *e = gtk_password_entry_new();
	gtk_password_entry_set_show_peek_icon(GTK_PASSWORD_ENTRY(e), FALSE);
	gtk_widget_set_hexpand(e, TRUE);
	gtk_accessible_update_relation(GTK_ACCESSIBLE(e), GTK_ACCESSIBLE_RELATION_LABELLED_BY, l,
	                               NULL, -1);
	gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), e, 1, row, 1, 1);
	return e;
}

static void set_status(struct mon_dialog *d, const char *text)
{
	gtk_label_set_text(GTK_LABEL(d->status), text);
}

static void update_ok(struct mon_dialog *d)
{
	bool confirmed =
	        d->confirm == NULL || gtk_check_button_get_active(GTK_CHECK_BUTTON(d->confirm));
	gtk_widget_set_sensitive(d->ok, !d->busy && confirmed);
}

static void on_confirm_toggled(GtkCheckButton *b, gpointer p)
{
	(void)b;
	update_ok(p);
}

static void dialog_free(struct mon_dialog *d)
{
	if (d->a->dialog == d)
		d->a->dialog = NULL;
	d->a->dialog_kind = NULL;
	g_free(d);
}

static gboolean on_close_request(GtkWindow *w, gpointer p)
{
	(void)w;
	struct mon_dialog *d = p;
	struct mon_app *a = d->a;
	dialog_free(d);
	mon_app_dump(a);
	return FALSE;
}

static void on_cancel(GtkButton *b, gpointer p)
{
	(void)b;
	struct mon_dialog *d = p;
	struct mon_app *a = d->a;
	gtk_window_destroy(GTK_WINDOW(d->win)); /* close-request is not emitted */
	dialog_free(d);
	mon_app_dump(a);
}

/* Copy an entry's text into a fixed buffer; false when too long. */
static bool take(GtkWidget *e, char *out, size_t cap, size_t *len)
{
	const char *t = gtk_editable_get_text(GTK_EDITABLE(e));
	size_t n = strnlen(t, cap);
	if (n >= cap)
		return false;
	memcpy(out, t, n);
	out[n] = '\0';
	*len = n;
	return true;
}

static void show_result(struct mon_dialog *d, const struct mon_op_result *res,
                        const struct tool_report *r)
{
	struct mon_app *a = d->a;
	mon_op_result_text(res, r, a->result_text, sizeof(a->result_text));
	a->result_code = mon_op_result_code(res);
	set_status(d, a->result_text);
}

static void on_ok(GtkButton *b, gpointer p)
{
	(void)b;
	struct mon_dialog *d = p;
	struct mon_job *job = g_new0(struct mon_job, 1);
	char again[AKIS_PIN_MAX + 1];
	size_t again_len = 0;
	job->op = d->op;
	snprintf(job->reader, sizeof(job->reader), "%s", d->reader);
	bool ok = take(d->cur, job->cur, sizeof(job->cur), &job->cur_len) &&
	          take(d->nw, job->nw, sizeof(job->nw), &job->nw_len) &&
	          take(d->again, again, sizeof(again), &again_len);
	bool same = ok && again_len == job->nw_len && memcmp(again, job->nw, again_len) == 0;
	explicit_bzero(again, sizeof(again));
	gtk_editable_set_text(GTK_EDITABLE(d->cur), "");
	gtk_editable_set_text(GTK_EDITABLE(d->nw), "");
	gtk_editable_set_text(GTK_EDITABLE(d->again), "");
	if (!same) {
		struct mon_op_result res = {.op = d->op, .rv = AKIS_ERR_PIN_LEN, .tries = -1};
		res.entries_differ = ok;
		explicit_bzero(job, sizeof(*job));
		g_free(job);
		show_result(d, &res, NULL);
		mon_app_dump(d->a);
		return;
	}
	d->busy = true;
	update_ok(d);
	set_status(d, _("Talking to the card…"));
	mon_worker_submit(d->a->worker, job); /* wiped and freed by the card thread */
}

void mon_dialog_done(struct mon_app *a, struct mon_job_done *done)
{
	struct mon_dialog *d = a->dialog;
	if (d != NULL && d->op == done->res.op) {
		d->busy = false;
		show_result(d, &done->res, done->r);
		if (done->res.rv == AKIS_OK) {
			gtk_widget_set_visible(d->ok, FALSE);
			gtk_button_set_label(GTK_BUTTON(d->cancel), _("Close"));
		}
		update_ok(d);
	} else {
		mon_op_result_text(&done->res, done->r, a->result_text, sizeof(a->result_text));
		a->result_code = mon_op_result_code(&done->res);
	}
	free(done->r);
	free(done);
	mon_app_dump(a);
}

/* What the holder reads before typing anything. */
static void intro(const struct tool_report *r, enum mon_op op, char *out, size_t cap)
{
	const struct tool_pin_state *s = op == MON_OP_CHANGE_PIN ? &r->pin : &r->puk;
	int t = s->known ? s->tries_left : -1;
	if (op == MON_OP_UNBLOCK)
		snprintf(
		        out, cap,
		        NG_("PUK tries left: %d. Every wrong PUK uses up a try; when none are left "
		            "(three wrong PUKs on a new card), the card is unusable for good and "
		            "must "
		            "be replaced. Unblocking sets a new PIN.",
		            "PUK tries left: %d. Every wrong PUK uses up a try; when none are left "
		            "(three wrong PUKs on a new card), the card is unusable for good and "
		            "must "
		            "be replaced. Unblocking sets a new PIN.",
		            t),
		        t);
	else if (op == MON_OP_CHANGE_PUK)
		snprintf(out, cap, NG_("PUK tries left: %d.", "PUK tries left: %d.", t), t);
	else
		snprintf(out, cap, NG_("PIN tries left: %d.", "PIN tries left: %d.", t), t);
}

static const char *titles[] = {
        [MON_OP_CHANGE_PIN] = N_("Change PIN"),
        [MON_OP_CHANGE_PUK] = N_("Change PUK"),
        [MON_OP_UNBLOCK] = N_("Unblock the PIN with the PUK"),
};

static void build(struct mon_dialog *d, const struct tool_report *r)
{
	char text[1024];
	bool puk_first = d->op != MON_OP_CHANGE_PIN;
	bool new_puk = d->op == MON_OP_CHANGE_PUK;
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 10);
	gtk_widget_set_margin_start(box, 16);
	gtk_widget_set_margin_end(box, 16);
	gtk_widget_set_margin_top(box, 16);
	gtk_widget_set_margin_bottom(box, 16);
	intro(r, d->op, text, sizeof(text));
	GtkWidget *l = gtk_label_new(text);
	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	gtk_label_set_xalign(GTK_LABEL(l), 0.0f);
	gtk_box_append(GTK_BOX(box), l);
	GtkWidget *grid = gtk_grid_new();
	gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
	gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
	d->cur = secret_row(grid, 0, puk_first ? _("PUK") : _("Current PIN"));
	d->nw = secret_row(grid, 1, new_puk ? _("New PUK") : _("New PIN"));
	d->again = secret_row(grid, 2, new_puk ? _("New PUK again") : _("New PIN again"));
	gtk_box_append(GTK_BOX(box), grid);
	if (d->op == MON_OP_UNBLOCK) {
		d->confirm = gtk_check_button_new_with_label(
		        _("I understand: a wrong PUK uses up a try. Unblock now."));
		g_signal_connect(d->confirm, "toggled", G_CALLBACK(on_confirm_toggled), d);
		gtk_box_append(GTK_BOX(box), d->confirm);
	}
	/* a status region: screen readers announce the result, and tests
	 * find it by role (tests/integration/monitor_atspi.py) */
	d->status =
	        g_object_new(GTK_TYPE_LABEL, "accessible-role", GTK_ACCESSIBLE_ROLE_STATUS, NULL);
	gtk_label_set_wrap(GTK_LABEL(d->status), TRUE);
	gtk_label_set_xalign(GTK_LABEL(d->status), 0.0f);
	gtk_box_append(GTK_BOX(box), d->status);
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_widget_set_halign(row, GTK_ALIGN_END);
	d->cancel = gtk_button_new_with_label(_("Cancel"));
	d->ok = gtk_button_new_with_label(d->op == MON_OP_UNBLOCK ? _("Unblock") : _("Change"));
	gtk_widget_add_css_class(d->ok, d->op == MON_OP_UNBLOCK ? "destructive-action"
	                                                        : "suggested-action");
	g_signal_connect(d->cancel, "clicked", G_CALLBACK(on_cancel), d);
	g_signal_connect(d->ok, "clicked", G_CALLBACK(on_ok), d);
	gtk_box_append(GTK_BOX(row), d->cancel);
	gtk_box_append(GTK_BOX(row), d->ok);
	gtk_box_append(GTK_BOX(box), row);
	gtk_window_set_child(GTK_WINDOW(d->win), box);
	update_ok(d);
}

void mon_dialog_open(struct mon_app *a, enum mon_op op, size_t reader)
{
	if (a->dialog != NULL || a->snap == NULL || reader >= a->snap->n)
		return;
	const struct tool_report *r = &a->snap->cards[reader].r;
	struct mon_dialog *d = g_new0(struct mon_dialog, 1);
	d->a = a;
	d->op = op;
	snprintf(d->reader, sizeof(d->reader), "%s", r->reader);
	d->win = gtk_window_new();
	gtk_window_set_title(GTK_WINDOW(d->win), _(titles[op]));
	gtk_window_set_transient_for(GTK_WINDOW(d->win), GTK_WINDOW(a->win));
	gtk_window_set_modal(GTK_WINDOW(d->win), TRUE);
	gtk_window_set_default_size(GTK_WINDOW(d->win), 460, -1);
	g_signal_connect(d->win, "close-request", G_CALLBACK(on_close_request), d);
	build(d, r);
	a->dialog = d;
	a->dialog_kind = kinds[op];
	a->result_code = NULL;
	a->result_text[0] = '\0';
	gtk_window_present(GTK_WINDOW(d->win));
	mon_app_dump(a);
}

/* ----- test hook (AKIS_MONITOR_TEST_CMD): acts on the real widgets ----- */

bool mon_dialog_script(struct mon_app *a, const char *line)
{
	struct mon_dialog *d = a->dialog;
	if (d == NULL)
		return false;
	if (strncmp(line, "set ", 4) == 0) {
		const char *v = strchr(line + 4, ' ');
		GtkWidget *e = strncmp(line + 4, "current", 7) == 0 ? d->cur
		               : strncmp(line + 4, "new", 3) == 0   ? d->nw
		                                                    : d->again;
		gtk_editable_set_text(GTK_EDITABLE(e), v != NULL ? v + 1 : "");
		return true;
	}
	if (strcmp(line, "confirm") == 0 && d->confirm != NULL) {
		gtk_check_button_set_active(GTK_CHECK_BUTTON(d->confirm), TRUE);
		return true;
	}
	/* as a click: refused while the button is insensitive or hidden */
	if (strcmp(line, "ok") == 0)
		return gtk_widget_is_sensitive(d->ok) && gtk_widget_get_visible(d->ok) &&
		       gtk_widget_activate(d->ok);
	if (strcmp(line, "cancel") == 0)
		return gtk_widget_activate(d->cancel);
	return false;
}
