/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis/: the AKİS card profile (docs/card.md): ATRs and versions, card
 * identity, the PKCS#15 object directory (and the no-directory fallback),
 * PINs, key selection, signing, deciphering.
 *
 * Used by pkcs11/ and by akis-tool. Includes no pkcs11.h, returns no CK_RV.
 * Status words become akis_rv through one table (akis/sw.c).
 *
 * Lock contract: functions named *_tx must be called between akis_begin()
 * and akis_end() (one PC/SC transaction); the caller also serialises all
 * calls on one struct akis_card (the PKCS#11 slot mutex).
 */
#ifndef AKIS_AKIS_AKIS_H
#define AKIS_AKIS_AKIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../apdu/apdu.h"

#define AKIS_CARD_READER_MAX 128u /* a PC/SC reader name with its NUL */
#define AKIS_WUR             __attribute__((warn_unused_result))

typedef enum {
	AKIS_OK = 0,
	AKIS_ERR_ARGS, /* caller error */
	AKIS_ERR_NO_MEMORY,
	AKIS_ERR_BUFFER, /* output buffer too small (nothing sent) */
	/* transport (from apdu_rv) */
	AKIS_ERR_NO_SERVICE, /* pcscd gone */
	AKIS_ERR_REMOVED,    /* card or reader removed */
	AKIS_ERR_RESET,      /* card reset by someone: security state lost */
	AKIS_ERR_SHARING,    /* held exclusively elsewhere */
	AKIS_ERR_COMM,       /* other transport failure, malformed response framing */
	AKIS_ERR_TIMEOUT,
	AKIS_ERR_CANCELLED, /* PIN pad cancel */
	/* card (from status words, through akis/sw.c) */
	AKIS_ERR_NOT_AKIS,      /* ATR or answers not those of an AKİS card */
	AKIS_ERR_CARD_DATA,     /* malformed card data, or an unexpected status word */
	AKIS_ERR_PIN_INCORRECT, /* 63Cx; tries left reported beside */
	AKIS_ERR_PIN_BLOCKED,   /* 6983 (2.x) / 6984 (1.x) on a PIN */
	AKIS_ERR_PIN_LEN,       /* PIN length outside the card's range (host check or 6700) */
	AKIS_ERR_PIN_INVALID,   /* PIN charset not allowed by the card (host check) or 6A80 on a new
	                           PIN */
	AKIS_ERR_NOT_LOGGED_IN, /* 6982 security status not satisfied */
	AKIS_ERR_CONDITIONS,    /* 6985 */
	AKIS_ERR_NOT_FOUND,     /* 6A82 file / 6A88 reference not found */
	AKIS_ERR_BAD_DATA,      /* 6A80 on data other than a PIN */
	AKIS_ERR_NOT_SUPPORTED, /* 6A81, 6D00, 6E00, 6A86, or not available on this profile/key */
	AKIS_ERR_DEAD,          /* life cycle AA: application unusable (PUK exhausted) */
} akis_rv;

const char *akis_rv_name(akis_rv rv);

/* ----- ATR, profile, version (docs/card.md §1) ----- */

enum akis_profile {
	AKIS_PROFILE_1_0, /* RSA, raw-digit PINs */
	AKIS_PROFILE_1_2, /* 1.x dialect (all 1.1–1.9 cards) */
	AKIS_PROFILE_2,   /* 2.x dialect, RSA + EC */
};

struct akis_atr_info {
	enum akis_profile profile;
	char version[16]; /* "1.0", "1.2.2", "2.5.2", "2.2.8" as far as the ATR tells */
	char chip[16];    /* "Infineon", "NXP", "" when unknown */
};

/* Is this an AKİS ATR? Fills *info when it is. No APDU. */
bool akis_atr_match(const uint8_t *atr, size_t len, struct akis_atr_info *info);

/* ----- status words (akis/sw.c: one table) ----- */

/* *tries is set for 63Cx (else left alone). `new_pin` tells a 6A80 on
 * CHANGE / RESET RETRY COUNTER apart (AKIS_ERR_PIN_INVALID). */
akis_rv akis_sw_to_rv(enum akis_profile profile, uint16_t sw, bool new_pin, int *tries);

/* ----- the card model ----- */

#define AKIS_MAX_KEYS   8u
#define AKIS_MAX_CERTS  16u
#define AKIS_ID_MAX     32u
#define AKIS_LABEL_MAX  64u
#define AKIS_PATH_MAX   8u
#define AKIS_SERIAL_MAX 16u
#define AKIS_CERT_MAX   8192u /* largest certificate file read */
/* Longest PIN or PUK, in characters, at every interface (module, tool):
 * longer is refused before any APDU (R18). */
#define AKIS_PIN_MAX 64u

enum akis_pin_which { AKIS_PIN_USER = 0, AKIS_PIN_SO = 1 /* the PUK */ };

enum akis_pin_encoding {
	AKIS_PIN_ENC_ASCII,           /* ascii-numeric / utf8: one ASCII digit per byte */
	AKIS_PIN_ENC_HALF_NIBBLE_BCD, /* one digit per byte as 0x00–0x09 (akis-1.0) */
	AKIS_PIN_ENC_BCD,             /* two digits per byte */
};

struct akis_pin_info {
	bool present;
	uint8_t ref; /* 0x81 user, 0x82 PUK unless the AODF says otherwise */
	enum akis_pin_encoding enc;
	unsigned min_len, max_len; /* in digits/characters */
	unsigned pad_len;          /* storedLength when padding is required, else 0 */
	uint8_t pad_char;
	bool digits_only; /* charset: digits only */
	char label[AKIS_LABEL_MAX];
	uint8_t auth_id[AKIS_ID_MAX]; /* AODF authId (keys name their PIN by it) */
	size_t auth_id_len;
};

enum akis_key_type { AKIS_KEY_RSA, AKIS_KEY_EC };

/* PKCS#15 KeyUsageFlags bits (ISO 7816-15), as in the PrKDF. */
#define AKIS_USAGE_ENCRYPT         0x001u
#define AKIS_USAGE_DECRYPT         0x002u
#define AKIS_USAGE_SIGN            0x004u
#define AKIS_USAGE_SIGN_RECOVER    0x008u
#define AKIS_USAGE_WRAP            0x010u
#define AKIS_USAGE_UNWRAP          0x020u
#define AKIS_USAGE_VERIFY          0x040u
#define AKIS_USAGE_VERIFY_RECOVER  0x080u
#define AKIS_USAGE_DERIVE          0x100u
#define AKIS_USAGE_NON_REPUDIATION 0x200u

struct akis_cert {
	uint8_t id[AKIS_ID_MAX];
	size_t id_len;
	char label[AKIS_LABEL_MAX];
	uint8_t path[AKIS_PATH_MAX]; /* from the MF, without 3F00: 3D 00 2F 10 */
	size_t path_len;
	bool authority; /* CDF says CA certificate */
	uint8_t *der;   /* the certificate (malloc'd, owned by the card) */
	size_t der_len;
};

struct akis_key {
	uint8_t id[AKIS_ID_MAX]; /* PKCS#15 iD; empty when the card gave none */
	size_t id_len;
	char label[AKIS_LABEL_MAX];
	uint8_t key_ref;         /* the card's key reference (MSE) */
	enum akis_key_type type; /* from the PrKDF choice; else from the certificate */
	unsigned bits;           /* modulus bits / field bits; 0 = unknown */
	unsigned usage;          /* AKIS_USAGE_* */
	bool user_consent;       /* PIN per signature (CKA_ALWAYS_AUTHENTICATE) */
	uint8_t auth_pin_ref;    /* the PIN guarding the key (0x81) */
	int cert;                /* index into certs, -1 none */
	uint8_t *spki;           /* SubjectPublicKeyInfo DER from a PuKDF entry, or NULL */
	size_t spki_len;
};

struct akis_card {
	struct apdu_card *io;
	struct akis_atr_info atr;

	/* identity (akis_bind_tx; the life cycle akis_life_cycle_tx) */
	uint8_t serial[AKIS_SERIAL_MAX]; /* GET DATA 01 06, 12 bytes at offset 55 */
	size_t serial_len;
	uint8_t life_cycle;                /* A5 user, A0 admin, AA dead; 0 unknown (not read) */
	char manufacturer[AKIS_LABEL_MAX]; /* TokenInfo, default "TUBITAK BILGEM" */
	char token_label[AKIS_LABEL_MAX];  /* TokenInfo label, may be empty */

	/* directory */
	bool has_efdir;
	bool has_pkcs15;              /* ODF found */
	struct akis_pin_info pins[2]; /* indexed by enum akis_pin_which */
	struct akis_key keys[AKIS_MAX_KEYS];
	size_t n_keys;
	struct akis_cert certs[AKIS_MAX_CERTS];
	size_t n_certs;

	/* PC/SC part 10 PIN pad (discovered at bind; 0 = none) */
	uint32_t pinpad_verify_ioctl;
	uint32_t pinpad_modify_ioctl;

	/* private state of akis/ (selection cache etc.) */
	uint8_t cur_path[AKIS_PATH_MAX];
	size_t cur_path_len;             /* 0 = unknown */
	bool cur_is_df;                  /* cur_path names a DF (else an EF in its parent) */
	bool no_path_select;             /* card refused SELECT by path: select FID by FID */
	uint8_t app_path[AKIS_PATH_MAX]; /* the PKCS#15 DF from the MF, without 3F00 (3D 00) */
	size_t app_path_len;
	/* Security state this process may have put on the card (pin.c): a
	 * VERIFY or CHANGE of ours whose answer does not rule out that the PIN
	 * (index AKIS_PIN_USER) or PUK (AKIS_PIN_SO) is now verified. Cleared
	 * by a LOGOUT the card accepted and by any reset (R22). */
	bool maybe_verified[2];
	bool reset_at_end; /* a LOGOUT failed: akis_end resets the card (R22) */
	/* the reader (akis_card_open; empty for a card made with akis_card_new)
	 * and whether the logout guard has it marked (guard.c) */
	char reader[AKIS_CARD_READER_MAX];
	pid_t guard_pid;          /* the process whose guard has this card marked, 0: none */
	unsigned long cache_hits; /* certificate files taken from the on-disk cache */
	unsigned long binds;      /* files read at the last bind (tests, benchmarks) */
};

/* Wrap a connected card (ownership of io moves to the card on success).
 * No APDU. */
akis_rv akis_card_new(struct apdu_card *io, const struct akis_atr_info *atr,
                      struct akis_card **out) AKIS_WUR;
/* Frees everything, closes io. NULL is fine. */
void akis_card_free(struct akis_card *card);
/* The logout guard (akis/guard.c): when nothing is marked, let it go (the
 * module calls this at C_Finalize; the next PIN starts a new one). */
void akis_guard_idle(void);

/*
 * Transaction around a card operation. If the card was reset by someone
 * else, akis_begin reconnects, forgets the selection, begins again, sets
 * *was_reset (the caller must consider every PIN unverified) and returns
 * AKIS_OK. AKIS_ERR_REMOVED when the card is gone.
 */
akis_rv akis_begin(struct akis_card *card, bool *was_reset) AKIS_WUR;
/* Ends the transaction, with a card reset when a LOGOUT in it failed
 * (akis_logout_tx): every application then finds no PIN verified. */
void akis_end(struct akis_card *card);

/*
 * Read the serial, the PKCS#15 directory (EF.DIR → ODF → TokenInfo, AODF,
 * PrKDF, CDF, PuKDF) or, without it, the fallback of docs/card.md §2, and
 * every certificate file. Each file is read once. cache_dir: directory for
 * the validated on-disk cache of public data (R44), NULL for none.
 * Returns AKIS_OK; AKIS_ERR_DEAD when the card refuses the directory and its
 * life cycle is AA (the serial stays filled in); transport errors;
 * AKIS_ERR_CARD_DATA for a malformed directory (nothing half-bound). A dead
 * card whose directory can still be read binds AKIS_OK: akis_card_read_tx
 * (reader.h) tells it by the PUK state and the life cycle.
 */
akis_rv akis_bind_tx(struct akis_card *card, const char *cache_dir) AKIS_WUR;

/*
 * GET DATA 01 04 into card->life_cycle (0 when the card answers a status
 * word). AKIS_OK, or a transport error.
 */
akis_rv akis_life_cycle_tx(struct akis_card *card) AKIS_WUR;

/* ----- PINs (docs/card.md §3) ----- */

/* Host-side check of a PIN against the card's rules: AKIS_ERR_PIN_LEN or
 * AKIS_ERR_PIN_INVALID, never an APDU. */
akis_rv akis_pin_check(const struct akis_card *card, enum akis_pin_which which, const char *pin,
                       size_t len) AKIS_WUR;

struct akis_pin_status {
	bool verified; /* VERIFY status query said 9000 */
	bool blocked;
	int tries_left; /* -1 when the card did not say */
};
/* VERIFY without data: never spends a try. AKIS_OK with *st filled (63Cx,
 * 6983/6984 are reported in *st); AKIS_ERR_DEAD without an APDU when the
 * life cycle is AA. */
akis_rv akis_pin_status_tx(struct akis_card *card, enum akis_pin_which which,
                           struct akis_pin_status *st) AKIS_WUR;
/* VERIFY. On AKIS_ERR_PIN_INCORRECT *tries_left is the card's count.
 * verify/change/unblock: AKIS_ERR_PIN_LEN / _PIN_INVALID from the host
 * check and AKIS_ERR_DEAD (life cycle AA) without any APDU. */
akis_rv akis_pin_verify_tx(struct akis_card *card, enum akis_pin_which which, const char *pin,
                           size_t len, int *tries_left) AKIS_WUR;
/* CHANGE REFERENCE DATA in the profile's dialect. */
akis_rv akis_pin_change_tx(struct akis_card *card, enum akis_pin_which which, const char *old_pin,
                           size_t old_len, const char *new_pin, size_t new_len,
                           int *tries_left) AKIS_WUR;
/* RESET RETRY COUNTER of the user PIN with a new value; the PUK must have
 * been verified in this card session (akis_pin_verify_tx(AKIS_PIN_SO)). */
akis_rv akis_pin_unblock_tx(struct akis_card *card, const char *new_pin, size_t new_len) AKIS_WUR;
/*
 * LOGOUT: clears the security state of DF 3D00 (and the MF). When the card
 * refuses it or answers nonsense, the state is cleared another way: the
 * transaction ends with a card reset (akis_end), said in the trace, and
 * AKIS_OK is returned. Only a card that is gone (or pcscd) is an error.
 */
akis_rv akis_logout_tx(struct akis_card *card) AKIS_WUR;
/* May a VERIFY or CHANGE of ours have left this PIN verified on the card
 * (since the last LOGOUT or reset)? No APDU. */
bool akis_pin_maybe_verified(const struct akis_card *card, enum akis_pin_which which);

/* PIN pad (PC/SC part 10). Available when card->pinpad_verify_ioctl != 0. */
akis_rv akis_pinpad_verify_tx(struct akis_card *card, enum akis_pin_which which,
                              int *tries_left) AKIS_WUR;
/* FEATURE_MODIFY_PIN_DIRECT: can the reader change this PIN (old PIN, new
 * PIN twice on the pad) / reset the user PIN (new PIN twice) for this card's
 * PIN layout? No exchange; false with the reason logged (no such feature, a
 * 1.x card with variable-length PINs for a change). */
bool akis_pinpad_can_change(const struct akis_card *card, enum akis_pin_which which);
bool akis_pinpad_can_unblock(const struct akis_card *card);
/* CHANGE REFERENCE DATA on the pad, SWs as akis_pin_change_tx (64xx from the
 * reader: AKIS_ERR_TIMEOUT/_CANCELLED/_PIN_INVALID (new PINs differ)/_PIN_LEN);
 * AKIS_ERR_NOT_SUPPORTED or AKIS_ERR_DEAD without any exchange. */
akis_rv akis_pinpad_change_tx(struct akis_card *card, enum akis_pin_which which,
                              int *tries_left) AKIS_WUR;
/* RESET RETRY COUNTER of the user PIN, the new PIN on the pad; the PUK must
 * have been verified, as for akis_pin_unblock_tx. */
akis_rv akis_pinpad_unblock_tx(struct akis_card *card) AKIS_WUR;

/* ----- keys (docs/card.md §3, both dialects) ----- */

enum akis_sign_alg {
	AKIS_SIGN_RSA_RAW,   /* input: modulus-length block; output: raw RSA */
	AKIS_SIGN_RSA_PKCS1, /* input: DigestInfo (or any data ≤ k-11); card pads PKCS#1 v1.5 */
	AKIS_SIGN_RSA_PSS,   /* input: hash (akis-2 only, natively) */
	AKIS_SIGN_ECDSA,     /* input: hash, truncated by caller; output raw r‖s */
};

/* Does the card do this natively with this key? (no APDU) */
bool akis_key_can(const struct akis_card *card, size_t key, enum akis_sign_alg alg);

/* Select the key and sign (MSE + PSO CDS, chaining for 256-byte input,
 * GET RESPONSE for 256-byte output). out_cap must hold the whole result
 * (else AKIS_ERR_BUFFER, nothing sent). */
akis_rv akis_sign_tx(struct akis_card *card, size_t key, enum akis_sign_alg alg, const uint8_t *in,
                     size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len) AKIS_WUR;
/* The same without making the application DF current first: MSE and PSO
 * go to whatever DF this transaction finds current (another application
 * may have selected another one since our last transaction). Only for a
 * caller that proves the signature with the key's public key and, when it
 * does not verify or the card refuses, signs again with akis_sign_tx
 * (docs/design.md "The signature without a SELECT"). */
akis_rv akis_sign_here_tx(struct akis_card *card, size_t key, enum akis_sign_alg alg,
                          const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                          size_t *out_len) AKIS_WUR;
/* Raw RSA decipher (PSO DECIPHER with the 00 padding indicator); the
 * caller removes the padding. */
akis_rv akis_decrypt_tx(struct akis_card *card, size_t key, const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t out_cap, size_t *out_len) AKIS_WUR;
/* GET CHALLENGE, as many times as needed. */
akis_rv akis_random_tx(struct akis_card *card, uint8_t *out, size_t len) AKIS_WUR;

#endif
