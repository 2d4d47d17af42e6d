/* SPDX-License-Identifier: BSD-3-Clause */
#include "rv.h"

CK_RV p11_rv_from_akis(akis_rv rv)
{
	switch (rv) {
	case AKIS_OK:
		return CKR_OK;
	case AKIS_ERR_ARGS:
		return CKR_ARGUMENTS_BAD;
	case AKIS_ERR_NO_MEMORY:
		return CKR_HOST_MEMORY;
	case AKIS_ERR_BUFFER:
		return CKR_BUFFER_TOO_SMALL;
	case AKIS_ERR_NO_SERVICE: /* pcscd gone: the token is unreachable (R35) */
	case AKIS_ERR_REMOVED:
		return CKR_DEVICE_REMOVED;
	case AKIS_ERR_RESET: /* docs/design.md "Transactions": security state is gone */
	case AKIS_ERR_NOT_LOGGED_IN:
		return CKR_USER_NOT_LOGGED_IN;
	case AKIS_ERR_SHARING:
	case AKIS_ERR_COMM:
	case AKIS_ERR_CARD_DATA:
		return CKR_DEVICE_ERROR;
	case AKIS_ERR_TIMEOUT: /* PIN pad timeout (R19) */
	case AKIS_ERR_CANCELLED:
		return CKR_FUNCTION_CANCELED;
	case AKIS_ERR_NOT_AKIS:
		return CKR_TOKEN_NOT_RECOGNIZED;
	case AKIS_ERR_PIN_INCORRECT:
		return CKR_PIN_INCORRECT;
	case AKIS_ERR_PIN_BLOCKED:
	case AKIS_ERR_DEAD: /* PUK exhausted: no PIN can ever be verified */
		return CKR_PIN_LOCKED;
	case AKIS_ERR_PIN_LEN:
		return CKR_PIN_LEN_RANGE;
	case AKIS_ERR_PIN_INVALID:
		return CKR_PIN_INVALID;
	case AKIS_ERR_CONDITIONS:
	case AKIS_ERR_NOT_FOUND:
		return CKR_FUNCTION_FAILED;
	case AKIS_ERR_BAD_DATA:
		return CKR_DATA_INVALID;
	case AKIS_ERR_NOT_SUPPORTED:
		return CKR_FUNCTION_NOT_SUPPORTED;
	}
	return CKR_GENERAL_ERROR;
}
