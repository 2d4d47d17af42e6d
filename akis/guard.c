/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The logout guard (docs/design.md "Logout hygiene", R22): a small process,
 * akis-guard, started the first time this process may leave a PIN verified
 * on a card. It is told which readers hold a card that may have a PIN of
 * ours verified ("A reader" when a PIN is about to be sent, "D reader" once
 * the card is logged out or reset) and waits for the end of the socket. When
 * the process ends without logging out — killed, crashed, or quitting
 * through _exit() as Firefox does — the socket closes and the guard resets
 * each card still marked, at once, instead of leaving the PIN verified
 * until pcscd powers the card off (or for good, while any other program
 * keeps the card open).
 *
 * Which guard: $AKIS_GUARD (a path, or "off"), else akis-guard beside the
 * object this code is in (the build tree), else AKIS_GUARD_PATH (the
 * installed one). Without a guard everything works as before; the trace
 * says so once.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "akis.h"
#include "internal.h"
#include "../log/log.h"

#ifndef AKIS_GUARD_PATH
#define AKIS_GUARD_PATH "/usr/libexec/akis-pkcs11/akis-guard"
#endif

#define GUARD_READERS  16u
#define GUARD_PATH_MAX 4096u

extern char **environ;

/* What this process told its guard: armed readers and how many cards of
 * ours mark each (replayed to a new guard if the first one died). */
static struct {
	char name[AKIS_CARD_READER_MAX];
	unsigned count;
} armed[GUARD_READERS];

static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static int guard_fd = -1;
static pid_t guard_owner;  /* the process that started it (a fork child starts its own) */
static bool guard_missing; /* no guard could be started: do not try at every PIN */

static const char *guard_path(char *buf, size_t cap)
{
	const char *env = secure_getenv("AKIS_GUARD");
	Dl_info di;

	if (env != NULL && *env != '\0')
		return strcmp(env, "off") == 0 ? NULL : env;
	if (dladdr((void *)guard_path, &di) != 0 && di.dli_fname != NULL &&
	    strlen(di.dli_fname) < cap) {
		/* absolute: the application may change directory before a PIN */
		char *dir = realpath(di.dli_fname, NULL);
		int n = dir != NULL ? snprintf(buf, cap, "%s/akis-guard", dirname(dir)) : -1;
		free(dir);
		if (n > 0 && (size_t)n < cap && access(buf, X_OK) == 0)
			return buf;
	}
	return AKIS_GUARD_PATH;
}

static bool send_line(char op, const char *reader)
{
	char line[AKIS_CARD_READER_MAX + 4];
	int n = snprintf(line, sizeof line, "%c %s\n", op, reader);

	if (guard_fd < 0 || n <= 0 || (size_t)n >= sizeof line)
		return false;
	/* MSG_NOSIGNAL: a guard that died must not kill the application */
	return send(guard_fd, line, (size_t)n, MSG_NOSIGNAL) == n;
}

/* In a fork child, the parent's guard is not ours: the child must not hold
 * its socket open (the guard would outlive the parent) nor write to it. */
static void forget_parent(void)
{
	if (guard_fd >= 0)
		close(guard_fd);
	guard_fd = -1;
	guard_owner = 0;
	guard_missing = false;
	memset(armed, 0, sizeof armed);
}

static void own_locked(void)
{
	if (guard_owner != 0 && guard_owner != getpid())
		forget_parent();
}

static void at_fork_child(void)
{
	/* the child has one thread; guard_lock may have been held by another
	 * thread of the parent at fork: make a fresh one */
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	guard_lock = fresh;
	forget_parent();
}

static void atfork_register(void)
{
	(void)pthread_atfork(NULL, NULL, at_fork_child);
}

static void spawn_locked(void)
{
	char buf[GUARD_PATH_MAX];
	const char *path = guard_path(buf, sizeof buf);
	int sv[2];
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;

	if (path == NULL) {
		guard_missing = true;
		log_msg(LOG_PIN, "logout guard: off (AKIS_GUARD=off)");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0); /* its stdin; dup2 drops CLOEXEC */
	/* not the application's output: a $(program) around it would wait for
	 * the guard; its trace (AKIS_DEBUG) goes to AKIS_LOG or stderr */
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (secure_getenv("AKIS_DEBUG") == NULL)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *argv[] = {(char *)"akis-guard", NULL};
	int err = posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (err != 0) {
		close(sv[0]);
		guard_missing = true;
		log_msg(LOG_PIN,
		        "logout guard: cannot start %s (%s): a PIN left verified by a "
		        "process that is killed stays until pcscd powers the card off",
		        path, strerror(err));
		return;
	}
	/* the guard detaches at once (its first child lives on): reap the
	 * parent here so that the application never sees a child of ours
	 * (ECHILD when the application ignores SIGCHLD or reaped it first) */
	int st = 0;
	pid_t w;
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (w == pid && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		close(sv[0]);
		guard_missing = true;
		log_msg(LOG_PIN, "logout guard: %s failed to start", path);
		return;
	}
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	(void)pthread_once(&once, atfork_register);
	guard_fd = sv[0];
	guard_owner = getpid();
	log_msg(LOG_PIN, "logout guard: %s started", path);
	for (size_t i = 0; i < GUARD_READERS; i++)
		if (armed[i].count > 0)
			(void)send_line('A', armed[i].name);
}

static size_t slot_of(const char *reader, bool add)
{
	size_t free_slot = GUARD_READERS;
	for (size_t i = 0; i < GUARD_READERS; i++) {
		if (armed[i].count > 0 && strcmp(armed[i].name, reader) == 0)
			return i;
		if (armed[i].count == 0 && free_slot == GUARD_READERS)
			free_slot = i;
	}
	if (add && free_slot < GUARD_READERS)
		snprintf(armed[free_slot].name, sizeof armed[free_slot].name, "%s", reader);
	return add ? free_slot : GUARD_READERS;
}

/* Reader names come from drivers: one with a line break would be two
 * messages to the guard. Such a reader is not guarded (said once). */
static bool name_ok(const char *reader)
{
	return reader[0] != '\0' && strpbrk(reader, "\r\n") == NULL;
}

void akis_guard_arm(struct akis_card *card)
{
	if (card == NULL || card->reader[0] == '\0')
		return;
	if (card->guard_pid == getpid())
		return; /* marked already (a card a fork child inherited is not) */
	if (!name_ok(card->reader)) {
		log_msg(LOG_PIN, "logout guard: a reader name with a line break is not guarded");
		return;
	}
	pthread_mutex_lock(&guard_lock);
	own_locked();
	size_t i = slot_of(card->reader, true);
	if (i < GUARD_READERS) {
		card->guard_pid = getpid();
		if (armed[i].count++ == 0) {
			if (guard_fd < 0 && !guard_missing)
				spawn_locked();
			else if (!send_line('A', card->reader) && guard_fd >= 0) {
				close(guard_fd); /* it died: a new one gets the whole list */
				guard_fd = -1;
				spawn_locked();
			}
		}
	}
	pthread_mutex_unlock(&guard_lock);
}

void akis_guard_disarm(struct akis_card *card)
{
	if (card == NULL || card->guard_pid == 0)
		return;
	bool mine = card->guard_pid == getpid();
	card->guard_pid = 0;
	if (!mine)
		return; /* marked by the parent of this fork child: not ours */
	pthread_mutex_lock(&guard_lock);
	own_locked();
	size_t i = slot_of(card->reader, false);
	if (i < GUARD_READERS && --armed[i].count == 0)
		(void)send_line('D', card->reader);
	pthread_mutex_unlock(&guard_lock);
}

void akis_guard_idle(void)
{
	pthread_mutex_lock(&guard_lock);
	own_locked();
	bool any = false;
	for (size_t i = 0; i < GUARD_READERS; i++)
		any = any || armed[i].count > 0;
	if (!any && guard_fd >= 0) {
		close(guard_fd); /* the guard sees the end with nothing marked and leaves */
		guard_fd = -1;
		guard_owner = 0;
	}
	pthread_mutex_unlock(&guard_lock);
}
