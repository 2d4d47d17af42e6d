/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * doctor (issue 11): walks the chain a card holder cannot see, from pcscd
 * to the certificates in the browser, and names the first broken link and
 * what to do. Cards only through akis/reader.h and the tool's card core
 * (card.h); browser databases through browsers.h.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "browsers.h"
#include "card.h"
#include "tool.h"

#define DR_MAX      64u
#define DR_TEXT_MAX 512u

enum dr_state { DR_OK, DR_INFO, DR_WARN, DR_BROKEN };

struct dr_check {
	const char *code; /* stable, for --json */
	enum dr_state state;
	char text[DR_TEXT_MAX];
	const char *advice; /* translated; NULL when nothing to do */
};

struct doctor {
	struct dr_check c[DR_MAX];
	size_t n;
	const char *module;
	struct tool_report rep; /* the AKİS card, when one is there */
	bool have_card;
};

static void add(struct doctor *d, const char *code, enum dr_state st, const char *advice,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(struct doctor *d, const char *code, enum dr_state st, const char *advice,
                const char *fmt, ...)
{
	if (d->n >= DR_MAX)
		return;
	struct dr_check *c = &d->c[d->n++];
	va_list ap;
	c->code = code;
	c->state = st;
	c->advice = advice;
	va_start(ap, fmt);
	vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
}

static bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* pcscd installed and answering (socket activation starts it on connect). */
static bool check_pcscd(struct doctor *d, struct akis_readers **pc)
{
	const char *bin = file_exists("/usr/sbin/pcscd") ? "/usr/sbin/pcscd" : NULL;
	if (bin == NULL) {
		add(d, "pcscd_missing", DR_BROKEN, _("Install it: sudo apt install pcscd"), "%s",
		    _("pcscd (the smart card service) is not installed"));
		return false;
	}
	add(d, "pcscd_installed", DR_OK, NULL, _("pcscd is installed (%s)"), bin);
	if (akis_readers_open(pc) == AKIS_OK) {
		add(d, "pcscd_running", DR_OK, NULL, "%s", _("pcscd answers"));
		return true;
	}
	add(d, "pcscd_not_running", DR_BROKEN,
	    _("Start it, and let systemd start it on demand: "
	      "sudo systemctl enable --now pcscd.socket"),
	    "%s",
	    file_exists("/run/pcscd/pcscd.comm")
	            ? _("pcscd does not answer on its socket /run/pcscd/pcscd.comm")
	            : _("pcscd is not running and its socket is not there"));
	return false;
}

/* Readers, a card, an AKİS card: fills d->rep for the AKİS card. */
static void check_card(struct doctor *d, struct akis_readers *pc, const char *want)
{
	struct akis_reader rd[AKIS_READERS_MAX];
	size_t n = 0, present = 0;
	if (akis_readers_list(pc, rd, AKIS_READERS_MAX, &n) != AKIS_OK || n == 0) {
		add(d, "no_reader", DR_BROKEN,
		    _("Connect the card reader (for ACS ACR38 readers: sudo apt install acsccid), "
		      "then unplug and plug it again"),
		    "%s", _("pcscd sees no card reader"));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!tool_reader_matches(rd[i].name, want))
			continue;
		add(d, "reader", DR_OK, NULL, _("reader: %s"), rd[i].name);
		if (!(rd[i].state & AKIS_READER_PRESENT))
			continue;
		present++;
		struct tool_report r;
		tool_report_read(&rd[i], &r, time(NULL));
		if (r.is_akis && !d->have_card) {
			d->rep = r;
			d->have_card = true;
		} else if (!r.is_akis) {
			char atr[2 * AKIS_ATR_MAX + 1] = "";
			for (size_t k = 0; k < r.atr_len; k++)
				snprintf(atr + 2 * k, sizeof(atr) - 2 * k, "%02X", r.atr[k]);
			add(d, "foreign_card", DR_WARN, NULL,
			    _("the card in %s is not an AKİS card (ATR %s)"), rd[i].name, atr);
		}
	}
	if (present == 0)
		add(d, "no_card", DR_BROKEN, _("Insert your AKİS card into the reader, chip first"),
		    "%s", _("no card in the reader"));
	else if (!d->have_card)
		add(d, "not_akis", DR_BROKEN,
		    _("Insert your AKİS e-signature card; the card in the reader is another kind "
		      "of card (a bank card, for example)"),
		    "%s", _("no AKİS card: the card in the reader is not an AKİS card"));
	else
		add(d, "akis_card", DR_OK, NULL, _("AKİS card: version %s (%s) in %s"),
		    d->rep.info.version, tool_profile_name(d->rep.info.profile), d->rep.reader);
}

static void check_module(struct doctor *d)
{
	if (d->module == NULL) {
		add(d, "module_missing", DR_BROKEN, _("Install it: sudo apt install akis-pkcs11"),
		    "%s", _("the akis-pkcs11 module is not installed"));
		return;
	}
	void *h = dlopen(d->module, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		add(d, "module_not_loadable", DR_BROKEN,
		    e != NULL && strstr(e, "libpcsclite") != NULL
		            ? _("Install the PC/SC library: sudo apt install libpcsclite1")
		            : _("Reinstall it: sudo apt install --reinstall akis-pkcs11"),
		    _("the module %s cannot be loaded: %s"), d->module, e != NULL ? e : "?");
		return;
	}
	bool ok = dlsym(h, "C_GetFunctionList") != NULL;
	dlclose(h);
	if (ok)
		add(d, "module", DR_OK, NULL, _("the module loads: %s"), d->module);
	else
		add(d, "module_not_loadable", DR_BROKEN,
		    _("Reinstall it: sudo apt install --reinstall akis-pkcs11"),
		    _("%s is not a PKCS#11 module"), d->module);
}

/* proxy: the p11-kit module file that makes p11-kit-proxy load this
 * module, or NULL. */
static void check_db(struct doctor *d, const struct tool_nssdb *db, const char *proxy)
{
	struct tool_nss_reg r;
	const char *app = tool_app_name(db->app);
	if (!tool_nssdb_scan(db->dir, d->module, &r)) {
		add(d, "profile_unused", DR_INFO, NULL,
		    _("%s profile %s has no certificate database yet (%s)"), app, db->profile,
		    db->dir);
		return;
	}
	bool via_proxy = r.proxy > 0 && proxy != NULL;
	int loads = r.ours + (via_proxy ? 1 : 0);
	if (loads == 0)
		add(d, "not_registered", DR_BROKEN, _("Close the program and run: akis-tool setup"),
		    _("the module is not registered in %s profile %s (%s)"), app, db->profile,
		    db->dir);
	else if (loads > 1 && via_proxy)
		add(d, "registered_twice", DR_BROKEN,
		    _("The same card then appears twice and the browser fails to use it. Keep "
		      "one of the two: in the program's security devices unload either the AKIS "
		      "module or p11-kit-proxy, or delete the p11-kit file named above"),
		    _("the module is loaded twice in %s profile %s (%s): directly, and through "
		      "p11-kit-proxy, for which p11-kit loads it by %s"),
		    app, db->profile, db->dir, proxy);
	else if (loads > 1)
		add(d, "registered_twice", DR_BROKEN,
		    _("The same card then appears twice and the browser fails to use it. Keep "
		      "one: run akis-tool setup --remove and akis-tool setup, or unload the "
		      "extra entries in the program's security devices"),
		    _("the module is loaded %d times in %s profile %s (%s)"), loads, app,
		    db->profile, db->dir);
	else
		add(d, "registered", DR_OK, NULL, _("registered in %s profile %s"), app,
		    db->profile);
	if (r.ours > 0 && r.open_end)
		add(d, "entry_unterminated", DR_WARN,
		    _("Run: akis-tool setup (it repairs the entry)"),
		    _("in %s profile %s the module's entry ends the file without an empty line: "
		      "the program drops it the next time it changes its device list"),
		    app, db->profile);
	if (r.closed > 0)
		add(d, "closed_module_in_profile", DR_WARN, NULL,
		    _("%s profile %s also loads a libakisp11.so that is not this module (the "
		      "closed module): both compete for the card"),
		    app, db->profile);
}

static void check_browsers(struct doctor *d)
{
	struct tool_nssdb dbs[TOOL_NSSDB_MAX];
	char path[512];
	size_t n = tool_nssdbs_find(tool_home(), dbs, TOOL_NSSDB_MAX);
	bool proxy_ours =
	        d->module != NULL && tool_p11kit_loads(d->module, NULL, path, sizeof(path));
	if (n == 0)
		add(d, "no_profiles", DR_INFO, NULL, "%s",
		    _("no Firefox, Thunderbird or Chromium profile found for this user"));
	for (size_t i = 0; i < n; i++)
		check_db(d, &dbs[i], proxy_ours ? path : NULL);
}

static void check_conflicts(struct doctor *d)
{
	char path[512];
	if ((file_exists("/usr/lib/libakisp11.so")) &&
	    (d->module == NULL || !tool_same_file("/usr/lib/libakisp11.so", d->module)))
		add(d, "closed_module", DR_WARN, NULL, "%s",
		    _("/usr/lib/libakisp11.so is not this module (the closed AKİS module?): "
		      "programs that load it compete with this module for the card"));
	if (tool_p11kit_loads(NULL, "opensc-pkcs11.so", path, sizeof(path)))
		add(d, "opensc", DR_WARN, NULL,
		    _("OpenSC is registered with p11-kit (%s): if it takes the AKİS card too, "
		      "programs that use p11-kit see the card twice"),
		    path);
}

static void check_certs(struct doctor *d)
{
	const struct tool_report *r = &d->rep;
	char w[512];
	size_t valid = 0;
	if (!d->have_card)
		return;
	if (r->has_error) {
		add(d, "card_error", DR_BROKEN, _("Take the card out, insert it again, retry"),
		    _("the card could not be read: %s"), tool_rv_text(r->error));
		return;
	}
	for (size_t i = 0; i < r->n_certs; i++)
		if (r->certs[i].parsed && !r->certs[i].is_ca &&
		    tool_cert_validity(&r->certs[i], time(NULL)) == TOOL_VALID)
			valid++;
	for (size_t i = 0; i < r->n_warnings; i++) {
		tool_warning_text(r, &r->warnings[i], w, sizeof(w));
		add(d, tool_warn_code_name(r->warnings[i].code), DR_WARN, NULL, "%s", w);
	}
	if (valid == 0)
		add(d, "no_valid_certificate", DR_BROKEN,
		    _("Apply to your certificate provider for a new certificate"), "%s",
		    _("no certificate on the card is valid now"));
	else
		add(d, "certificates", DR_OK, NULL, _("%zu valid certificate(s) on the card"),
		    valid);
}

static const char *state_name(enum dr_state s)
{
	switch (s) {
	case DR_OK:
		return "ok";
	case DR_INFO:
		return "info";
	case DR_WARN:
		return "warning";
	case DR_BROKEN:
		return "broken";
	}
	return "?";
}

static const struct dr_check *first_broken(const struct doctor *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->c[i].state == DR_BROKEN)
			return &d->c[i];
	return NULL;
}

static void print_json(const struct doctor *d)
{
	struct json j;
	const struct dr_check *b = first_broken(d);
	json_init(&j, stdout, true);
	json_obj_begin(&j);
	json_kint(&j, "schema", 1);
	json_kstr(&j, "tool_version", AKIS_TOOL_VERSION);
	json_key(&j, "module");
	json_str(&j, d->module);
	json_key(&j, "checks");
	json_arr_begin(&j);
	for (size_t i = 0; i < d->n; i++) {
		json_obj_begin(&j);
		json_kstr(&j, "check", d->c[i].code);
		json_kstr(&j, "state", state_name(d->c[i].state));
		json_kstr(&j, "text", d->c[i].text);
		json_key(&j, "advice");
		json_str(&j, d->c[i].advice);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "first_broken");
	json_str(&j, b != NULL ? b->code : NULL);
	json_obj_end(&j);
	putchar('\n');
}

static void print_text(const struct doctor *d)
{
	const struct dr_check *b = first_broken(d);
	for (size_t i = 0; i < d->n; i++) {
		const char *tag = d->c[i].state == DR_OK     ? _("ok")
		                  : d->c[i].state == DR_INFO ? _("note")
		                  : d->c[i].state == DR_WARN ? _("warning")
		                                             : _("BROKEN");
		printf("[%s] ", tag);
		tool_fput_safe(stdout, d->c[i].text);
		putchar('\n');
		if (d->c[i].state == DR_WARN && d->c[i].advice != NULL) {
			fputs("    ", stdout);
			printf(_("What to do: %s\n"), d->c[i].advice);
		}
	}
	putchar('\n');
	if (b == NULL) {
		printf("%s\n", _("Nothing is broken."));
		return;
	}
	printf(_("First broken link: %s\n"), b->text);
	printf(_("What to do: %s\n"), b->advice != NULL ? b->advice : "-");
}

int cmd_doctor(const struct tool_opts *o)
{
	struct doctor *d = calloc(1, sizeof(*d));
	struct akis_readers *pc = NULL;
	if (d == NULL)
		return TOOL_EXIT_ERROR;
	d->module = tool_module_path(o->module);
	if (check_pcscd(d, &pc))
		check_card(d, pc, o->reader);
	akis_readers_close(pc);
	check_module(d);
	check_browsers(d);
	check_conflicts(d);
	check_certs(d);
	if (o->json)
		print_json(d);
	else
		print_text(d);
	int ex = first_broken(d) != NULL ? TOOL_EXIT_NO_CARD : TOOL_EXIT_OK;
	free(d);
	return ex;
}
