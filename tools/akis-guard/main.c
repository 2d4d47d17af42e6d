/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis-guard: the logout guard (docs/design.md "Logout hygiene", R22).
 * Started by akis/guard.c in a process that may leave a PIN verified on a
 * card; never run by hand. Standard input is a socket from that process:
 *   "A reader\n"  a card in `reader` may have a PIN of ours verified
 *   "D reader\n"  it has been logged out (or reset)
 * When the socket ends — the process ended, however it ended — every reader
 * still marked has its card reset, so that no other program finds the PIN
 * verified. The guard detaches at once (the process that started it reaps
 * only its short-lived parent), lives in a session of its own and ignores
 * SIGTERM/SIGINT/SIGHUP/SIGQUIT, so that what ends the application does not
 * end the guard first.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../akis/akis.h"
#include "../../akis/reader.h"
#include "../../log/log.h"

#define MAX_READERS 16

static struct {
	char name[AKIS_READER_NAME_MAX];
	unsigned count;
} marks[MAX_READERS];

static void mark(const char *reader, int delta)
{
	int free_slot = -1;
	for (int i = 0; i < MAX_READERS; i++) {
		if (marks[i].count > 0 && strcmp(marks[i].name, reader) == 0) {
			if (delta < 0)
				marks[i].count--;
			else
				marks[i].count++;
			return;
		}
		if (marks[i].count == 0 && free_slot < 0)
			free_slot = i;
	}
	if (delta > 0 && free_slot >= 0) {
		size_t n = strnlen(reader, sizeof marks[free_slot].name - 1);
		memcpy(marks[free_slot].name, reader, n);
		marks[free_slot].name[n] = '\0';
		marks[free_slot].count = 1;
	}
}

int main(void)
{
	char line[AKIS_READER_NAME_MAX + 8];
	pid_t pid;

	/* nothing of the application's but the socket on stdin */
	closefrom(3);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0)
		_exit(0);
	(void)setsid();
	/* it ends when its process ends (the socket's end), not before: a stop
	 * that signals the whole group (a desktop session's end, a service
	 * stopped) must not take the guard down before the application */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	log_init(); /* AKIS_DEBUG=pin: what it did */

	while (fgets(line, sizeof line, stdin) != NULL) {
		size_t n = strcspn(line, "\n");
		line[n] = '\0';
		if (n < 3 || line[1] != ' ' || (line[0] != 'A' && line[0] != 'D'))
			continue;
		mark(line + 2, line[0] == 'A' ? 1 : -1);
	}
	for (int i = 0; i < MAX_READERS; i++) {
		if (marks[i].count == 0)
			continue;
		akis_rv rv = akis_reader_reset(marks[i].name);
		log_msg(LOG_PIN,
		        "akis-guard: the process ended with a PIN maybe verified in %s: "
		        "card reset: %s",
		        marks[i].name, akis_rv_name(rv));
	}
	return 0;
}
