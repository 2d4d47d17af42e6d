/* SPDX-License-Identifier: BSD-3-Clause */
#include "out.h"

#include <string.h>

void p11_pad_copy(CK_UTF8CHAR *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	memset(dst, ' ', cap);
	memcpy(dst, src, n < cap ? n : cap);
}

CK_RV p11_out_array(void *dst, CK_ULONG *count, const void *src, size_t n, size_t size)
{
	if (dst != NULL && *count < n) {
		*count = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (dst != NULL && n > 0)
		memcpy(dst, src, n * size);
	*count = n;
	return CKR_OK;
}

CK_RV p11_output(const void *src, CK_ULONG len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	if (out_len == NULL)
		return CKR_ARGUMENTS_BAD;
	return p11_out_array(out, out_len, src, len, 1);
}
