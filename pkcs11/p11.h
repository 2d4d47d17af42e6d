/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one place that includes pkcs11.h (p11-kit's 2.40 header, Debian 12)
 * and adds the few PKCS#11 3.0 definitions it lacks, with the values of the
 * OASIS PKCS#11 3.0 specification, each guarded so that a newer header
 * takes over.
 */
#ifndef AKIS_PKCS11_P11_H
#define AKIS_PKCS11_P11_H

#define CRYPTOKI_COMPAT 1
#include <p11-kit/pkcs11.h>

#ifndef CKO_PROFILE
#define CKO_PROFILE (0x9UL)
#endif
#ifndef CKA_PROFILE_ID
#define CKA_PROFILE_ID (0x601UL)
#endif
#ifndef CKP_INVALID_ID
#define CKP_INVALID_ID (0x0UL)
#endif
#ifndef CKP_BASELINE_PROVIDER
#define CKP_BASELINE_PROVIDER (0x1UL)
#endif
#ifndef CKP_EXTENDED_PROVIDER
#define CKP_EXTENDED_PROVIDER (0x2UL)
#endif
#ifndef CKP_AUTHENTICATION_TOKEN
#define CKP_AUTHENTICATION_TOKEN (0x3UL)
#endif
#ifndef CKP_PUBLIC_CERTIFICATES_TOKEN
#define CKP_PUBLIC_CERTIFICATES_TOKEN (0x4UL)
#endif
#ifndef CKF_INTERFACE_FORK_SAFE
#define CKF_INTERFACE_FORK_SAFE (0x1UL)
#endif
#ifndef CKR_ACTION_PROHIBITED
#define CKR_ACTION_PROHIBITED (0x1BUL)
#endif
#ifndef CKR_OPERATION_CANCEL_FAILED
#define CKR_OPERATION_CANCEL_FAILED (0x202UL)
#endif

#endif
