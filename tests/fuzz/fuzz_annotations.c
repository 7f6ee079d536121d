/* fuzz_annotations.c - the scanner of <bundle>/config.json (cli.c,
 * docs/logging.md §9): cli_scan_init/feed/end against a recursive-descent
 * model of RFC 8259 with the scanner's documented choices (a top-level
 * object, at most ANNOT_DEPTH_MAX levels, nothing read after the top-level
 * object, the last value of a key in any top-level "annotations" object
 * wins, values kept up to ANNOT_VALUE_MAX bytes, \u escapes beyond ASCII
 * as the byte 0x80).
 *
 * Checked, for any input: the scanner and the model agree on whether the
 * document is whole, on the offset of a failure and whether it was the
 * depth, and, for a whole one, on both values; feeding the input in
 * pieces of any size gives the same as feeding it whole; the scanner's
 * state has a fixed size (it is all it uses).
 *
 * Input: byte 0: bit 7 set builds a config.json with known annotations
 * from the rest (below) and checks they are found; else its low 4 bits
 * are the piece size (0: whole) and the rest is the document. */
#include "testing.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The model. */

struct model {
	const unsigned char *p;
	size_t n, i;
	unsigned depth;
	bool too_deep;
	struct {
		int kind;
		size_t len;
		unsigned char text[ANNOT_VALUE_MAX];
	} found[ANNOT_KEYS];
};

static const char *const names[ANNOT_KEYS] = {"io.conmon.log-rate",
					      "io.conmon.log-burst"};

static void skip_ws(struct model *m)
{
	while (m->i < m->n && (m->p[m->i] == ' ' || m->p[m->i] == '\t' ||
			       m->p[m->i] == '\n' || m->p[m->i] == '\r'))
		m->i++;
}

static int hexval(unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	const char *d =
	    c ? strchr(hex, c >= 'A' && c <= 'F' ? c | 0x20 : c) : NULL;

	return d ? (int)(d - hex) : -1;
}

/* A string at m->i (its opening quote); its decoded bytes, up to cap, go
 * to out, their full count to *len.  False on an error (m->i at it). */
static bool parse_string(struct model *m, unsigned char *out, size_t cap,
			 size_t *len)
{
	*len = 0;
	m->i++;
	for (;;) {
		unsigned char c, b;

		if (m->i >= m->n)
			return false;
		c = m->p[m->i];
		if (c == '"') {
			m->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		b = c;
		if (c == '\\') {
			const char *e;

			if (++m->i >= m->n)
				return false;
			c = m->p[m->i];
			e = c ? strchr("\"\\/bfnrtu", c) : NULL;
			if (!e)
				return false;
			b = (unsigned char)"\"\\/\b\f\n\r\t"[e - "\"\\/bfnrtu"];
			if (c == 'u') {
				unsigned v = 0;

				for (int k = 0; k < 4; k++) {
					int h;

					if (++m->i >= m->n)
						return false;
					h = hexval(m->p[m->i]);
					if (h < 0)
						return false;
					v = v * 16 + (unsigned)h;
				}
				b = v < 0x80 ? (unsigned char)v : 0x80;
			}
		}
		if (*len < cap)
			out[*len] = b;
		(*len)++;
		m->i++;
	}
}

static bool digits(struct model *m)
{
	size_t start = m->i;

	while (m->i < m->n && m->p[m->i] >= '0' && m->p[m->i] <= '9')
		m->i++;
	return m->i > start;
}

static bool parse_number(struct model *m)
{
	if (m->p[m->i] == '-')
		m->i++;
	if (m->i < m->n && m->p[m->i] == '0')
		m->i++;
	else if (!digits(m))
		return false;
	if (m->i < m->n && m->p[m->i] == '.') {
		m->i++;
		if (!digits(m))
			return false;
	}
	if (m->i < m->n && (m->p[m->i] == 'e' || m->p[m->i] == 'E')) {
		m->i++;
		if (m->i < m->n && (m->p[m->i] == '+' || m->p[m->i] == '-'))
			m->i++;
		if (!digits(m))
			return false;
	}
	return true;
}

static bool parse_value(struct model *m, int role);

/* The opening bracket at m->i: one level more, if there is room. */
static bool enter(struct model *m)
{
	if (m->depth == ANNOT_DEPTH_MAX) {
		m->too_deep = true;
		return false;
	}
	m->depth++;
	m->i++;
	skip_ws(m);
	return true;
}

/* At the start of a container (comma false) or after a member: 1 at the
 * closing bracket close (taken); else 0 if another member follows (after
 * a comma, taken), -1 if none can. */
static int leave_or_next(struct model *m, unsigned char close, bool comma)
{
	skip_ws(m);
	if (m->i < m->n && m->p[m->i] == close) {
		m->i++;
		m->depth--;
		return 1;
	}
	if (!comma)
		return 0;
	if (m->i < m->n && m->p[m->i] == ',') {
		m->i++;
		return 0;
	}
	return -1;
}

/* role: 0 any object, 1 the top-level object, 2 an annotations object. */
static bool parse_object(struct model *m, int role)
{
	int next;

	if (!enter(m))
		return false;
	for (next = leave_or_next(m, '}', false); next != 1;
	     next = leave_or_next(m, '}', true)) {
		unsigned char key[80];
		size_t len;
		int value_role = -1;

		if (next < 0)
			return false;
		skip_ws(m);
		if (m->i >= m->n || m->p[m->i] != '"' ||
		    !parse_string(m, key, sizeof(key), &len))
			return false;
		if (role == 1 && len == 11 && !memcmp(key, "annotations", 11))
			value_role = 2;
		for (int k = 0; k < ANNOT_KEYS && role == 2; k++)
			if (len == strlen(names[k]) &&
			    !memcmp(key, names[k], len))
				value_role = 10 + k;
		skip_ws(m);
		if (m->i >= m->n || m->p[m->i] != ':')
			return false;
		m->i++;
		if (!parse_value(m, value_role))
			return false;
	}
	return true;
}

static bool parse_array(struct model *m)
{
	int next;

	if (!enter(m))
		return false;
	for (next = leave_or_next(m, ']', false); next != 1;
	     next = leave_or_next(m, ']', true))
		if (next < 0 || !parse_value(m, -1))
			return false;
	return true;
}

static bool parse_literal(struct model *m, const char *word)
{
	for (; *word; word++, m->i++)
		if (m->i >= m->n || m->p[m->i] != (unsigned char)*word)
			return false;
	return true;
}

/* role: -1 any value, 2 the value of a top-level "annotations", 10 + k
 * the value of key k in an annotations object. */
static bool parse_value(struct model *m, int role)
{
	unsigned char c;

	skip_ws(m);
	if (m->i >= m->n)
		return false;
	c = m->p[m->i];
	if (role >= 10 && c != '"') {
		m->found[role - 10].kind = ANNOT_NOT_STRING;
		m->found[role - 10].len = 0;
	}
	switch (c) {
	case '{':
		return parse_object(m, role == 2 ? 2 : 0);
	case '[':
		return parse_array(m);
	case '"': {
		unsigned char buf[ANNOT_VALUE_MAX];
		size_t len;

		if (!parse_string(m, buf, sizeof(buf), &len))
			return false;
		if (role >= 10) {
			int k = role - 10;
			size_t kept =
			    len < ANNOT_VALUE_MAX ? len : ANNOT_VALUE_MAX;

			m->found[k].kind = len > ANNOT_VALUE_MAX
					       ? ANNOT_TOO_LONG
					       : ANNOT_STRING;
			m->found[k].len = kept;
			memcpy(m->found[k].text, buf, kept);
		}
		return true;
	}
	case 't':
		return parse_literal(m, "true");
	case 'f':
		return parse_literal(m, "false");
	case 'n':
		return parse_literal(m, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(m);
		return false;
	}
}

static bool model_scan(struct model *m, const uint8_t *p, size_t n)
{
	memset(m, 0, sizeof(*m));
	m->p = p;
	m->n = n;
	skip_ws(m);
	if (m->i >= m->n || m->p[m->i] != '{')
		return false;
	return parse_object(m, 1);
}

/* ------------------------------------------------------------------ */
/* The scanner, in pieces. */

static void scan(struct annot_scan *s, const uint8_t *p, size_t n, size_t piece)
{
	size_t done = 0;

	cli_scan_init(s);
	if (!piece)
		piece = n ? n : 1;
	while (done < n) {
		size_t k = n - done < piece ? n - done : piece;

		if (!cli_scan_feed(s, (const char *)p + done, k))
			break;
		done += k;
	}
}

static bool same_found(const struct annot_scan *a, const struct annot_scan *b)
{
	for (int k = 0; k < ANNOT_KEYS; k++)
		if (a->found[k].kind != b->found[k].kind ||
		    a->found[k].len != b->found[k].len ||
		    memcmp(a->found[k].text, b->found[k].text, a->found[k].len))
			return false;
	return true;
}

static void check_text(const uint8_t *p, size_t n, size_t piece)
{
	static struct annot_scan whole, part;
	static struct model m;
	bool ok = model_scan(&m, p, n);

	scan(&whole, p, n, 0);
	if (cli_scan_end(&whole) != ok)
		abort();
	if (!ok && (whole.offset != m.i || whole.too_deep != m.too_deep))
		abort();
	for (int k = 0; k < ANNOT_KEYS && ok; k++) {
		const struct annot_value *v = &whole.found[k];

		if ((int)v->kind != m.found[k].kind ||
		    v->len != m.found[k].len ||
		    memcmp(v->text, m.found[k].text, v->len) ||
		    v->text[v->len] != '\0')
			abort();
	}
	scan(&part, p, n, piece);
	if (cli_scan_end(&part) != ok || part.offset != whole.offset ||
	    (ok && !same_found(&part, &whole)))
		abort();
}

/* ------------------------------------------------------------------ */
/* A config.json built around known annotations. */

static uint32_t rnd_state;

static unsigned rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static uint8_t doc[1 << 16];
static size_t doc_len;

static void put(const char *s)
{
	size_t n = strlen(s);

	if (doc_len + n < sizeof(doc)) {
		memcpy(doc + doc_len, s, n);
		doc_len += n;
	}
}

/* bytes as the content of a JSON string, escaped in any of the ways
 * JSON allows (bytes beyond ASCII stay raw: \u escapes name code points). */
static void put_escaped(const uint8_t *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];
		const char *e = c ? strchr("\"\\/\b\f\n\r\t", c) : NULL;
		char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
		char one[2] = {(char)c, 0};
		char two[3] = {'\\', 0, 0};

		if (c >= 0x80) {
			put(one);
		} else if (e && rnd() % 2) {
			two[1] = "\"\\/bfnrt"[e - "\"\\/\b\f\n\r\t"];
			put(two);
		} else if (c < 0x20 || c == '"' || c == '\\' ||
			   rnd() % 8 == 0) {
			put(u);
		} else {
			put(one);
		}
	}
}

static void check_generated(const uint8_t *data, size_t size)
{
	static struct annot_scan s;
	size_t vlen, flen;
	const uint8_t *value, *filler;
	bool rate_first;

	if (size < 5)
		return;
	memcpy(&rnd_state, data, 4);
	rnd_state |= 1;
	vlen = data[4] % 80;
	if (vlen > size - 5)
		vlen = size - 5;
	value = data + 5;
	filler = value + vlen;
	flen = size - 5 - vlen;
	rate_first = rnd() % 2;

	doc_len = 0;
	put(rnd() % 2 ? " {\n\t\"ociVersion\": \"1.0.2\", " : "{");
	put("\"process\":{\"args\":[\"");
	put_escaped(filler, flen);
	put("\"],\"annotations\":{\"io.conmon.log-rate\":\"decoy\"}},");
	put("\"annotations\" : {\"org.example\":\"");
	put_escaped(filler, flen / 2);
	put("\",");
	if (!rate_first)
		put("\"io.conmon.log-burst\":[\"decoy\"],");
	put("\"io.conmon.log-rate\":\"decoy\",\"io.conmon.log-rate\":\"");
	put_escaped(value, vlen);
	put("\"");
	if (rate_first)
		put(",\"io.conmon.log-burst\":{\"a\":\"decoy\"}");
	put("},\"linux\":{\"x\":[[[{\"annotations\":{\"io.conmon.log-burst\":"
	    "\"decoy\"}}]]],\"y\":[1,-2.5e+3,true,false,null]}}");
	if (doc_len + 1 >= sizeof(doc))
		return;

	scan(&s, doc, doc_len, 1 + rnd() % 4096);
	if (!cli_scan_end(&s))
		abort();
	/* The rate: the value, whole or its first ANNOT_VALUE_MAX bytes. */
	if (s.found[ANNOT_RATE].kind !=
		(vlen > ANNOT_VALUE_MAX ? ANNOT_TOO_LONG : ANNOT_STRING) ||
	    s.found[ANNOT_RATE].len !=
		(vlen > ANNOT_VALUE_MAX ? ANNOT_VALUE_MAX : vlen) ||
	    memcmp(s.found[ANNOT_RATE].text, value, s.found[ANNOT_RATE].len))
		abort();
	/* The burst: never a string here. */
	if (s.found[ANNOT_BURST].kind != ANNOT_NOT_STRING)
		abort();
	check_text(doc, doc_len, 1 + rnd() % 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 << 16)
		return 0;
	if (data[0] & 0x80)
		check_generated(data + 1, size - 1);
	else
		check_text(data + 1, size - 1, data[0] & 15);
	return 0;
}
