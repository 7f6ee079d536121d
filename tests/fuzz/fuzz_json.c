/* fuzz_json.c - json_escape() (conmon.c), which puts the runtime's stderr
 * into the sync pipe's JSON message (docs/sync-protocol.md §3): whatever a
 * runtime prints, Podman and CRI-O must get valid JSON back.
 *
 * Checked: the output, in quotes, is a valid JSON string (no raw control
 * character, quote or lone backslash; every escape complete) whatever the
 * room given; decoding it gives back the input, all of it when there is
 * room for the worst case, else a prefix that ends on a whole escape; the
 * bytes are the documented escapes; the result is terminated within cap.
 *
 * Input: byte 0 picks cap (0 to 1530, or the worst case); the rest, up
 * to a NUL, is the text. */
#include "testing.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char src[8192], dst[6 * sizeof(src) + 128], decoded[sizeof(src)];

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the contents of a JSON string (RFC 8259 §7) into bytes; -1 if
 * they are not valid.  conmon only escapes code points below 0x80, so a
 * \u escape above that is not expected either. */
static long json_decode(const char *s, size_t n, char *outbuf)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '"')
			return -1;
		if (c != '\\') {
			outbuf[o++] = (char)c;
			continue;
		}
		if (++i == n)
			return -1;
		switch (s[i]) {
		case '"':
		case '\\':
		case '/':
			outbuf[o++] = s[i];
			break;
		case 'b':
			outbuf[o++] = '\b';
			break;
		case 'f':
			outbuf[o++] = '\f';
			break;
		case 'n':
			outbuf[o++] = '\n';
			break;
		case 'r':
			outbuf[o++] = '\r';
			break;
		case 't':
			outbuf[o++] = '\t';
			break;
		case 'u': {
			int v = 0;

			if (n - i < 5)
				return -1;
			for (int k = 1; k <= 4; k++) {
				int h = hexval(s[i + k]);

				if (h < 0)
					return -1;
				v = v * 16 + h;
			}
			if (v == 0 || v >= 0x80)
				return -1;
			outbuf[o++] = (char)v;
			i += 4;
			break;
		}
		default:
			return -1;
		}
	}
	return (long)o;
}

/* The escape docs/sync-protocol.md gives for one byte. */
static size_t spec_escape(unsigned char c, char *e)
{
	static const char hex[] = "0123456789abcdef";
	const char *two = NULL;

	switch (c) {
	case '\\':
		two = "\\\\";
		break;
	case '"':
		two = "\\\"";
		break;
	case '/':
		two = "\\/";
		break;
	case '\n':
		two = "\\n";
		break;
	case '\r':
		two = "\\r";
		break;
	case '\t':
		two = "\\t";
		break;
	case '\b':
		two = "\\b";
		break;
	case '\f':
		two = "\\f";
		break;
	}
	if (two) {
		memcpy(e, two, 2);
		return 2;
	}
	if (c < 0x20 || c == 0x7f) {
		memcpy(e, "\\u00", 4);
		e[4] = hex[c >> 4];
		e[5] = hex[c & 15];
		return 6;
	}
	e[0] = (char)c;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap, n, len, want = 0, in = 0;
	long got;

	if (size < 1 || size > sizeof(src))
		return 0;
	memcpy(src, data + 1, size - 1);
	src[size - 1] = '\0';
	len = strlen(src);
	cap = data[0] == 255 ? 6 * len + 1 : (size_t)data[0] * 6;

	/* Canary bytes just past the room given. */
	memset(dst, 0x5a, cap + 64);
	n = json_escape(dst, cap, src);
	if (cap == 0) {
		if (n != 0 || dst[0] != 0x5a)
			abort();
		return 0;
	}
	/* Terminated, within cap, nothing written past it. */
	if (n >= cap || dst[n] != '\0' || strlen(dst) != n)
		abort();
	for (size_t i = cap; i < cap + 64; i++)
		if (dst[i] != 0x5a)
			abort();

	got = json_decode(dst, n, decoded);
	if (got < 0 || memcmp(decoded, src, (size_t)got))
		abort();
	if (cap >= 6 * len + 1 && (size_t)got != len)
		abort();

	/* Byte-exact: the documented escapes of the first got bytes, and the
	 * next one would not have fitted. */
	for (; in < (size_t)got; in++) {
		char e[6];
		size_t k = spec_escape((unsigned char)src[in], e);

		if (memcmp(dst + want, e, k))
			abort();
		want += k;
	}
	if (want != n)
		abort();
	if (in < len) {
		char e[6];

		if (n + spec_escape((unsigned char)src[in], e) < cap)
			abort();
	}
	return 0;
}
