/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Terminal prompts without echo (termios, POSIX.1-2017 "General Terminal
 * Interface"). The saved terminal state lives at file scope because a
 * signal handler must reach it; it is only set while a prompt is active.
 */
#include "prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tool.h"

static struct termios tty_saved;
static volatile sig_atomic_t tty_restore_fd = -1;

static const int guarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_GUARDED (sizeof(guarded_signals) / sizeof(guarded_signals[0]))

/* Async-signal-safe: tcsetattr, write, signal, raise (POSIX.1 §2.4.3). */
static void on_signal(int sig)
{
	int fd = tty_restore_fd;
	if (fd >= 0) {
		(void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
		(void)!write(fd, "\n", 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

enum prompt_rv prompt_read_line(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	bool too_long = false;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return PROMPT_IO;
		if (r == 0) {
			if (n == 0 && !too_long)
				return PROMPT_EOF;
			break; /* last line without newline */
		}
		if (c == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
		else
			too_long = true;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return too_long ? PROMPT_TOO_LONG : PROMPT_OK;
}

static void write_all(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len > 0) {
		ssize_t w = write(fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		len -= (size_t)w;
	}
}

static enum prompt_rv echo_off(int fd, struct sigaction *old)
{
	struct termios t;
	if (tcgetattr(fd, &tty_saved) != 0)
		return PROMPT_IO;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_GUARDED; i++)
		sigaction(guarded_signals[i], &sa, &old[i]);
	tty_restore_fd = fd;
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	t.c_lflag |= ECHONL | ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &t) != 0)
		return PROMPT_IO;
	return PROMPT_OK;
}

static void echo_restore(int fd, const struct sigaction *old)
{
	(void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
	tty_restore_fd = -1;
	for (size_t i = 0; i < N_GUARDED; i++)
		sigaction(guarded_signals[i], &old[i], NULL);
}

enum prompt_rv prompt_secret(const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct sigaction old[N_GUARDED];
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return PROMPT_NO_TTY;
	/* Echo goes off before the prompt shows: whatever is typed after it
	 * is never echoed. */
	enum prompt_rv rv = echo_off(fd, old);
	if (rv == PROMPT_OK) {
		write_all(fd, prompt);
		rv = prompt_read_line(fd, buf, cap, len);
	}
	echo_restore(fd, old);
	close(fd);
	return rv;
}

enum prompt_rv prompt_confirm(const char *question, bool *yes)
{
	char line[32];
	size_t len = 0;
	*yes = false;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return PROMPT_NO_TTY;
	write_all(fd, question);
	/* TRANSLATORS: the answer letters must match the locale's yes/no
	 * expressions (tr_TR: e = evet, h = hayır). */
	write_all(fd, _(" [y/N] "));
	enum prompt_rv rv = prompt_read_line(fd, line, sizeof(line), &len);
	close(fd);
	if (rv == PROMPT_OK)
		*yes = rpmatch(line) == 1;
	return rv == PROMPT_TOO_LONG ? PROMPT_OK : rv;
}
