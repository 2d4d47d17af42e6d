/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Token objects (docs/design.md "Object mapping", R13, R23-R26): built once per
 * binding of a card into attribute arrays; find and get-attribute are
 * generic loops over them and never touch the card.
 *
 * Owned by pkcs11/object.c (builders: one per class) and used by the
 * session code in pkcs11/.
 */
#ifndef AKIS_PKCS11_OBJECT_H
#define AKIS_PKCS11_OBJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "../akis/akis.h"
#include "p11.h"

struct p11_attr {
	CK_ATTRIBUTE_TYPE type;
	void *value; /* malloc'd copy (NULL when len is 0) */
	CK_ULONG len;
	bool sensitive; /* reading it gives CKR_ATTRIBUTE_SENSITIVE */
};

struct p11_object {
	CK_OBJECT_HANDLE handle;
	CK_OBJECT_CLASS klass;
	bool is_private; /* CKA_PRIVATE: visible only when the user is logged in */
	int key;         /* index into akis_card.keys for key objects, else -1 */
	struct p11_attr *attrs;
	size_t n_attrs;
};

struct p11_objset {
	struct p11_object *objs;
	size_t n;
};

/*
 * Build every object of a bound card: per key a private key, a public key
 * (when the public key is known from a certificate or the PuKDF) and the
 * certificate, sharing one CKA_ID (R23: derived from the public key when
 * the card's IDs are missing or collide); CA certificates on the card as
 * certificate objects; one CKO_PROFILE object (R13). Handles are
 * first_handle, first_handle+1, ... (the caller makes them unique per
 * binding). Returns CKR_OK, CKR_HOST_MEMORY, CKR_DEVICE_ERROR (a
 * certificate that does not parse is skipped and logged, not an error).
 */
CK_RV p11_objects_build(const struct akis_card *card, CK_OBJECT_HANDLE first_handle,
                        struct p11_objset *out);
void p11_objects_free(struct p11_objset *set);
/* R46 (per-signature PIN compatibility mode): every CKA_ALWAYS_AUTHENTICATE
 * of the set reads FALSE, the module giving the PIN itself. */
void p11_objects_no_always_auth(struct p11_objset *set);

/* Object by handle, or NULL. */
const struct p11_object *p11_objects_find_handle(const struct p11_objset *set, CK_OBJECT_HANDLE h);

/* Does obj match every attribute of the template (byte-exact values)?
 * An empty template matches everything. */
bool p11_object_match(const struct p11_object *obj, const CK_ATTRIBUTE *tmpl, CK_ULONG n);

/* C_GetAttributeValue rules (PKCS#11 2.40 §5.7 / 3.0 §5.7.5): per
 * attribute NULL value → length; too small → CK_UNAVAILABLE_INFORMATION and
 * CKR_BUFFER_TOO_SMALL; sensitive → CK_UNAVAILABLE_INFORMATION and
 * CKR_ATTRIBUTE_SENSITIVE; absent → CK_UNAVAILABLE_INFORMATION and
 * CKR_ATTRIBUTE_TYPE_INVALID; all attributes processed. */
CK_RV p11_object_get_attrs(const struct p11_object *obj, CK_ATTRIBUTE *tmpl, CK_ULONG n);

/* A single attribute's value, or NULL. */
const struct p11_attr *p11_object_attr(const struct p11_object *obj, CK_ATTRIBUTE_TYPE type);

#endif
