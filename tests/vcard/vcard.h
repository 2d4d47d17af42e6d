/* akis-vcard: a virtual AKIS card (card side of docs/card.md).
 * Shares no code with the module (apdu/, akis/, pkcs11/). */
#ifndef AKIS_VCARD_H
#define AKIS_VCARD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

#define VC_WARN_UNUSED __attribute__((warn_unused_result))

#define VC_MAX_FILES   48
#define VC_MAX_KEYS    8
#define VC_MAX_PINS    4
#define VC_MAX_EF      (32 * 1024) /* largest EF we load */
#define VC_RESP_MAX    1024        /* largest response a handler builds */
#define VC_CHAIN_MAX   1024        /* command chaining accumulator, docs/card.md §3 */
#define VC_RESP_CAP    244         /* docs/card.md §1: at most 244 data bytes per response */
#define VC_PIN_MIN     4
#define VC_PIN_MAX     8

enum vc_profile { VC_AKIS_10, VC_AKIS_12, VC_AKIS_2 };

/* Status words (ISO 7816-4 §5.1.3, docs/card.md §5). */
enum {
	SW_OK = 0x9000,
	SW_EOF = 0x6282,
	SW_WRONG_LEN = 0x6700,
	SW_SEC_STATUS = 0x6982,
	SW_AUTH_BLOCKED = 0x6983,
	SW_REF_UNUSABLE = 0x6984,
	SW_CONDITIONS = 0x6985,
	SW_NO_EF = 0x6986,
	SW_LAST_CHAIN = 0x6883,
	SW_WRONG_DATA = 0x6A80,
	SW_NOT_FOUND = 0x6A82,
	SW_P1P2 = 0x6A86,
	SW_LC_P1P2 = 0x6A87,
	SW_REF_NOT_FOUND = 0x6A88,
	SW_WRONG_OFFSET = 0x6B00,
	SW_INS = 0x6D00,
	SW_CLA = 0x6E00,
	SW_UNKNOWN = 0x6F00,
};

struct vc_file {
	uint16_t fid;
	bool is_df;
	int parent;    /* index into files[], -1 for the MF */
	uint8_t *data; /* EF contents */
	size_t len;
};

struct vc_pin {
	uint8_t ref;                /* 0x81 user PIN, 0x82 PUK (DF 3D00); 0x01/0x02 system (MF) */
	char value[VC_PIN_MAX + 1]; /* ASCII digits, whatever the wire encoding */
	int tries;
	int max;
	bool verified; /* volatile */
};

enum vc_key_alg { VC_RSA2048, VC_EC_P256, VC_EC_P384 };

struct vc_key {
	uint8_t ref;
	enum vc_key_alg alg;
	bool can_sign;
	bool can_decrypt;
	bool user_consent; /* akis-2: a VERIFY per signature */
	bool consent_ok;   /* volatile: a VERIFY happened since the last signature */
	char pem[64];      /* file name under DIR/keys */
	EVP_PKEY *pkey;
};

enum vc_se_op { VC_SE_NONE, VC_SE_ANY, VC_SE_SIGN, VC_SE_DECIPHER };

struct vc_card {
	char dir[PATH_MAX / 2];
	enum vc_profile profile;
	uint8_t atr[33];
	size_t atr_len;
	uint8_t serial[12];
	uint8_t life_cycle;
	struct vc_pin pins[VC_MAX_PINS];
	int npins;
	struct vc_key keys[VC_MAX_KEYS];
	int nkeys;
	struct vc_file files[VC_MAX_FILES];
	int nfiles;

	/* volatile state, cleared by a reset */
	int cur_df;
	int cur_ef; /* -1: none */
	int se_key; /* -1: none */
	enum vc_se_op se_op;
	uint8_t se_alg;
	bool chaining;
	uint8_t chain_hdr[4];
	uint8_t chain[VC_CHAIN_MAX];
	size_t chain_len;
	uint8_t pend[VC_RESP_MAX];
	size_t pend_len;
	size_t pend_off;
	uint16_t pend_sw;
};

/* A parsed command APDU (ISO 7816-4 §5.1, short form only). */
struct vc_cmd {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	bool has_le;
	size_t le; /* 1..256 when has_le */
};

/* What a handler answers: data and a status word. */
struct vc_resp {
	uint8_t data[VC_RESP_MAX];
	size_t len;
	uint16_t sw;
	bool sized; /* the handler already applied Le (READ BINARY, GET CHALLENGE) */
};

static inline bool vc_is_1x(const struct vc_card *c)
{
	return c->profile != VC_AKIS_2;
}

/* The blocked code per profile, docs/card.md §3 VERIFY. */
static inline uint16_t vc_blocked_sw(const struct vc_card *c)
{
	return vc_is_1x(c) ? SW_REF_UNUSABLE : SW_AUTH_BLOCKED;
}

#endif
