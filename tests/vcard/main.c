/* akis-vcard: the virtual AKIS card.
 *   akis-vcard init DIR [--profile P] [--no-efdir] [--no-pkcs15]
 *        [--with-expired-cert] [--expires-in DAYS] [--pin N] [--puk N] [--serial HEX24]
 *        [--holder NAME] [--tckn 11DIGITS] [--atr HEX] [--ec-curve p256|p384]
 *        [--e-seal [--company NAME] [--vkn 10DIGITS]]
 *   akis-vcard run DIR --port N [--host H] [--log FILE] [--latency-us N]
 *        [--byte-latency-us N] [--removed]
 * Controls of a running card: write lines to DIR/ctl (see ctl.h). */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "prov.h"
#include "run.h"

static int usage(void)
{
	fprintf(stderr,
	        "usage: akis-vcard init DIR [--profile akis-1.0|akis-1.2|akis-2] [--no-efdir]\n"
	        "           [--no-pkcs15] [--with-expired-cert] [--expires-in DAYS]\n"
	        "           [--pin 12345] [--puk 123456]\n"
	        "           [--serial HEX24] [--holder NAME] [--tckn 11DIGITS] [--atr HEX]\n"
	        "           [--ec-curve p256|p384]  (akis-2 NES keys; the test CA stays P-384)\n"
	        "           [--e-seal [--company NAME] [--vkn 10DIGITS]]  (akis-2: Mali "
	        "M\xC3\xBCh\xC3\xBCr card)\n"
	        "       akis-vcard run DIR --port N [--host 127.0.0.1] [--log FILE]\n"
	        "           [--latency-us N] [--byte-latency-us N] [--removed]\n"
	        "controls: echo 'remove|insert|reset|latency US|byte-latency US|\n"
	        "           fault[+] N drop|garbage [LEN]|sw XXXX|stall MS|flip [K]|\n"
	        "           fault clear|quit' > DIR/ctl\n");
	return 2;
}

static bool digits(const char *s, size_t lo, size_t hi)
{
	size_t n = strlen(s);
	if (n < lo || n > hi)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* --atr: 1..33 bytes (ISO/IEC 7816-3 §8.2.1: TS plus at most 32 characters),
 * an even number of hex digits and nothing else. */
static bool atr_hex_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 2 * 33 || n % 2 != 0)
		return false;
	return strspn(s, "0123456789abcdefABCDEF") == n;
}

/* --ec-curve: the curve of the akis-2 NES keys (docs/card.md §1: P-256 or P-384). */
static bool ec_curve(const char *v, bool *p256)
{
	*p256 = strcmp(v, "p256") == 0;
	return *p256 || strcmp(v, "p384") == 0;
}

static bool init_opt(struct vc_init_opts *o, const char *k, const char *v)
{
	if (strcmp(k, "--profile") == 0)
		return vc_profile_parse(v, &o->profile);
	if (strcmp(k, "--pin") == 0)
		return digits(o->pin = v, VC_PIN_MIN, VC_PIN_MAX);
	if (strcmp(k, "--puk") == 0)
		return digits(o->puk = v, VC_PIN_MIN, VC_PIN_MAX);
	if (strcmp(k, "--serial") == 0)
		return strlen(o->serial_hex = v) == 24;
	if (strcmp(k, "--holder") == 0)
		return *(o->holder = v) != '\0';
	if (strcmp(k, "--tckn") == 0)
		return digits(o->tckn = v, 11, 11);
	if (strcmp(k, "--atr") == 0)
		return atr_hex_ok(o->atr_hex = v);
	if (strcmp(k, "--ec-curve") == 0)
		return ec_curve(v, &o->ec_p256);
	if (strcmp(k, "--company") == 0)
		return *(o->company = v) != '\0';
	if (strcmp(k, "--vkn") == 0)
		return digits(o->vkn = v, 10, 10);
	if (strcmp(k, "--expires-in") == 0)
		return digits(v, 1, 4) && (o->expires_in = atoi(v)) > 0;
	return false;
}

static int cmd_init(int argc, char **argv)
{
	struct vc_init_opts o = {.dir = argv[0],
	                         .profile = VC_AKIS_12,
	                         .holder = "TEST K\xC4\xB0\xC5\x9e\xC4\xB0",
	                         .tckn = "10000000146",
	                         .company = "TEST MAL\xC4\xB0 M\xC3\x9CH\xC3\x9CR A.\xC5\x9E.",
	                         .vkn = "0123456789"};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-efdir") == 0)
			o.no_efdir = true;
		else if (strcmp(argv[i], "--no-pkcs15") == 0)
			o.no_pkcs15 = true;
		else if (strcmp(argv[i], "--with-expired-cert") == 0)
			o.expired_cert = true;
		else if (strcmp(argv[i], "--e-seal") == 0)
			o.e_seal = true;
		else if (i + 1 >= argc || !init_opt(&o, argv[i], argv[i + 1])) {
			fprintf(stderr, "akis-vcard init: bad option %s\n", argv[i]);
			return usage();
		} else
			i++;
	}
	return vc_init(&o);
}

static bool num(const char *s, unsigned long max, unsigned long *out)
{
	char *e;
	unsigned long v = strtoul(s, &e, 0);
	if (*s == '\0' || *e != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static bool run_opt(struct vc_run_opts *o, const char *k, const char *v)
{
	unsigned long n;
	if (strcmp(k, "--host") == 0)
		return *(o->host = v) != '\0';
	if (strcmp(k, "--log") == 0)
		return *(o->log = v) != '\0';
	if (!num(v, 100000000UL, &n))
		return false;
	if (strcmp(k, "--port") == 0 && n > 0 && n < 65536)
		o->port = (int)n;
	else if (strcmp(k, "--latency-us") == 0)
		o->latency_us = (unsigned)n;
	else if (strcmp(k, "--byte-latency-us") == 0)
		o->byte_latency_us = (unsigned)n;
	else
		return false;
	return true;
}

static int cmd_run(int argc, char **argv)
{
	struct vc_run_opts o = {.dir = argv[0], .host = "127.0.0.1"};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--removed") == 0)
			o.start_removed = true;
		else if (i + 1 >= argc || !run_opt(&o, argv[i], argv[i + 1])) {
			fprintf(stderr, "akis-vcard run: bad option %s\n", argv[i]);
			return usage();
		} else
			i++;
	}
	if (!o.port) {
		fprintf(stderr, "akis-vcard run: --port is required\n");
		return usage();
	}
	return vc_run(&o);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	if (strcmp(argv[1], "init") == 0)
		return cmd_init(argc - 2, argv + 2);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	return usage();
}
