/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What akis-tool shows about one certificate, parsed with OpenSSL from
 * akis_card.certs[i].der. Pure: no card, no clock, no output.
 */
#ifndef AKIS_TOOL_CERTINFO_H
#define AKIS_TOOL_CERTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOOL_NAME_MAX        256u
#define TOOL_DN_MAX          512u
#define TOOL_OID_MAX         64u
#define TOOL_POLICIES_MAX    8u
#define TOOL_CERT_SERIAL_MAX 96u

/* Purposes (a bit set: one certificate may have several). */
#define TOOL_PURPOSE_QUALIFIED 0x01u /* NES: nonRepudiation + QcCompliance */
#define TOOL_PURPOSE_SIGNATURE 0x02u /* nonRepudiation without QcCompliance */
#define TOOL_PURPOSE_AUTH      0x04u /* digitalSignature without nonRepudiation */
#define TOOL_PURPOSE_ENCRYPT   0x08u /* keyEncipherment / keyAgreement */
#define TOOL_PURPOSE_CA        0x10u /* basicConstraints cA */
#define TOOL_PURPOSE_ANY       0x20u /* no KeyUsage extension */
/* An organisation's seal (e-seal, Mali Mühür, R48): nonRepudiation in a
 * certificate whose subject is an organisation (O) numbered by its
 * 10-digit tax number (VKN) in serialNumber; a person's TCKN has 11. */
#define TOOL_PURPOSE_ESEAL 0x40u

/* KeyUsage bits as X.509 names them (RFC 5280 §4.2.1.3), bit 0 first. */
#define TOOL_KU_DIGITAL_SIGNATURE 0x001u
#define TOOL_KU_NON_REPUDIATION   0x002u
#define TOOL_KU_KEY_ENCIPHERMENT  0x004u
#define TOOL_KU_DATA_ENCIPHERMENT 0x008u
#define TOOL_KU_KEY_AGREEMENT     0x010u
#define TOOL_KU_KEY_CERT_SIGN     0x020u
#define TOOL_KU_CRL_SIGN          0x040u
#define TOOL_KU_ENCIPHER_ONLY     0x080u
#define TOOL_KU_DECIPHER_ONLY     0x100u

struct tool_cert {
	bool parsed;                        /* false: DER unreadable, only label/id valid */
	char label[64];                     /* from the card's CDF (may be empty) */
	char id_hex[65];                    /* PKCS#15 iD, hex */
	char holder[TOOL_NAME_MAX];         /* subject CN */
	char subject_serial[TOOL_NAME_MAX]; /* subject serialNumber (TCKN; an e-seal's VKN) */
	char organization[TOOL_NAME_MAX];   /* subject O, may be empty */
	char subject[TOOL_DN_MAX];          /* RFC 2253, UTF-8 */
	char issuer[TOOL_DN_MAX];
	char issuer_cn[TOOL_NAME_MAX];
	char serial_hex[TOOL_CERT_SERIAL_MAX]; /* certificate serial number */
	time_t not_before, not_after;          /* UTC */
	bool has_key_usage;
	unsigned key_usage; /* TOOL_KU_* */
	bool has_qc_statements;
	bool qc_compliance; /* id-etsi-qcs-QcCompliance 0.4.0.1862.1.1 */
	bool is_ca;
	bool authority;    /* the card's CDF says CA certificate */
	unsigned purposes; /* TOOL_PURPOSE_* */
	char policies[TOOL_POLICIES_MAX][TOOL_OID_MAX];
	size_t n_policies;
};

/* Parse one DER certificate. On false, *out has parsed = false and every
 * string empty. Never reads past der + len. */
bool tool_cert_parse(const uint8_t *der, size_t len, struct tool_cert *out)
        __attribute__((warn_unused_result));

/* An organisation's certificate (R48): subject O, and a VKN as serialNumber. */
bool tool_cert_is_organisation(const struct tool_cert *c);

/* Purposes from key usage, qcStatements, basicConstraints (see the bits). */
unsigned tool_cert_purposes(const struct tool_cert *c);

enum tool_validity { TOOL_VALID, TOOL_EXPIRED, TOOL_NOT_YET_VALID };
enum tool_validity tool_cert_validity(const struct tool_cert *c, time_t now);

/* "2027-01-31 23:59 UTC" into out (cap >= 24). */
void tool_time_text(time_t t, char *out, size_t cap);
/* "2027-01-31T23:59:59Z" into out (cap >= 21). */
void tool_time_iso(time_t t, char *out, size_t cap);

#endif
