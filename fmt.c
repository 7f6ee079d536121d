/* fmt.c - snprintf and friends without floating point.
 *
 * libc's printf engine carries floating-point and wide-character
 * conversions that conmon never uses; in the static musl binary it is the
 * largest single piece of code.  These definitions take its place for
 * every caller in the process, libc's own syslog() included, so the
 * engine is never linked.  Integers, strings, characters, pointers and
 * %n are supported, with flags, width and precision; a floating-point or
 * unknown conversion is copied through literally.
 */
#include "conmon.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct sink {
	char *buf;
	size_t cap; /* bytes of buf usable, the NUL excluded */
	size_t len; /* bytes produced so far, even past cap */
};

static void put(struct sink *s, const char *p, size_t n)
{
	if (s->len < s->cap) {
		size_t room = s->cap - s->len;

		memcpy(s->buf + s->len, p, n < room ? n : room);
	}
	s->len += n;
}

static void pad(struct sink *s, char c, size_t n)
{
	while (n-- > 0)
		put(s, &c, 1);
}

enum {
	LEFT = 1,   /* '-' */
	ZERO = 2,   /* '0' */
	PLUS = 4,   /* '+' */
	SPACE = 8,  /* ' ' */
	ALT = 16,   /* '#' */
	UPPER = 32, /* %X */
};

/* One integer conversion: sign, base prefix, precision zeros, width. */
static void put_int(struct sink *s, unsigned long long v, bool neg, int base,
		    int flags, int width, int prec)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	const char *digits = (flags & UPPER) ? upper : lower;
	char tmp[24];
	size_t n = 0, body, zeros = 0;
	const char *prefix = "";

	/* %.0d of 0 prints no digit at all. */
	if (v != 0 || prec < 0) {
		do {
			tmp[sizeof(tmp) - ++n] = digits[v % base];
			v /= base;
		} while (v != 0);
	}
	if (neg)
		prefix = "-";
	else if (flags & PLUS)
		prefix = "+";
	else if (flags & SPACE)
		prefix = " ";
	else if ((flags & ALT) && base == 16 && n != 0 &&
		 tmp[sizeof(tmp) - n] != '0')
		/* C11 7.21.6.1: only a nonzero value gets 0x. */
		prefix = (flags & UPPER) ? "0X" : "0x";

	if (prec >= 0 && (size_t)prec > n)
		zeros = prec - n;
	/* %#o: the output starts with a 0, added only if none is there. */
	if ((flags & ALT) && base == 8 && zeros == 0 &&
	    (n == 0 || tmp[sizeof(tmp) - n] != '0'))
		prefix = "0";
	body = strlen(prefix) + zeros + n;
	if (prec < 0 && (flags & (ZERO | LEFT)) == ZERO && (size_t)width > body)
		zeros += width - body, body = width;

	if (!(flags & LEFT) && (size_t)width > body)
		pad(s, ' ', width - body);
	put(s, prefix, strlen(prefix));
	pad(s, '0', zeros);
	put(s, tmp + sizeof(tmp) - n, n);
	if ((flags & LEFT) && (size_t)width > body)
		pad(s, ' ', width - body);
}

static int read_number(const char **fmt)
{
	int n = 0;

	while (**fmt >= '0' && **fmt <= '9')
		n = n * 10 + (*(*fmt)++ - '0');
	return n;
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict format,
	      va_list ap)
{
	const char *fmt = format;
	struct sink s = {buf, size ? size - 1 : 0, 0};

	while (*fmt) {
		const char *start = fmt, *text;
		int flags = 0, width = 0, prec = -1, length = 0;
		unsigned long long u;
		long long d;
		size_t n;
		char c;

		if (*fmt != '%') {
			const char *pct = strchr(fmt, '%');

			n = pct ? (size_t)(pct - fmt) : strlen(fmt);
			put(&s, fmt, n);
			fmt += n;
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				flags |= LEFT;
			else if (*fmt == '0')
				flags |= ZERO;
			else if (*fmt == '+')
				flags |= PLUS;
			else if (*fmt == ' ')
				flags |= SPACE;
			else if (*fmt == '#')
				flags |= ALT;
			else
				break;
		}
		if (*fmt == '*') {
			fmt++;
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= LEFT;
				width = -width;
			}
		} else {
			width = read_number(&fmt);
		}
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				fmt++;
				prec = va_arg(ap, int);
				if (prec < 0)
					prec = -1;
			} else {
				prec = read_number(&fmt);
			}
		}
		/* length: 1 h, 2 hh, 3 l, 4 ll (and z, j, t, L as wide) */
		for (;; fmt++) {
			if (*fmt == 'h')
				length = length == 1 ? 2 : 1;
			else if (*fmt == 'l')
				length = length == 3 ? 4 : 3;
			else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't' ||
				 *fmt == 'L' || *fmt == 'q')
				length = 4;
			else
				break;
		}

		switch (c = *fmt++) {
		case 'd':
		case 'i':
			if (length == 4)
				d = va_arg(ap, long long);
			else if (length == 3)
				d = va_arg(ap, long);
			else
				d = va_arg(ap, int);
			if (length == 1)
				d = (short)d;
			else if (length == 2)
				d = (signed char)d;
			u = d < 0 ? -(unsigned long long)d
				  : (unsigned long long)d;
			put_int(&s, u, d < 0, 10, flags, width, prec);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (length == 4)
				u = va_arg(ap, unsigned long long);
			else if (length == 3)
				u = va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned);
			if (length == 1)
				u = (unsigned short)u;
			else if (length == 2)
				u = (unsigned char)u;
			if (c == 'X')
				flags |= UPPER;
			put_int(&s, u, false,
				c == 'u'   ? 10
				: c == 'o' ? 8
					   : 16,
				flags & ~(PLUS | SPACE), width, prec);
			break;
		case 'p':
			u = (uintptr_t)va_arg(ap, void *);
			if (u) {
				put_int(&s, u, false, 16, flags | ALT, width,
					prec);
				break;
			}
			/* As glibc, whose output callers have seen. */
			text = "(nil)";
			n = 5;
			goto put_text;
		case 'c':
			c = (char)va_arg(ap, int);
			text = &c;
			n = 1;
			goto put_text;
		case 's':
			text = va_arg(ap, const char *);
			if (!text)
				text = "(null)";
			n = prec >= 0 ? strnlen(text, prec) : strlen(text);
		put_text:
			if (!(flags & LEFT) && (size_t)width > n)
				pad(&s, ' ', width - n);
			put(&s, text, n);
			if ((flags & LEFT) && (size_t)width > n)
				pad(&s, ' ', width - n);
			break;
		case 'n':
			*va_arg(ap, int *) = (int)s.len;
			break;
		case '%':
			put(&s, "%", 1);
			break;
		default:
			/* Not ours to format (floating point, wide
			 * characters): show it as written. */
			if (!c)
				fmt--;
			put(&s, start, fmt - start);
		}
	}
	if (size)
		buf[s.len < s.cap ? s.len : s.cap] = '\0';
	return s.len > INT32_MAX ? -1 : (int)s.len;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vdprintf(int fd, const char *restrict fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return n;
	if (write_all(fd, buf,
		      (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) <
	    0)
		return -1;
	return n;
}

int dprintf(int fd, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}
