/* The vpcd wire: TCP, each message framed by a 2-byte big-endian length; a
 * 1-byte message is a control (0 off, 1 on, 2 reset, 4 get ATR). */
#ifndef AKIS_VCARD_VPCD_H
#define AKIS_VCARD_VPCD_H

#include <stddef.h>
#include <stdint.h>

#include "vcard.h"

#define VC_VPCD_MSG_MAX 4096

enum { VPCD_OFF = 0, VPCD_ON = 1, VPCD_RESET = 2, VPCD_ATR = 4 };

/* Connect to vpcd; returns the socket or -1. Sets TCP_NODELAY. */
int vc_vpcd_connect(const char *host, int port) VC_WARN_UNUSED;
/* Read one message; returns its length, or -1 when the connection is gone. */
long vc_vpcd_recv(int fd, uint8_t *buf, size_t cap) VC_WARN_UNUSED;
/* Send one framed message. */
bool vc_vpcd_send(int fd, const uint8_t *buf, size_t n) VC_WARN_UNUSED;

#endif
