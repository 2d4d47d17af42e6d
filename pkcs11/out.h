/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PKCS#11 output conventions, written once (docs/style.md "Handles and
 * objects"): text fields blank-padded, and the two-call pattern for
 * outputs whose size the caller asks first.
 */
#ifndef AKIS_PKCS11_OUT_H
#define AKIS_PKCS11_OUT_H

#include <stddef.h>

#include "p11.h"

/* A PKCS#11 text field: src, blank-padded, truncated at cap, no NUL
 * (PKCS#11 3.0 §3.2 "blank padded"). */
void p11_pad_copy(CK_UTF8CHAR *dst, size_t cap, const char *src);

/*
 * PKCS#11 3.0 §5.2: n elements of `size` bytes at src to dst, whose room
 * is *count elements. dst NULL: *count = n, CKR_OK (the size query); *count
 * < n: *count = n, CKR_BUFFER_TOO_SMALL, nothing copied; else copied,
 * *count = n, CKR_OK.
 */
CK_RV p11_out_array(void *dst, CK_ULONG *count, const void *src, size_t n, size_t size) P11_WUR;

/* The same for bytes: CKR_ARGUMENTS_BAD when out_len is NULL. */
CK_RV p11_output(const void *src, CK_ULONG len, CK_BYTE_PTR out, CK_ULONG_PTR out_len);

#endif
