/* The card image on disk. card.conf is "key = value" text, one setting a line:
 *   profile = akis-1.2          atr = 3B..            serial = 24 hex digits
 *   life_cycle = A5             pin.81 = VALUE TRIES MAX
 *   key = REF ALG USAGE CONSENT PEMFILE     (ALG rsa2048|ec-p256|ec-p384,
 *                                            USAGE sign|decrypt|sign+decrypt|derive;
 *                                            derive: neither, the e-seal ENCR0 key)
 * The file system is DIR/fs/3F00/...: a directory with a 4-hex-digit name is a
 * DF, a regular file with such a name is a transparent EF. */
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

const char *const vc_profile_names[3] = {"akis-1.0", "akis-1.2", "akis-2"};

/* docs/card.md §1 (all [C]). */
static const uint8_t atr_10[] = {0x3B, 0xBA, 0x11, 0x00, 0x81, 0x31, 0xFE, 0x4D, 0x55, 0x45,
                                 0x4B, 0x41, 0x45, 0x20, 0x56, 0x31, 0x2E, 0x30, 0xAE};
static const uint8_t atr_12[] = {0x3B, 0x9F, 0x96, 0x81, 0x31, 0xFE, 0x45, 0x80,
                                 0x67, 0x55, 0x45, 0x4B, 0x41, 0x45, 0x12, 0x92,
                                 0x31, 0x80, 0x73, 0xB3, 0xA1, 0x80, 0x6A};
static const uint8_t atr_2[] = {0x3B, 0x9F, 0x97, 0x81, 0x31, 0xFE, 0x45, 0x80,
                                0x65, 0x54, 0x43, 0x53, 0x22, 0x82, 0x31, 0xC0,
                                0x73, 0xF6, 0x21, 0x80, 0x81, 0x05, 0x53};

const uint8_t *vc_profile_atr(enum vc_profile p, size_t *len)
{
	switch (p) {
	case VC_AKIS_10:
		*len = sizeof atr_10;
		return atr_10;
	case VC_AKIS_12:
		*len = sizeof atr_12;
		return atr_12;
	case VC_AKIS_2:
		*len = sizeof atr_2;
		return atr_2;
	}
	*len = 0;
	return NULL;
}

bool vc_profile_parse(const char *s, enum vc_profile *out)
{
	for (int i = 0; i < 3; i++) {
		if (strcmp(s, vc_profile_names[i]) == 0) {
			*out = (enum vc_profile)i;
			return true;
		}
	}
	return false;
}

static const char *const alg_names[] = {"rsa2048", "ec-p256", "ec-p384"};

const char *vc_alg_name(enum vc_key_alg a)
{
	return alg_names[a];
}

bool vc_hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;
	while (*s) {
		unsigned v;
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		if (n >= cap || sscanf(s, "%2x", &v) != 1 || !s[1])
			return false;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	*len = n;
	return true;
}

void vc_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char hx[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * len] = '\0';
}

struct vc_pin *vc_pin_find(struct vc_card *c, uint8_t ref)
{
	for (int i = 0; i < c->npins; i++)
		if (c->pins[i].ref == ref)
			return &c->pins[i];
	return NULL;
}

struct vc_key *vc_key_find(struct vc_card *c, uint8_t ref)
{
	for (int i = 0; i < c->nkeys; i++)
		if (c->keys[i].ref == ref)
			return &c->keys[i];
	return NULL;
}

static bool parse_key(struct vc_card *c, const char *v)
{
	char alg[16], usage[32], pem[64];
	unsigned ref, consent;
	struct vc_key *k;
	if (c->nkeys >= VC_MAX_KEYS)
		return false;
	if (sscanf(v, "%x %15s %31s %u %63s", &ref, alg, usage, &consent, pem) != 5 || ref > 0xFF)
		return false;
	k = &c->keys[c->nkeys];
	memset(k, 0, sizeof *k);
	k->ref = (uint8_t)ref;
	k->alg = VC_RSA2048;
	for (int i = 0; i < 3; i++)
		if (strcmp(alg, alg_names[i]) == 0)
			k->alg = (enum vc_key_alg)i;
	k->can_sign = strstr(usage, "sign") != NULL;
	k->can_decrypt = strstr(usage, "decrypt") != NULL;
	k->user_consent = consent != 0;
	snprintf(k->pem, sizeof k->pem, "%s", pem);
	c->nkeys++;
	return true;
}

static bool parse_pin(struct vc_card *c, const char *name, const char *v)
{
	unsigned ref;
	int tries, max;
	char val[16];
	struct vc_pin *p;
	if (c->npins >= VC_MAX_PINS || sscanf(name, "pin.%x", &ref) != 1 || ref > 0xFF)
		return false;
	if (sscanf(v, "%15s %d %d", val, &tries, &max) != 3 || strlen(val) > VC_PIN_MAX)
		return false;
	p = &c->pins[c->npins++];
	memset(p, 0, sizeof *p);
	p->ref = (uint8_t)ref;
	memcpy(p->value, val, strlen(val) + 1); /* length checked above */
	p->tries = tries;
	p->max = max;
	return true;
}

static bool parse_line(struct vc_card *c, const char *k, const char *v)
{
	size_t n;
	unsigned lc;
	if (strcmp(k, "profile") == 0)
		return vc_profile_parse(v, &c->profile);
	if (strcmp(k, "atr") == 0)
		return vc_hex_decode(v, c->atr, sizeof c->atr, &c->atr_len);
	if (strcmp(k, "serial") == 0)
		return vc_hex_decode(v, c->serial, sizeof c->serial, &n) && n == sizeof c->serial;
	if (strcmp(k, "life_cycle") == 0) {
		if (sscanf(v, "%x", &lc) != 1 || lc > 0xFF)
			return false;
		c->life_cycle = (uint8_t)lc;
		return true;
	}
	if (strncmp(k, "pin.", 4) == 0)
		return parse_pin(c, k, v);
	if (strcmp(k, "key") == 0)
		return parse_key(c, v);
	return true; /* unknown keys are informational (holder, tckn, ...) */
}

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool load_conf(struct vc_card *c)
{
	char path[PATH_MAX], line[512];
	FILE *f;
	bool ok = true;
	int lineno = 0;
	snprintf(path, sizeof path, "%s/card.conf", c->dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "akis-vcard: %s: %s\n", path, strerror(errno));
		return false;
	}
	while (ok && fgets(line, sizeof line, f)) {
		char *eq, *k = trim(line);
		lineno++;
		if (*k == '#' || *k == '\0')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			ok = false;
			break;
		}
		*eq = '\0';
		ok = parse_line(c, trim(k), trim(eq + 1));
	}
	fclose(f);
	if (!ok)
		fprintf(stderr, "akis-vcard: %s:%d: bad line\n", path, lineno);
	return ok;
}

static bool fid_name(const char *name, uint16_t *fid)
{
	unsigned v;
	char tail;
	if (strlen(name) != 4 || sscanf(name, "%4x%c", &v, &tail) != 1)
		return false;
	*fid = (uint16_t)v;
	return true;
}

static bool load_ef(struct vc_file *f, const char *path)
{
	FILE *fp = fopen(path, "rb");
	size_t n;
	if (!fp)
		return false;
	f->data = malloc(VC_MAX_EF);
	n = f->data ? fread(f->data, 1, VC_MAX_EF, fp) : 0;
	fclose(fp);
	if (!f->data)
		return false;
	f->len = n;
	return true;
}

static bool load_tree(struct vc_card *c, const char *path, int self)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool ok = true;
	if (!d)
		return false;
	while (ok && (e = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		struct stat st;
		uint16_t fid;
		struct vc_file *f;
		if (!fid_name(e->d_name, &fid))
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		if (stat(sub, &st) != 0 || c->nfiles >= VC_MAX_FILES) {
			ok = false;
			break;
		}
		f = &c->files[c->nfiles];
		memset(f, 0, sizeof *f);
		f->fid = fid;
		f->parent = self;
		f->is_df = S_ISDIR(st.st_mode);
		c->nfiles++;
		ok = f->is_df ? load_tree(c, sub, c->nfiles - 1) : load_ef(f, sub);
	}
	closedir(d);
	return ok;
}

static bool load_keys(struct vc_card *c)
{
	for (int i = 0; i < c->nkeys; i++) {
		char path[PATH_MAX];
		FILE *f;
		snprintf(path, sizeof path, "%s/keys/%s", c->dir, c->keys[i].pem);
		f = fopen(path, "r");
		if (!f) {
			fprintf(stderr, "akis-vcard: %s: %s\n", path, strerror(errno));
			return false;
		}
		c->keys[i].pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (!c->keys[i].pkey) {
			fprintf(stderr, "akis-vcard: %s: not a private key\n", path);
			return false;
		}
	}
	return true;
}

bool vc_image_load(struct vc_card *c, const char *dir)
{
	char path[PATH_MAX];
	memset(c, 0, sizeof *c);
	snprintf(c->dir, sizeof c->dir, "%s", dir);
	c->profile = VC_AKIS_12;
	c->life_cycle = 0xA5;
	if (!load_conf(c) || !load_keys(c))
		return false;
	/* the MF is files[0] */
	c->files[0].fid = 0x3F00;
	c->files[0].is_df = true;
	c->files[0].parent = -1;
	c->nfiles = 1;
	snprintf(path, sizeof path, "%s/fs/3F00", dir);
	if (!load_tree(c, path, 0)) {
		fprintf(stderr, "akis-vcard: cannot load the file system under %s\n", path);
		return false;
	}
	return true;
}

void vc_image_free(struct vc_card *c)
{
	for (int i = 0; i < c->nfiles; i++)
		free(c->files[i].data);
	for (int i = 0; i < c->nkeys; i++)
		EVP_PKEY_free(c->keys[i].pkey);
	memset(c, 0, sizeof *c);
}

static void write_conf(const struct vc_card *c, FILE *f)
{
	char hex[2 * sizeof c->atr + 1];
	fprintf(f, "# akis-vcard card image (see tests/vcard/image.c for the syntax)\n");
	fprintf(f, "profile = %s\n", vc_profile_names[c->profile]);
	vc_hex_encode(c->atr, c->atr_len, hex);
	fprintf(f, "atr = %s\n", hex);
	vc_hex_encode(c->serial, sizeof c->serial, hex);
	fprintf(f, "serial = %s\n", hex);
	fprintf(f, "life_cycle = %02X\n", c->life_cycle);
	fprintf(f, "# pin.REF = VALUE TRIES_LEFT MAX_TRIES\n");
	for (int i = 0; i < c->npins; i++)
		fprintf(f, "pin.%02X = %s %d %d\n", c->pins[i].ref, c->pins[i].value,
		        c->pins[i].tries, c->pins[i].max);
	fprintf(f, "# key = REF ALG USAGE USER_CONSENT PEMFILE\n");
	for (int i = 0; i < c->nkeys; i++) {
		const struct vc_key *k = &c->keys[i];
		fprintf(f, "key = %02X %s %s %d %s\n", k->ref, alg_names[k->alg],
		        k->can_sign && k->can_decrypt ? "sign+decrypt"
		        : k->can_decrypt              ? "decrypt"
		        : k->can_sign                 ? "sign"
		                                      : "derive",
		        k->user_consent ? 1 : 0, k->pem);
	}
}

bool vc_image_save(const struct vc_card *c)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	FILE *f;
	bool ok;
	snprintf(path, sizeof path, "%s/card.conf", c->dir);
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return false;
	write_conf(c, f);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = (fclose(f) == 0) && ok;
	if (ok && rename(tmp, path) == 0)
		return true;
	unlink(tmp);
	return false;
}
