/* SPDX-License-Identifier: BSD-3-Clause */
#include "pinkeep.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../log/log.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18 /* Linux 4.14 */
#endif

struct p11_keep {
	size_t map_len; /* the whole mapping, for munmap */
	unsigned long uses;
	time_t last; /* CLOCK_MONOTONIC seconds of the keeping or the last use */
	size_t len;
	char pin[P11_KEEP_PIN_MAX + 1];
};

/* Held only for a copy or a wipe, never around card I/O. */
static pthread_mutex_t keep_lock = PTHREAD_MUTEX_INITIALIZER;

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static struct p11_keep *keep_map(const char *pin, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t map_len = page > 0 && (size_t)page >= sizeof(struct p11_keep)
	                         ? (size_t)page
	                         : sizeof(struct p11_keep);
	struct p11_keep *k;

	if (pin == NULL || len > P11_KEEP_PIN_MAX)
		return NULL;
	k = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (k == MAP_FAILED)
		return NULL;
	if (mlock(k, map_len) != 0) {
		/* RLIMIT_MEMLOCK: better no compatibility mode than a PIN in swap */
		log_msg(LOG_PIN, "cannot lock a page for the kept PIN: not kept");
		munmap(k, map_len);
		return NULL;
	}
	(void)madvise(k, map_len, MADV_DONTDUMP);
	(void)madvise(k, map_len, MADV_WIPEONFORK);
	k->map_len = map_len;
	k->uses = 0;
	k->last = now_s();
	k->len = len;
	memcpy(k->pin, pin, len);
	k->pin[len] = '\0';
	return k;
}

static void keep_unmap(struct p11_keep *k)
{
	size_t map_len;

	if (k == NULL)
		return;
	map_len = k->map_len;
	OPENSSL_cleanse(k, map_len);
	munlock(k, map_len);
	munmap(k, map_len);
}

bool p11_keep_set(struct p11_keep **slot, const char *pin, size_t len)
{
	struct p11_keep *k = keep_map(pin, len), *old;

	pthread_mutex_lock(&keep_lock);
	old = *slot;
	*slot = k;
	pthread_mutex_unlock(&keep_lock);
	keep_unmap(old);
	return k != NULL;
}

bool p11_keep_replace(struct p11_keep **slot, const char *pin, size_t len)
{
	struct p11_keep *k = keep_map(pin, len), *old;

	pthread_mutex_lock(&keep_lock);
	old = *slot;
	if (old != NULL && k != NULL) {
		k->uses = old->uses; /* the bounds run on (R46) */
		k->last = old->last;
		*slot = k;
	} else {
		*slot = NULL; /* wiped meanwhile, or nothing could be kept */
		old = old != NULL ? old : k;
		k = NULL;
	}
	pthread_mutex_unlock(&keep_lock);
	keep_unmap(old);
	return k != NULL;
}

/* Under keep_lock: copy k's PIN into buf if it fits. */
static bool copy_locked(const struct p11_keep *k, char *buf, size_t cap, size_t *len)
{
	if (k == NULL || cap <= k->len)
		return false;
	memcpy(buf, k->pin, k->len + 1);
	*len = k->len;
	return true;
}

bool p11_keep_copy(struct p11_keep **slot, char *buf, size_t cap, size_t *len)
{
	bool ok;

	pthread_mutex_lock(&keep_lock);
	ok = copy_locked(*slot, buf, cap, len);
	pthread_mutex_unlock(&keep_lock);
	return ok;
}

enum p11_keep_result p11_keep_use(struct p11_keep **slot, unsigned long max_uses,
                                  unsigned long idle_s, char *buf, size_t cap, size_t *len)
{
	struct p11_keep *k, *gone = NULL;
	enum p11_keep_result r = P11_KEEP_NONE;
	time_t now = now_s();

	pthread_mutex_lock(&keep_lock);
	k = *slot;
	if (k != NULL && ((max_uses > 0 && k->uses >= max_uses) ||
	                  (idle_s > 0 && (unsigned long)(now - k->last) > idle_s))) {
		gone = k;
		*slot = NULL;
		r = P11_KEEP_EXPIRED;
	} else if (copy_locked(k, buf, cap, len)) {
		k->uses++;
		k->last = now;
		r = P11_KEEP_OK;
	}
	pthread_mutex_unlock(&keep_lock);
	keep_unmap(gone);
	return r;
}

bool p11_keep_held(struct p11_keep *const *slot)
{
	bool held;

	pthread_mutex_lock(&keep_lock);
	held = *slot != NULL;
	pthread_mutex_unlock(&keep_lock);
	return held;
}

void p11_keep_wipe(struct p11_keep **slot)
{
	struct p11_keep *k;

	pthread_mutex_lock(&keep_lock);
	k = *slot;
	*slot = NULL;
	pthread_mutex_unlock(&keep_lock);
	keep_unmap(k);
}
