/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis-tool: the AKİS card monitor. Command line, locale, dispatch.
 *
 * Messages go through gettext, domain "akis-tool"; the catalogues are looked
 * up in $AKIS_LOCALEDIR when set (tests run from the build tree), else in
 * LOCALEDIR fixed at build time (akis-tool.mk).
 */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tool.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

/* Secrets given as options (for scripts) live here, fixed-size, wiped at
 * exit; the argv copy is overwritten so that ps no longer shows it. */
struct secrets {
	char pin[TOOL_PIN_MAX];
	char new_pin[TOOL_PIN_MAX];
	char puk[TOOL_PIN_MAX];
	char new_puk[TOOL_PIN_MAX];
};

enum {
	OPT_PIN = 0x100,
	OPT_NEW_PIN,
	OPT_PUK,
	OPT_NEW_PUK,
	OPT_PIN_STDIN,
	OPT_JSON,
	OPT_READER,
	OPT_MODULE,
	OPT_REMOVE,
	OPT_SYSTEM,
};

static const struct option long_opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"reader", required_argument, NULL, OPT_READER},
        {"module", required_argument, NULL, OPT_MODULE},
        {"remove", no_argument, NULL, OPT_REMOVE},
        {"system", no_argument, NULL, OPT_SYSTEM},
        {"pin", required_argument, NULL, OPT_PIN},
        {"new-pin", required_argument, NULL, OPT_NEW_PIN},
        {"puk", required_argument, NULL, OPT_PUK},
        {"new-puk", required_argument, NULL, OPT_NEW_PUK},
        {"pin-stdin", no_argument, NULL, OPT_PIN_STDIN},
        {"yes", no_argument, NULL, 'y'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
};

static const struct {
	const char *name;
	int (*fn)(const struct tool_opts *o);
} commands[] = {
        {"status", cmd_status},         {"readers", cmd_readers},       {"watch", cmd_watch},
        {"change-pin", cmd_change_pin}, {"change-puk", cmd_change_puk}, {"unblock", cmd_unblock},
        {"setup", cmd_setup},           {"doctor", cmd_doctor},
};

static void usage(FILE *f)
{
	fprintf(f, "%s",
	        _("Usage: akis-tool [OPTION]... COMMAND\n"
	          "The AKİS smart card monitor: card and PIN status, certificates,\n"
	          "PIN change and unblock, live insertion and removal.\n"
	          "\n"
	          "Commands:\n"
	          "  status       every reader and card: version, serial, life cycle,\n"
	          "               PIN and PUK tries left, certificates, warnings\n"
	          "  readers      the readers and what is in them\n"
	          "  watch        report card insertion and removal until Ctrl-C\n"
	          "  change-pin   change the PIN\n"
	          "  unblock      unblock the PIN with the PUK and set a new PIN\n"
	          "  change-puk   change the PUK\n"
	          "  setup        register the module in your Firefox and Thunderbird\n"
	          "               profiles, Chromium/Chrome and Java (--remove undoes it;\n"
	          "               --system, as root: Firefox's enterprise policy)\n"
	          "  doctor       find the first broken link between reader and browser\n"
	          "               and say what to do\n"
	          "\n"
	          "Options:\n"
	          "  --json          machine-readable output (status, readers, watch, doctor)\n"
	          "  --reader NAME   use this reader only (exact name or part of it)\n"
	          "  --module PATH   the module for setup and doctor (default: the installed one)\n"
	          "  --pin-stdin     read PINs from standard input, one per line\n"
	          "  -y, --yes       do not ask for confirmation (for scripts)\n"
	          "  -h, --help      show this help\n"
	          "  -V, --version   show the version\n"
	          "\n"
	          "For scripts only (the value is visible to other users while the\n"
	          "program starts): --pin VALUE, --new-pin VALUE, --puk VALUE,\n"
	          "--new-puk VALUE. Without them PINs are read from the terminal\n"
	          "without echo.\n"
	          "\n"
	          "Exit status:\n"
	          "  0  success\n"
	          "  1  usage error, malformed PIN, several cards without --reader\n"
	          "  2  no pcscd, no reader, no AKİS card, or the card was removed\n"
	          "  3  wrong PIN or PUK\n"
	          "  4  the PIN is blocked\n"
	          "  5  the PUK is blocked: the card is dead and must be replaced\n"
	          "  6  other error\n"
	          "  7  cancelled by the user\n"));
}

static int take_secret(char *dst, char *arg, const char *opt)
{
	size_t len = strlen(arg);
	int ex = TOOL_EXIT_OK;
	if (len >= TOOL_PIN_MAX) {
		fprintf(stderr, _("akis-tool: the value of %s is too long\n"), opt);
		ex = TOOL_EXIT_USAGE;
	} else {
		memcpy(dst, arg, len + 1);
	}
	OPENSSL_cleanse(arg, len);
	return ex;
}

static int secret_opt(int c, struct tool_opts *o, struct secrets *s)
{
	switch (c) {
	case OPT_PIN:
		o->pin = s->pin;
		return take_secret(s->pin, optarg, "--pin");
	case OPT_NEW_PIN:
		o->new_pin = s->new_pin;
		return take_secret(s->new_pin, optarg, "--new-pin");
	case OPT_PUK:
		o->puk = s->puk;
		return take_secret(s->puk, optarg, "--puk");
	default:
		o->new_puk = s->new_puk;
		return take_secret(s->new_puk, optarg, "--new-puk");
	}
}

/* Returns -1 to go on, else an exit code. */
static int parse(int argc, char **argv, struct tool_opts *o, struct secrets *s)
{
	int c, ex = -1;
	while ((c = getopt_long(argc, argv, "yhV", long_opts, NULL)) != -1) {
		if (c == OPT_PIN || c == OPT_NEW_PIN || c == OPT_PUK || c == OPT_NEW_PUK) {
			if (secret_opt(c, o, s) != TOOL_EXIT_OK)
				ex = TOOL_EXIT_USAGE;
		} else if (c == OPT_JSON) {
			o->json = true;
		} else if (c == OPT_READER) {
			o->reader = optarg;
		} else if (c == OPT_MODULE) {
			o->module = optarg;
		} else if (c == OPT_REMOVE) {
			o->remove = true;
		} else if (c == OPT_SYSTEM) {
			o->system = true;
		} else if (c == OPT_PIN_STDIN) {
			o->pin_stdin = true;
		} else if (c == 'y') {
			o->yes = true;
		} else if (c == 'h') {
			usage(stdout);
			return ex < 0 ? TOOL_EXIT_OK : ex;
		} else if (c == 'V') {
			printf("akis-tool %s\n", AKIS_TOOL_VERSION);
			return ex < 0 ? TOOL_EXIT_OK : ex;
		} else {
			ex = TOOL_EXIT_USAGE;
		}
	}
	return ex;
}

static void locale_init(void)
{
	const char *dir = getenv("AKIS_LOCALEDIR");
	setlocale(LC_ALL, "");
	bindtextdomain("akis-tool", dir != NULL && dir[0] != '\0' ? dir : LOCALEDIR);
	textdomain("akis-tool");
}

int main(int argc, char **argv)
{
	struct tool_opts o;
	struct secrets s;
	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	locale_init();
	int ex = parse(argc, argv, &o, &s);
	if (ex >= 0)
		goto out;
	ex = TOOL_EXIT_USAGE;
	if (optind != argc - 1) {
		fprintf(stderr, "%s",
		        _("akis-tool: exactly one command is needed "
		          "(akis-tool --help lists them)\n"));
		goto out;
	}
	int (*fn)(const struct tool_opts *) = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			fn = commands[i].fn;
	if (fn == NULL) {
		fprintf(stderr,
		        _("akis-tool: unknown command \"%s\" (akis-tool --help lists them)\n"),
		        argv[optind]);
		goto out;
	}
	ex = fn(&o);
out:
	OPENSSL_cleanse(&s, sizeof(s));
	fflush(stdout);
	return ex;
}
