/* test_fmt.c - fmt.c's snprintf against libc's sprintf.
 *
 * The unit binaries link fmt.o, so snprintf here is ours; sprintf is not
 * overridden and stays libc's, which makes it the reference. */
#include "unit.h"

/* The truncation cases below are deliberate. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SAME(fmt, ...)                                                         \
	do {                                                                   \
		char ours[256], ref[256];                                      \
		int n_ours = snprintf(ours, sizeof(ours), fmt, __VA_ARGS__);   \
		int n_ref = sprintf(ref, fmt, __VA_ARGS__);                    \
		CHECK(n_ours == n_ref && strcmp(ours, ref) == 0,               \
		      "%-22s -> \"%s\"", #fmt ", " #__VA_ARGS__, ref);         \
		if (strcmp(ours, ref) != 0 || n_ours != n_ref)                 \
			printf("#   ours \"%s\" (%d), libc \"%s\" (%d)\n",     \
			       ours, n_ours, ref, n_ref);                      \
	} while (0)

int main(void)
{
	char small[8];
	int n, pos = -1;

	unit_name = "fmt";
	SAME("%d", 0);
	SAME("%d", -1);
	SAME("%d", INT_MAX);
	SAME("%d", INT_MIN);
	SAME("%i|%5d|%-5d|%05d", 42, 42, 42, -42);
	SAME("%+d % d %+d", 7, 7, -7);
	SAME("%.3d|%.0d|%.0d|%5.3d", 7, 0, 3, -7);
	SAME("%ld %lu", LONG_MIN, ULONG_MAX);
	SAME("%lld %llu", LLONG_MIN, ULLONG_MAX);
	SAME("%zu %zd", (size_t)SIZE_MAX, (ssize_t)-5);
	SAME("%hd %hu %hhd %hhu", (short)-3, (unsigned short)65535,
	     (signed char)-1, (unsigned char)255);
	SAME("%x %X %#x %#X %08x", 0xbeefu, 0xbeefu, 255u, 255u, 0xabcu);
	SAME("%o %#o %#o", 8u, 8u, 0u);
	SAME("%u", 4294967295u);
	SAME("%s|%10s|%-10s|%.2s|%.*s", "abc", "abc", "abc", "abc", 1, "xyz");
	SAME("%-*s|%*s", 6, "ab", -6, "cd");
	SAME("%c%c%c", 'a', 0x7f, 'z');
	SAME("%p", (void *)0x1234);
	SAME("100%% done %s", "now");
	SAME("%.10s", "LISTEN_PID_way_too_long");
	SAME("%-36s|", "--exit-command-arg");
	SAME("<%d>%s %.0d%s", 14, "Nov 29", 0, "]");
	/* Found by tests/fuzz/fuzz_fmt: only a nonzero value gets 0x, and
	 * a null pointer is glibc's "(nil)", padded like a string. */
	SAME("%#x|%#X|%#5x|%#05x|%#.0x", 0u, 0u, 0u, 0u, 0u);
	SAME("%#x|%#.3x|%#08X", 1u, 1u, 1u);
	SAME("%p|%10p|%-10p|", (void *)0, (void *)0, (void *)0);

	n = snprintf(small, sizeof(small), "%s", "0123456789");
	CHECK(n == 10 && strcmp(small, "0123456") == 0,
	      "truncates to the buffer and returns the full length");
	n = snprintf(NULL, 0, "%d-%s", 12345, "ab");
	CHECK(n == 8, "size 0 only measures");
	snprintf(small, sizeof(small), "ab%ncd", &pos);
	CHECK(pos == 2 && strcmp(small, "abcd") == 0, "%%n stores the count");
	snprintf(small, sizeof(small), "%f", 1.5);
	CHECK(strcmp(small, "%f") == 0,
	      "floating point is shown as written, not formatted");
	return unit_done();
}
