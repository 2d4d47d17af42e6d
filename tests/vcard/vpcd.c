/* vpcd transport of the virtual card (protocol of vsmartcard's vpcd). */
#include "vpcd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void tune(int fd)
{
	int one = 1;
	struct timeval tv = {.tv_sec = 10};
	/* docs/design.md: vpcd writes length and body in two writes; without NODELAY
	 * and QUICKACK every APDU stalls ~40 ms on delayed ACKs. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int vc_vpcd_connect(const char *host, int port)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[16];
	int fd = -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof ps, "%d", port);
	if (getaddrinfo(host, ps, &hints, &res) != 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		tune(fd);
	return fd;
}

static bool read_full(int fd, uint8_t *b, size_t n)
{
	while (n) {
		int one = 1;
		ssize_t r = recv(fd, b, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		/* re-arm after every receive (Linux clears QUICKACK by itself):
		 * vpcd sends the length and the body in two writes */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
		b += r;
		n -= (size_t)r;
	}
	return true;
}

long vc_vpcd_recv(int fd, uint8_t *buf, size_t cap)
{
	uint8_t hdr[2];
	size_t n;
	if (!read_full(fd, hdr, 2))
		return -1;
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (n > cap || !read_full(fd, buf, n))
		return -1;
	return (long)n;
}

bool vc_vpcd_send(int fd, const uint8_t *buf, size_t n)
{
	uint8_t msg[VC_VPCD_MSG_MAX + 2];
	size_t off = 0;
	if (n > VC_VPCD_MSG_MAX)
		return false;
	msg[0] = (uint8_t)(n >> 8);
	msg[1] = (uint8_t)n;
	memcpy(msg + 2, buf, n);
	n += 2;
	while (off < n) {
		ssize_t w = send(fd, msg + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += (size_t)w;
	}
	return true;
}
