/* fuzz_ctl.c - the ctl and winsz FIFO input (docs/ctl.md §2-§4): sock.c's line
 * splitter, ctl_parse, winsz_parse and ctl_error_text.
 *
 * Anyone who can write to <bundle>/ctl feeds these.  Checked properties:
 *   - the splitter's lines do not depend on how read(2) cut the input
 *     (the whole input at once and in fuzzer-chosen pieces agree), and
 *     match a model of docs/ctl.md §2: a line of 199 or more bytes without its
 *     newline is reported once as too long and never executed;
 *   - both parsers agree with a model of the grammar of §3/§4 written
 *     independently here, and never accept a value outside 0..1000;
 *   - the warning text always fits and is terminated.
 *
 * Input: byte 0 picks the read sizes; the rest is what writers wrote. */
#include "testing.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 4096

struct event {
	size_t off, len; /* the line's bytes within the recorded copy */
	bool too_long;
};

struct record {
	struct event ev[MAX_EVENTS];
	size_t n;
	char text[1 << 16];
	size_t used;
	bool overflow;
};

static struct record whole, pieces;

static void on_line(void *ctx, const char *line, size_t len)
{
	struct record *r = ctx;
	struct event *e;

	if (r->n == MAX_EVENTS || r->used + len > sizeof(r->text)) {
		r->overflow = true;
		return;
	}
	e = &r->ev[r->n++];
	e->too_long = !line;
	e->off = r->used;
	e->len = len;
	if (!line) {
		if (len != 0)
			abort();
		return;
	}
	/* A complete line: no newline inside, NUL after it, within the
	 * buffer. */
	if (len >= CTL_LINE_MAX - 1 || memchr(line, '\n', len) ||
	    line[len] != '\0')
		abort();
	memcpy(r->text + r->used, line, len);
	r->used += len;
}

static bool same(const struct record *a, const struct record *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct event *x = &a->ev[i], *y = &b->ev[i];

		if (x->too_long != y->too_long || x->len != y->len ||
		    memcmp(a->text + x->off, b->text + y->off, x->len))
			return false;
	}
	return true;
}

/* docs/ctl.md §2 as a model: split at newlines; a segment of 199 bytes or more
 * is one "too long" event (as soon as its 199th byte arrived); a shorter
 * one is a line once its newline arrived. */
static bool model_matches(const uint8_t *data, size_t size,
			  const struct record *r)
{
	size_t i = 0, start = 0, k = 0;

	for (; i <= size; i++) {
		bool end = i == size, nl = !end && data[i] == '\n';
		size_t len = i - start;

		if (!end && !nl)
			continue;
		if (len >= CTL_LINE_MAX - 1) {
			if (k >= r->n || !r->ev[k].too_long)
				return false;
			k++;
		} else if (nl) {
			if (k >= r->n || r->ev[k].too_long ||
			    r->ev[k].len != len ||
			    memcmp(r->text + r->ev[k].off, data + start, len))
				return false;
			k++;
		}
		start = i + 1;
	}
	return k == r->n;
}

/* The grammar of docs/ctl.md §3, independently: [blanks] int (blanks int){n-1}
 * [rest], int = [+-] 1*DIGIT that fits an int. */
static bool model_int(const char **p, const char *end, long long *out)
{
	const char *s = *p;
	int sign = 1;
	long long v = 0;
	int digits = 0;

	if (s < end && (*s == '+' || *s == '-'))
		sign = *s++ == '-' ? -1 : 1;
	while (s < end && *s >= '0' && *s <= '9') {
		if (v <= (long long)INT_MAX + 1)
			v = v * 10 + (*s - '0');
		s++;
		digits++;
	}
	if (!digits)
		return false;
	v *= sign;
	if (v < INT_MIN || v > INT_MAX)
		return false;
	*out = v;
	*p = s;
	return true;
}

static int model_parse(const char *line, size_t len, int count, long long *vals)
{
	const char *p = line, *end = line + len;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (int i = 0; i < count; i++) {
		if (i > 0) {
			if (p == end || (*p != ' ' && *p != '\t'))
				return -1;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
		}
		if (!model_int(&p, end, &vals[i]))
			return -1;
	}
	return 0;
}

static bool in_range(long long v)
{
	return v >= 0 && v <= 1000;
}

static void check_parsers(const char *line, size_t len)
{
	long long v[3];
	int type, rows, cols, rc, want;
	char text[96];

	rc = ctl_parse(line, len, &type, &rows, &cols);
	if (model_parse(line, len, 3, v) < 0)
		want = CTL_EFORMAT;
	else if (v[0] != 1 && v[0] != 2)
		want = CTL_ETYPE;
	else if (!in_range(v[1]) || !in_range(v[2]))
		want = CTL_ESIZE;
	else
		want = 0;
	if (rc != want)
		abort();
	if (rc == CTL_ETYPE && type != v[0])
		abort();
	if ((rc == 0 || rc == CTL_ESIZE) &&
	    (type != v[0] || rows != v[1] || cols != v[2]))
		abort();
	if (rc == 0 && (!in_range(rows) || !in_range(cols)))
		abort();
	for (size_t cap = 0; cap <= sizeof(text); cap += 19) {
		int n;

		memset(text, 'x', sizeof(text));
		n = ctl_error_text(text, cap, rc, type, rows, cols);
		if (n < 0 ||
		    (cap && strnlen(text, cap) !=
				((size_t)n < cap ? (size_t)n : cap - 1)))
			abort();
	}

	rc = winsz_parse(line, len, &rows, &cols);
	if (model_parse(line, len, 2, v) < 0)
		want = CTL_EWINSZ;
	else if (!in_range(v[0]) || !in_range(v[1]))
		want = CTL_ESIZE;
	else
		want = 0;
	if (rc != want)
		abort();
	if (rc != CTL_EWINSZ && (rows != v[0] || cols != v[1]))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_line a = {0}, b = {0};
	unsigned seed;
	size_t off = 0;

	if (size < 1)
		return 0;
	seed = data[0];
	data++;
	size--;

	/* Every newline-free segment through both parsers. */
	for (size_t i = 0, start = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		check_parsers((const char *)data + start, i - start);
		start = i + 1;
	}

	whole.n = whole.used = 0;
	whole.overflow = false;
	ctl_line_feed(&a, (const char *)data, size, on_line, &whole);

	/* Reads of 1 to 64 bytes, or up to 512 (fifo_event's chunk). */
	pieces.n = pieces.used = 0;
	pieces.overflow = false;
	while (off < size) {
		size_t max = seed & 1 ? 64 : 512;
		size_t n = 1 + (seed * 2654435761u >> 8) % max;

		seed = seed * 1103515245u + 12345u;
		if (n > size - off)
			n = size - off;
		ctl_line_feed(&b, (const char *)data + off, n, on_line,
			      &pieces);
		off += n;
	}
	if (whole.overflow || pieces.overflow)
		return 0;
	if (!same(&whole, &pieces) || !model_matches(data, size, &whole))
		abort();
	return 0;
}
