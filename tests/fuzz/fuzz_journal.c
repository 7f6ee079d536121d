/* fuzz_journal.c - the journald side of log.c (docs/logging.md §4): the
 * priority prefix parser journal_prio_prefix() and the native-protocol
 * encoder journal_encode().
 *
 * The container decides the message bytes, the caller the container id,
 * name, tag and labels.  Checked: the prefix parser accepts exactly
 * "<0>".."<7>"; an entry either does not fit the room given (and then it
 * really needs more) or serializes to a datagram that journald's native
 * protocol parses back (NAME=VALUE\n, or NAME\n + 64-bit little-endian
 * length + VALUE + \n for values holding a newline) into exactly the
 * fields of §4.1, in order, with the values given.
 *
 * Input: bytes 0-3 choose flags and the room (iovecs, binary lengths);
 * then NUL-separated strings: cid, name, tag, labels... and last the
 * message, split into pending and segment at a chosen point. */
#include "testing.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#define MAX_IOV	   1024
#define MAX_LABELS 8
#define MAX_FIELDS 32

static struct iovec iov[MAX_IOV];
static uint64_t lens[MAX_IOV];
static char dgram[1 << 17];
static char storage[1 << 16];
static char labelbuf[MAX_LABELS][256];

struct field {
	const char *name, *value;
	size_t nlen, vlen;
};

/* journald's native protocol, parsed strictly. */
static int parse(const char *p, size_t n, struct field *f, int max)
{
	int k = 0;
	size_t i = 0;

	while (i < n) {
		const char *name = p + i;
		size_t j = i;

		while (j < n && p[j] != '=' && p[j] != '\n')
			j++;
		if (j == n || j == i || k == max)
			return -1;
		f[k].name = name;
		f[k].nlen = j - i;
		if (p[j] == '=') {
			const char *nl = memchr(p + j + 1, '\n', n - j - 1);

			if (!nl)
				return -1;
			f[k].value = p + j + 1;
			f[k].vlen = (size_t)(nl - (p + j + 1));
			i = (size_t)(nl - p) + 1;
		} else {
			uint64_t len = 0;

			if (n - j - 1 < 8)
				return -1;
			for (int b = 7; b >= 0; b--)
				len = len << 8 | (unsigned char)p[j + 1 + b];
			if (n - j - 9 < len + 1 || p[j + 9 + len] != '\n')
				return -1;
			f[k].value = p + j + 9;
			f[k].vlen = (size_t)len;
			i = j + 9 + (size_t)len + 1;
		}
		/* A name is upper case letters, digits and '_'. */
		for (size_t c = 0; c < f[k].nlen; c++) {
			char ch = name[c];

			if (!((ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '_'))
				return -1;
		}
		k++;
	}
	return k;
}

static void expect(struct field *f, int *k, int n, const char *name,
		   const char *v1, size_t l1, const char *v2, size_t l2)
{
	struct field *x = &f[*k];

	if (*k >= n || x->nlen != strlen(name) ||
	    memcmp(x->name, name, x->nlen) || x->vlen != l1 + l2 ||
	    memcmp(x->value, v1, l1) || memcmp(x->value + l1, v2, l2))
		abort();
	(*k)++;
}

static void expect_str(struct field *f, int *k, int n, const char *name,
		       const char *v)
{
	expect(f, k, n, name, v, strlen(v), "", 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_entry e = {0};
	const char *strs[4 + MAX_LABELS];
	const char *labels[MAX_LABELS];
	struct field f[MAX_FIELDS];
	size_t nstr = 0, max_iov, max_lens, n, total = 0, split;
	const char *msg;
	size_t msglen;
	unsigned flags;
	int k = 0, nf, p, nlabels;

	if (size < 4 || size - 4 >= sizeof(storage))
		return 0;
	flags = data[0];
	max_iov = data[1] % 4 == 0 ? MAX_IOV : data[1] % 64;
	max_lens = data[2] % 4 == 0 ? MAX_IOV : data[2] % 8;
	memcpy(storage, data + 4, size - 4);
	storage[size - 4] = '\0';

	/* cid, name, tag, labels...: NUL-separated; the rest of the input
	 * after the last NUL is the message (it may hold no NUL). */
	msg = storage;
	for (size_t i = 0; i < size - 4 && nstr < 4 + MAX_LABELS;) {
		size_t len = strnlen(storage + i, size - 4 - i);

		if (i + len == size - 4)
			break;
		strs[nstr++] = storage + i;
		i += len + 1;
		msg = storage + i;
	}
	msglen = size - 4 - (size_t)(msg - storage);
	split = msglen ? data[3] % (msglen + 1) : 0;

	/* The priority prefix, on the message and a few offsets of it. */
	for (size_t off = 0; off < 4 && off <= msglen; off++) {
		const char *s = msg + off;
		size_t l = msglen - off;
		int want = l >= 3 && s[0] == '<' && s[1] >= '0' &&
				   s[1] <= '7' && s[2] == '>'
			       ? s[1] - '0'
			       : -1;

		if (journal_prio_prefix(s, l) != want)
			abort();
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.cid = nstr > 0 ? strs[0] : "0123456789abcdef";
	cfg.name = nstr > 1 ? strs[1] : NULL;
	cfg.log_tag = nstr > 2 ? strs[2] : NULL;
	cfg.no_container_partial_message = flags & 8;
	/* Labels as validation lets them through: NAME=VALUE, NAME of upper
	 * case letters, digits and '_', one '='; the value may hold anything
	 * but NUL and '=' (a newline too). */
	nlabels = 0;
	for (size_t i = 3; i < nstr && nlabels < MAX_LABELS; i++) {
		const char *s = strs[i];
		char *l = labelbuf[nlabels];
		size_t len = strlen(s), o = 0;

		if (len < 2 || len >= sizeof(labelbuf[0]))
			continue;
		for (size_t c = 0; c < len / 2 && o < 16; c++)
			l[o++] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"
			    [(unsigned char)s[c] % 37];
		l[o++] = '=';
		for (size_t c = len / 2; c < len; c++)
			if (s[c] != '=')
				l[o++] = s[c];
		l[o] = '\0';
		labels[nlabels++] = l;
	}
	cfg.log_labels.v = labels;
	cfg.log_labels.n = nlabels;

	e.pending = msg;
	e.pending_len = split;
	e.seg = msg + split;
	e.seg_len = msglen - split;
	e.priority = (flags >> 4) & 7;
	e.partial = flags & 1;
	if (flags & 2) {
		e.partial_id = "0123456789abcdef0123456789abcdef";
		e.ordinal = (flags & 4) ? "1" : "42";
		e.last = flags & 128;
	}

	n = journal_encode(&e, iov, max_iov, lens, max_lens);
	if (n == 0) {
		/* Only for lack of room. */
		if (max_iov == MAX_IOV && max_lens == MAX_IOV)
			abort();
		if (journal_encode(&e, iov, MAX_IOV, lens, MAX_IOV) == 0)
			abort();
		return 0;
	}
	if (n > max_iov)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!iov[i].iov_len || total + iov[i].iov_len > sizeof(dgram))
			abort();
		memcpy(dgram + total, iov[i].iov_base, iov[i].iov_len);
		total += iov[i].iov_len;
	}
	nf = parse(dgram, total, f, MAX_FIELDS);
	if (nf < 0)
		abort();

	/* docs/logging.md §4.1, in order. */
	expect(f, &k, nf, "MESSAGE", e.pending, e.pending_len, e.seg,
	       e.seg_len);
	expect_str(f, &k, nf, "CONTAINER_ID_FULL", cfg.cid);
	p = e.priority;
	expect(f, &k, nf, "PRIORITY", &"01234567"[p], 1, "", 0);
	expect(f, &k, nf, "CONTAINER_ID", cfg.cid,
	       strlen(cfg.cid) < 12 ? strlen(cfg.cid) : 12, "", 0);
	if (cfg.log_tag && *cfg.log_tag)
		expect_str(f, &k, nf, "CONTAINER_TAG", cfg.log_tag);
	if (cfg.name && *cfg.name)
		expect_str(f, &k, nf, "CONTAINER_NAME", cfg.name);
	if (cfg.log_tag && *cfg.log_tag)
		expect_str(f, &k, nf, "SYSLOG_IDENTIFIER", cfg.log_tag);
	else if (cfg.name && *cfg.name)
		expect_str(f, &k, nf, "SYSLOG_IDENTIFIER", cfg.name);
	else
		expect(f, &k, nf, "SYSLOG_IDENTIFIER", cfg.cid,
		       strlen(cfg.cid) < 12 ? strlen(cfg.cid) : 12, "", 0);
	if (e.partial && !cfg.no_container_partial_message)
		expect_str(f, &k, nf, "CONTAINER_PARTIAL_MESSAGE", "true");
	if (e.partial_id) {
		expect_str(f, &k, nf, "CONTAINER_PARTIAL_ID", e.partial_id);
		expect_str(f, &k, nf, "CONTAINER_PARTIAL_ORDINAL", e.ordinal);
		if (e.last)
			expect_str(f, &k, nf, "CONTAINER_PARTIAL_LAST", "true");
	}
	for (int i = 0; i < nlabels; i++) {
		char name[32];
		const char *eq = strchr(labels[i], '=');

		memcpy(name, labels[i], (size_t)(eq - labels[i]));
		name[eq - labels[i]] = '\0';
		expect_str(f, &k, nf, name, eq + 1);
	}
	if (k != nf)
		abort();
	return 0;
}
