/* util.c - small helpers the other files share: whole writes, atomic
 * files, JSON escaping, fd flags, clocks and rate limits.
 */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

ssize_t write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t left = len;

	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += n;
		left -= n;
	}
	return len;
}

/* Readers of the exit and pid files must never see a half-written one:
 * the content goes to a temporary name in the same directory, which
 * rename(2) then puts in place in one step. */
int write_file_atomic(const char *path, const char *data, size_t len,
		      mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

size_t json_escape(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	/* Characters with a short escape, and the letter of each. */
	static const char shortened[] = "\\\"/\n\r\t\b\f";
	static const char letter[] = "\\\"/nrtbf";
	size_t n = 0;

	if (cap == 0)
		return 0;
	for (; *src; src++) {
		unsigned char c = *src;
		const char *s = strchr(shortened, c);
		char esc[7];
		size_t k;

		if (s) {
			esc[0] = '\\';
			esc[1] = letter[s - shortened];
			k = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		} else {
			esc[0] = (char)c;
			k = 1;
		}
		/* Never cut an escape sequence in half. */
		if (n + k >= cap)
			break;
		memcpy(dst + n, esc, k);
		n += k;
	}
	dst[n] = '\0';
	return n;
}

void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* 32-bit targets with a 64-bit time_t (musl's armhf) have the call under
 * its time64 name. */
#ifdef SYS_clock_gettime64
#define SYS_clock_now SYS_clock_gettime64
#else
#define SYS_clock_now SYS_clock_gettime
#endif

/* The system call, not the vDSO: reading the vDSO's data pages makes the
 * kernel build page tables for that corner of the address space, 8 kB
 * per monitor for as long as it lives (bench/monitor-charge), while a
 * chunk of output needs the time once.  A kernel without the call (time64
 * came in 5.1) gets libc's. */
void clock_now(clockid_t clock, struct timespec *ts)
{
	if (syscall(SYS_clock_now, clock, ts) != 0)
		clock_gettime(clock, ts);
}

int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_now(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool ratelimit_pass(int64_t *next)
{
	int64_t now = monotonic_ns();

	if (now < *next)
		return false;
	*next = now + 1000000000;
	return true;
}
