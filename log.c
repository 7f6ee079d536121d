/* log.c - STUB, to be replaced: log drivers and diagnostics. */
#include "conmon.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int log_level = LVL_WARN;

int log_level_parse(const char *name)
{
	(void)name;
	return LVL_WARN;
}

static void vdiag(int level, int err, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {"e", "w", "i", "d", "d"};
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "[conmon:%s]: ", prefix[level]);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (err)
		n += snprintf(buf + n, sizeof(buf) - n, " %s", strerror(err));
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(2, buf, n);
}

void diag(int level, int err, const char *fmt, ...)
{
	va_list ap;
	if (level > log_level)
		return;
	va_start(ap, fmt);
	vdiag(level, err, fmt, ap);
	va_end(ap);
}

void fatal(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(LVL_ERROR, err, fmt, ap);
	va_end(ap);
	conmon_exit(1);
}

void fatal_plain(const char *fmt, ...)
{
	va_list ap;
	(void)!write(2, "conmon: ", 8);
	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	(void)!write(2, "\n", 1);
	exit(1);
}

void log_k8s_open(void)
{
}
void log_write(enum stream s, const char *buf, size_t len)
{
	(void)s, (void)buf, (void)len;
}
void log_flush(enum stream s)
{
	(void)s;
}
void log_reopen(void)
{
}
void log_sync(void)
{
}
