/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main window: one frame per reader, rebuilt from each snapshot of the
 * card thread. Presentation only: states and texts come from model.c and
 * the shared core.
 */
#include "window.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "../akis-tool/errors.h"
#include "dialogs.h"
#include "i18n.h"

static void free_closure_data(gpointer data, GClosure *c)
{
	(void)c;
	g_free(data);
}

static GtkWidget *label(const char *text, const char *css)
{
	GtkWidget *l = gtk_label_new(text);
	gtk_label_set_xalign(GTK_LABEL(l), 0.0f);
	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	if (css != NULL)
		gtk_widget_add_css_class(l, css);
	return l;
}

static void grid_row(GtkWidget *grid, int row, const char *key, const char *value)
{
	GtkWidget *k = label(key, "dim-label");
	gtk_grid_attach(GTK_GRID(grid), k, 0, row, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), label(value, NULL), 1, row, 1, 1);
}

static void pin_text(const struct tool_pin_state *s, char *out, size_t cap)
{
	if (!s->known)
		snprintf(out, cap, "%s", _("unknown"));
	else if (s->blocked)
		snprintf(out, cap, "%s", _("BLOCKED"));
	else if (s->tries_left < 0)
		snprintf(out, cap, "%s", _("not blocked"));
	else
		snprintf(out, cap, NG_("%d try left", "%d tries left", s->tries_left),
		         s->tries_left);
}

/* ----- certificate details ----- */

static void fingerprint(const uint8_t *der, size_t len, const EVP_MD *md, char *out, size_t cap)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	out[0] = '\0';
	if (der == NULL || EVP_Digest(der, len, h, &hl, md, NULL) != 1)
		return;
	for (unsigned i = 0, o = 0; i < hl && o + 4 <= cap; i++, o += 3)
		snprintf(out + o, cap - o, "%s%02X", i ? ":" : "", h[i]);
}

static void ku_text(const struct tool_cert *c, char *out, size_t cap)
{
	static const char *const names[] = {
	        "digitalSignature", "nonRepudiation", "keyEncipherment",
	        "dataEncipherment", "keyAgreement",   "keyCertSign",
	        "cRLSign",          "encipherOnly",   "decipherOnly",
	};
	size_t o = 0;
	snprintf(out, cap, "%s", c->has_key_usage ? "" : "-");
	for (size_t i = 0; c->has_key_usage && i < sizeof(names) / sizeof(names[0]); i++)
		if ((c->key_usage & (1u << i)) && o < cap)
			o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? ", " : "", names[i]);
}

struct export_req {
	struct mon_app *a;
	size_t reader, cert;
	bool pem;
};

static void on_export_chosen(GtkNativeDialog *d, int response, gpointer p);

static void on_export(GtkButton *b, gpointer p)
{
	(void)b;
	struct export_req *e = p;
	GtkFileChooserNative *fc =
	        gtk_file_chooser_native_new(_("Export the certificate"), GTK_WINDOW(e->a->win),
	                                    GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
	gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(fc),
	                                  e->pem ? "certificate.pem" : "certificate.cer");
	g_signal_connect(fc, "response", G_CALLBACK(on_export_chosen), e);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(fc));
}

/* Write one certificate as DER (.cer) or PEM. */
static bool write_cert(const uint8_t *der, size_t len, bool pem, const char *path)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return false;
	bool ok = true;
	if (pem) {
		gchar *b64 = g_base64_encode(der, len);
		size_t bl = strlen(b64);
		fputs("-----BEGIN CERTIFICATE-----\n", f);
		for (size_t i = 0; i < bl; i += 64)
			fprintf(f, "%.*s\n", (int)(bl - i < 64 ? bl - i : 64), b64 + i);
		fputs("-----END CERTIFICATE-----\n", f);
		g_free(b64);
	} else {
		ok = fwrite(der, 1, len, f) == len;
	}
	return fclose(f) == 0 && ok;
}

bool mon_window_export(struct mon_app *a, size_t reader, size_t cert, bool pem, const char *path)
{
	if (a->snap == NULL || reader >= a->snap->n)
		return false;
	const struct mon_card *c = &a->snap->cards[reader];
	if (cert >= c->r.n_certs || c->der[cert] == NULL)
		return false;
	return write_cert(c->der[cert], c->der_len[cert], pem, path);
}

static void on_export_chosen(GtkNativeDialog *d, int response, gpointer p)
{
	const struct export_req *e = p;
	GFile *file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
	char *path = file != NULL ? g_file_get_path(file) : NULL;
	if (response == GTK_RESPONSE_ACCEPT && path != NULL &&
	    !mon_window_export(e->a, e->reader, e->cert, e->pem, path))
		snprintf(e->a->result_text, sizeof(e->a->result_text), "%s",
		         _("The certificate could not be written."));
	g_free(path);
	if (file != NULL)
		g_object_unref(file);
	g_object_unref(d);
}

static void cert_details(GtkWidget *grid, int *row, const struct mon_card *mc, size_t i)
{
	const struct tool_cert *c = &mc->r.certs[i];
	char buf[512];
	grid_row(grid, (*row)++, _("Serial number"), c->serial_hex);
	fingerprint(mc->der[i], mc->der_len[i], EVP_sha256(), buf, sizeof(buf));
	grid_row(grid, (*row)++, _("SHA-256 fingerprint"), buf);
	fingerprint(mc->der[i], mc->der_len[i], EVP_sha1(), buf, sizeof(buf));
	grid_row(grid, (*row)++, _("SHA-1 fingerprint"), buf);
	ku_text(c, buf, sizeof(buf));
	grid_row(grid, (*row)++, _("Key usage"), buf);
	size_t o = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < c->n_policies && o < sizeof(buf); k++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", k ? ", " : "",
		                      c->policies[k]);
	grid_row(grid, (*row)++, _("Policies"), buf[0] ? buf : "-");
	grid_row(grid, (*row)++, _("Subject"), c->subject);
	grid_row(grid, (*row)++, _("Issuer"), c->issuer);
}

static GtkWidget *export_buttons(struct mon_app *a, size_t reader, size_t cert, bool have_der)
{
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	for (int pem = 0; pem <= 1; pem++) {
		GtkWidget *b =
		        gtk_button_new_with_label(pem ? _("Export .pem…") : _("Export .cer…"));
		struct export_req *e = g_new0(struct export_req, 1);
		*e = (struct export_req){a, reader, cert, pem != 0};
		g_signal_connect_data(b, "clicked", G_CALLBACK(on_export), e, free_closure_data, 0);
		gtk_widget_set_sensitive(b, have_der);
		gtk_box_append(GTK_BOX(row), b);
	}
	return row;
}

static GtkWidget *cert_widget(struct mon_app *a, size_t reader, size_t i, time_t now)
{
	const struct mon_card *mc = &a->snap->cards[reader];
	const struct tool_cert *c = &mc->r.certs[i];
	struct mon_cert_view v;
	char state[TOOL_WARN_TEXT_MAX], purpose[256], title[768], d1[32], d2[32];
	mon_cert_view(&mc->r, i, now, &v);
	mon_cert_state_text(&mc->r, &v, state, sizeof(state));
	mon_purpose_text(c->purposes, purpose, sizeof(purpose));
	snprintf(title, sizeof(title), "%d. %s — %s", tool_cert_number((int)i),
	         purpose[0] ? purpose : c->label, c->holder);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gtk_box_append(GTK_BOX(box), label(title, "heading"));
	bool good = v.state == MON_CERT_USABLE;
	gtk_box_append(GTK_BOX(box), label(state, good ? "success" : "warning"));
	if (!c->parsed)
		return box;
	GtkWidget *grid = gtk_grid_new();
	gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
	int row = 0;
	grid_row(grid, row++, _("Holder"), c->holder);
	if (tool_cert_is_organisation(c)) /* R48: an organisation, by its tax number */
		grid_row(grid, row++, _("Tax number (VKN)"), c->subject_serial);
	else
		grid_row(grid, row++, _("National ID number"), c->subject_serial);
	grid_row(grid, row++, _("Issuer"), c->issuer_cn[0] ? c->issuer_cn : c->issuer);
	tool_time_text(c->not_before, d1, sizeof(d1));
	tool_time_text(c->not_after, d2, sizeof(d2));
	char valid[80];
	snprintf(valid, sizeof(valid), "%s – %s", d1, d2);
	grid_row(grid, row++, _("Valid"), valid);
	gtk_box_append(GTK_BOX(box), grid);
	GtkWidget *exp = gtk_expander_new(_("Details"));
	GtkWidget *dgrid = gtk_grid_new();
	gtk_grid_set_column_spacing(GTK_GRID(dgrid), 12);
	int drow = 0;
	cert_details(dgrid, &drow, mc, i);
	GtkWidget *dbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	gtk_box_append(GTK_BOX(dbox), dgrid);
	gtk_box_append(GTK_BOX(dbox), export_buttons(a, reader, i, mc->der[i] != NULL));
	gtk_expander_set_child(GTK_EXPANDER(exp), dbox);
	gtk_box_append(GTK_BOX(box), exp);
	return box;
}

/* ----- one reader ----- */

struct action_req {
	struct mon_app *a;
	enum mon_op op;
	size_t reader;
};

static void on_action(GtkButton *b, gpointer p)
{
	(void)b;
	struct action_req *r = p;
	mon_dialog_open(r->a, r->op, r->reader);
}

static GtkWidget *actions(struct mon_app *a, size_t reader, const struct tool_report *r)
{
	static const struct {
		enum mon_op op;
		const char *text;
	} tab[] = {
	        {MON_OP_CHANGE_PIN, N_("Change PIN…")},
	        {MON_OP_UNBLOCK, N_("Unblock PIN with PUK…")},
	        {MON_OP_CHANGE_PUK, N_("Change PUK…")},
	};
	bool dead = r->life_cycle == TOOL_LC_DEAD || (r->puk.known && r->puk.blocked);
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		GtkWidget *b = gtk_button_new_with_label(_(tab[i].text));
		struct action_req *q = g_new0(struct action_req, 1);
		*q = (struct action_req){a, tab[i].op, reader};
		g_signal_connect_data(b, "clicked", G_CALLBACK(on_action), q, free_closure_data, 0);
		bool blocked_pin = tab[i].op == MON_OP_CHANGE_PIN && r->pin.known && r->pin.blocked;
		gtk_widget_set_sensitive(b, !dead && !blocked_pin);
		gtk_box_append(GTK_BOX(row), b);
	}
	return row;
}

static void card_head(GtkWidget *box, const struct tool_report *r)
{
	char buf[256], serial[2 * AKIS_SERIAL_MAX + 1] = "";
	snprintf(buf, sizeof(buf), "AKİS %s (%s%s%s)", r->info.version,
	         tool_profile_name(r->info.profile), r->info.chip[0] ? ", " : "", r->info.chip);
	GtkWidget *grid = gtk_grid_new();
	gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
	int row = 0;
	grid_row(grid, row++, _("Card"), buf);
	for (size_t i = 0; i < r->serial_len; i++)
		snprintf(serial + 2 * i, sizeof(serial) - 2 * i, "%02X", r->serial[i]);
	grid_row(grid, row++, _("Serial number"), serial);
	snprintf(buf, sizeof(buf), "%s (%02X)", tool_life_cycle_text(r->life_cycle), r->life_cycle);
	grid_row(grid, row++, _("Life cycle"), buf);
	pin_text(&r->pin, buf, sizeof(buf));
	grid_row(grid, row++, "PIN", buf);
	pin_text(&r->puk, buf, sizeof(buf));
	grid_row(grid, row++, "PUK", buf);
	gtk_box_append(GTK_BOX(box), grid);
}

static void warnings(GtkWidget *box, const struct tool_report *r)
{
	char msg[TOOL_WARN_TEXT_MAX], line[TOOL_WARN_TEXT_MAX + 8];
	for (size_t i = 0; i < r->n_warnings; i++) {
		const struct tool_warning *w = &r->warnings[i];
		if (w->code == TOOL_W_PIN_BLOCKED) {
			struct tool_pin_advice adv;
			tool_pin_advice(r, &adv);
			tool_pin_advice_text(&adv, _("the \"Unblock PIN\" button"), msg,
			                     sizeof(msg));
		} else {
			tool_warning_text(r, w, msg, sizeof(msg));
		}
		snprintf(line, sizeof(line), "⚠ %s", msg);
		gtk_box_append(GTK_BOX(box), label(line, "warning"));
	}
}

static GtkWidget *reader_frame(struct mon_app *a, size_t i, time_t now)
{
	const struct tool_report *r = &a->snap->cards[i].r;
	GtkWidget *frame = gtk_frame_new(r->reader);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	gtk_widget_set_margin_start(box, 12);
	gtk_widget_set_margin_end(box, 12);
	gtk_widget_set_margin_top(box, 8);
	gtk_widget_set_margin_bottom(box, 8);
	gtk_frame_set_child(GTK_FRAME(frame), box);
	if (!r->present) {
		gtk_box_append(GTK_BOX(box), label(_("No card in this reader."), "dim-label"));
		return frame;
	}
	if (!r->is_akis) {
		gtk_box_append(
		        GTK_BOX(box),
		        label(_("This is not an AKİS card: the monitor cannot show it."), NULL));
		return frame;
	}
	card_head(box, r);
	if (r->has_error) {
		char buf[256];
		snprintf(buf, sizeof(buf), _("The card could not be read: %s"),
		         tool_rv_text(r->error));
		gtk_box_append(GTK_BOX(box), label(buf, "error"));
	}
	warnings(box, r);
	if (!r->bound)
		return frame;
	gtk_box_append(GTK_BOX(box), actions(a, i, r));
	gtk_box_append(GTK_BOX(box), label(_("Certificates"), "title-4"));
	if (r->n_certs == 0)
		gtk_box_append(GTK_BOX(box), label(_("No certificates on the card."), NULL));
	for (size_t k = 0; k < r->n_certs; k++)
		gtk_box_append(GTK_BOX(box), cert_widget(a, i, k, now));
	return frame;
}

/* ----- updates ----- */

static void clear_box(GtkWidget *box)
{
	GtkWidget *c;
	while ((c = gtk_widget_get_first_child(box)) != NULL)
		gtk_box_remove(GTK_BOX(box), c);
}

/* R51 / issue 10: a certificate on an inserted card expires within 30 days. */
static void notify_expiring(struct mon_app *a)
{
	char key[96], msg[TOOL_WARN_TEXT_MAX];
	for (size_t i = 0; i < a->snap->n; i++) {
		const struct tool_report *r = &a->snap->cards[i].r;
		for (size_t k = 0; r->bound && k < r->n_warnings; k++) {
			const struct tool_warning *w = &r->warnings[k];
			if (w->code != TOOL_W_CERT_EXPIRES_SOON)
				continue;
			size_t o = 0;
			for (size_t s = 0; s < r->serial_len && o + 3 < sizeof(key); s++, o += 2)
				snprintf(key + o, sizeof(key) - o, "%02X", r->serial[s]);
			snprintf(key + o, sizeof(key) - o, "/%d", w->cert);
			if (g_hash_table_contains(a->notified, key))
				continue;
			g_hash_table_add(a->notified, g_strdup(key));
			tool_warning_text(r, w, msg, sizeof(msg));
			GNotification *n = g_notification_new(_("A certificate expires soon"));
			g_notification_set_body(n, msg);
			g_application_send_notification(G_APPLICATION(a->app), key, n);
			g_object_unref(n);
			a->notifications++;
		}
	}
}

void mon_window_update(struct mon_app *a, struct mon_snapshot *s)
{
	mon_snapshot_free(a->snap);
	a->snap = s;
	time_t now = time(NULL);
	clear_box(a->box);
	if (!s->pcsc_ok)
		gtk_box_append(GTK_BOX(a->box),
		               label(_("The smart card service (pcscd) is not running."), "error"));
	else if (s->n == 0)
		gtk_box_append(GTK_BOX(a->box), label(_("No card reader is connected."), NULL));
	for (size_t i = 0; i < s->n; i++)
		gtk_box_append(GTK_BOX(a->box), reader_frame(a, i, now));
	notify_expiring(a);
	mon_app_dump(a);
}

void mon_window_build(struct mon_app *a)
{
	a->win = gtk_application_window_new(a->app);
	gtk_window_set_title(GTK_WINDOW(a->win), _("AKİS Card Monitor"));
	gtk_window_set_default_size(GTK_WINDOW(a->win), 760, 720);
	gtk_window_set_icon_name(GTK_WINDOW(a->win), "akis-monitor");
	GtkWidget *scroll = gtk_scrolled_window_new();
	a->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	gtk_widget_set_margin_start(a->box, 12);
	gtk_widget_set_margin_end(a->box, 12);
	gtk_widget_set_margin_top(a->box, 12);
	gtk_widget_set_margin_bottom(a->box, 12);
	gtk_box_append(GTK_BOX(a->box), label(_("Looking for card readers…"), NULL));
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), a->box);
	gtk_window_set_child(GTK_WINDOW(a->win), scroll);
	gtk_window_present(GTK_WINDOW(a->win));
}
