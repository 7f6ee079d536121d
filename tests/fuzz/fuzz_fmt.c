/* fuzz_fmt.c - fmt.c's vsnprintf against glibc's, for format strings built
 * from the input.
 *
 * fmt.c replaces libc's printf engine in the whole static binary, syslog()
 * included, so it must print what libc prints.  Here it is compiled alone
 * with its functions renamed (fmt_vsnprintf ...), so that the plain names
 * are glibc's.  The generator only writes conversions whose behaviour C
 * defines for the argument it passes (the "safe" combinations: '#' only
 * with o x X, '0' only with integer conversions, precision not with c or
 * p, length modifiers only on integers), and of those only what fmt.c
 * claims to support: d i u x X o c s p % n with flags, width and
 * precision, literal or '*'.  Both get the same buffer size (0 to 300)
 * and must agree on the return value, the bytes written and the values
 * stored by %n.
 *
 * Every argument is passed as a 64-bit integer slot: on x86-64 (and the
 * other LP64 ABIs conmon builds for) int, long, long long and pointers
 * all travel in one such slot, so va_arg(ap, int) reads the low half of
 * what was passed.  Strictly that is undefined in C; both implementations
 * read it the same way, which is all a differential test needs. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int fmt_vsnprintf(char *restrict buf, size_t size, const char *restrict fmt,
		  va_list ap);
int fmt_snprintf(char *restrict buf, size_t size, const char *restrict fmt,
		 ...);

/* fmt.c's vdprintf needs it; never called here. */
ssize_t write_all(int fd, const void *buf, size_t len);
ssize_t write_all(int fd, const void *buf, size_t len)
{
	(void)fd;
	(void)buf;
	return (ssize_t)len;
}

#define MAX_ARGS 16

struct gen {
	const uint8_t *p;
	size_t n;
};

static unsigned take(struct gen *g)
{
	if (!g->n)
		return 0;
	g->n--;
	return *g->p++;
}

static char fmt[1024];
static char strings[4][64];
static int nvals_a[MAX_ARGS], nvals_b[MAX_ARGS];

enum kind { ARG_INT, ARG_STR, ARG_N };

static int call(int (*fn)(char *, size_t, const char *, va_list), char *out,
		size_t size, const uint64_t *a, ...)
{
	va_list ap;
	int r;

	(void)a;
	va_start(ap, a);
	r = fn(out, size, fmt, ap);
	va_end(ap);
	return r;
}

static int ref_vsnprintf(char *out, size_t size, const char *f, va_list ap)
{
	return vsnprintf(out, size, f, ap);
}

/* Build the arguments for one implementation: %n targets differ. */
static void args_for(uint64_t *dst, const uint64_t *vals,
		     const enum kind *kinds, int nargs, int *nvals)
{
	for (int i = 0; i < MAX_ARGS; i++) {
		if (i >= nargs)
			dst[i] = 0;
		else if (kinds[i] == ARG_N)
			dst[i] = (uint64_t)(uintptr_t)&nvals[i];
		else
			dst[i] = vals[i];
	}
}

#define CALL(fn, out, size, v)                                                 \
	call(fn, out, size, NULL, v[0], v[1], v[2], v[3], v[4], v[5], v[6],    \
	     v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen g = {data, size};
	uint64_t vals[MAX_ARGS], va[MAX_ARGS], vb[MAX_ARGS];
	enum kind kinds[MAX_ARGS];
	char out_a[512], out_b[512];
	size_t f = 0, bufsize;
	int nargs = 0, ra, rb;

	bufsize = take(&g) + take(&g) % 45;
	for (int i = 0; i < 4; i++) {
		size_t len = take(&g) % sizeof(strings[i]);

		for (size_t k = 0; k < len; k++)
			strings[i][k] = (char)(take(&g) | 1); /* no NUL */
		strings[i][len] = '\0';
	}

	while (g.n && f < sizeof(fmt) - 64 && nargs < MAX_ARGS - 3) {
		unsigned op = take(&g);

		if (op < 64) {
			/* Literal text, never a lone '%'. */
			unsigned len = op % 8 + 1;

			for (unsigned k = 0; k < len; k++) {
				char c = (char)(take(&g) | 1);

				fmt[f++] = c == '%' ? '#' : c;
			}
			continue;
		}
		static const char convs[] = "diuxXocsp%n";
		char conv = convs[op % (sizeof(convs) - 1)];
		bool integer = strchr("diuxXo", conv) != NULL;
		unsigned flags = take(&g), wsel = take(&g), psel = take(&g);
		unsigned lsel = take(&g);
		uint64_t v = 0;

		fmt[f++] = '%';
		if (conv != '%' && conv != 'n') {
			if (flags & 1)
				fmt[f++] = '-';
			if ((flags & 2) && integer)
				fmt[f++] = '0';
			if ((flags & 4) && (conv == 'd' || conv == 'i'))
				fmt[f++] = '+';
			if ((flags & 8) && (conv == 'd' || conv == 'i'))
				fmt[f++] = ' ';
			if ((flags & 16) && strchr("oxX", conv))
				fmt[f++] = '#';
			if (wsel % 4 == 1) {
				f += (size_t)sprintf(fmt + f, "%u",
						     wsel / 4 % 40);
			} else if (wsel % 4 == 2) {
				fmt[f++] = '*';
				kinds[nargs] = ARG_INT;
				vals[nargs++] =
				    (uint64_t)(int64_t)((int)(wsel / 4 % 81) -
							40);
			}
			if (conv != 'c' && conv != 'p') {
				if (psel % 4 == 1) {
					f += (size_t)sprintf(fmt + f, ".%u",
							     psel / 4 % 40);
				} else if (psel % 4 == 2) {
					fmt[f++] = '.';
					fmt[f++] = '*';
					kinds[nargs] = ARG_INT;
					vals[nargs++] =
					    (uint64_t)(int64_t)((int)(psel / 4 %
								      50) -
								10);
				}
			}
		}
		if (integer || conv == 'n') {
			static const char *const lens[] = {
			    "", "", "h", "hh", "l", "ll", "z", "j", "t"};

			f += (size_t)sprintf(fmt + f, "%s",
					     lens[conv == 'n' ? 0 : lsel % 9]);
		}
		fmt[f++] = conv;
		if (conv == '%')
			continue;
		for (int k = 0; k < 8; k++)
			v = v << 8 | take(&g);
		if (conv == 's')
			v = (uint64_t)(uintptr_t)strings[v % 4];
		kinds[nargs] = conv == 'n'   ? ARG_N
			       : conv == 's' ? ARG_STR
					     : ARG_INT;
		vals[nargs++] = v;
	}
	fmt[f] = '\0';

	args_for(va, vals, kinds, nargs, nvals_a);
	args_for(vb, vals, kinds, nargs, nvals_b);
	memset(out_a, 0x5a, sizeof(out_a));
	memset(out_b, 0x5a, sizeof(out_b));
	memset(nvals_a, 0, sizeof(nvals_a));
	memset(nvals_b, 0, sizeof(nvals_b));
	ra = CALL(fmt_vsnprintf, out_a, bufsize, va);
	rb = CALL(ref_vsnprintf, out_b, bufsize, vb);
	if (ra != rb || memcmp(out_a, out_b, sizeof(out_a)) ||
	    memcmp(nvals_a, nvals_b, sizeof(nvals_a))) {
		fprintf(stderr,
			"format \"%s\" size %zu: fmt.c %d \"%.*s\", glibc %d "
			"\"%.*s\"\n",
			fmt, bufsize, ra, (int)(bufsize < 512 ? bufsize : 0),
			out_a, rb, (int)(bufsize < 512 ? bufsize : 0), out_b);
		abort();
	}
	return 0;
}
