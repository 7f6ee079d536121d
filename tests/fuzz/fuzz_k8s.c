/* fuzz_k8s.c - the k8s-file writer (docs/logging.md §2-§3): log_deliver() with a
 * real log file, as the container's bytes arrive, under the size limit,
 * rotation and the lifetime cap.
 *
 * The container decides every byte.  After the chunks are written, the
 * log and its backups are read back with a strict parser and compared,
 * record by record, with a model of docs/logging.md: each chunk is cut after
 * every newline, a tail without one is a P record with an added newline
 * (§2.3); a record that would take a non-empty file past --log-size-max
 * first starts a new file, by truncation or by rotation that keeps
 * exactly --log-max-files backups (§2.4, §3); once --log-global-size-max
 * bytes were written the rest is dropped (§2.5).  Every record carries
 * its chunk's one timestamp in the §2.2 format.
 *
 * Input: byte 0 chooses the limits (bits 0-1 size limit, 2 rotation, 3-4
 * backups, 5 lifetime cap), bytes 1-2 scale them; then chunks, each a
 * header byte (bit 0: stderr) and a length byte, then its bytes. */
#include "testing.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RECORDS 65536
#define MAX_BACKUPS 3

struct rec {
	const uint8_t *text;
	size_t len;
	bool partial, err;
	unsigned chunk;
};

static struct rec recs[MAX_RECORDS];
static size_t nrecs;
static char dir[PATH_MAX];
static char path[PATH_MAX];
static char filebuf[1 << 22];

/* Files as record ranges: [0] the log, [i] the backup .i. */
static struct {
	size_t from, to;
	bool exists;
} files[MAX_BACKUPS + 1];

static void remove_scratch(void);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	/* A file per input: a RAM file system is many times faster. */
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/fuzz_k8s.XXXXXX", tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/ctr.log", dir);
	atexit(remove_scratch);
	return 0;
}

static void remove_all(void)
{
	static const char *const suffix[] = {"",   ".1",   ".2",  ".3",
					     ".4", ".tmp", ".new"};
	char p[PATH_MAX + 8];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static void remove_scratch(void)
{
	remove_all();
	rmdir(dir);
}

static ssize_t slurp(const char *p)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0, r;

	if (fd < 0)
		return -1;
	while ((r = read(fd, filebuf + n, sizeof(filebuf) - (size_t)n)) > 0)
		n += r;
	close(fd);
	return n;
}

static bool digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* YYYY-MM-DDTHH:MM:SS.NNNNNNNNN+HH:MM */
static bool timestamp_ok(const char *t)
{
	return digits(t, 4) && t[4] == '-' && digits(t + 5, 2) && t[7] == '-' &&
	       digits(t + 8, 2) && t[10] == 'T' && digits(t + 11, 2) &&
	       t[13] == ':' && digits(t + 14, 2) && t[16] == ':' &&
	       digits(t + 17, 2) && t[19] == '.' && digits(t + 20, 9) &&
	       (t[29] == '+' || t[29] == '-') && digits(t + 30, 2) &&
	       t[32] == ':' && digits(t + 33, 2);
}

/* The file must hold exactly the records [from, to). */
static void check_file(const char *p, size_t from, size_t to)
{
	ssize_t n = slurp(p);
	size_t off = 0;
	const char *chunk_ts = NULL;
	unsigned chunk = 0;

	if (n < 0)
		abort();
	for (size_t i = from; i < to; i++) {
		const struct rec *r = &recs[i];
		const char *rec = filebuf + off;
		size_t need = K8S_PREFIX_LEN + r->len + r->partial;

		if ((size_t)n - off < need || !timestamp_ok(rec) ||
		    memcmp(rec + K8S_TIMESTAMP_LEN,
			   r->err ? " stderr " : " stdout ", 8) ||
		    rec[43] != (r->partial ? 'P' : 'F') || rec[44] != ' ' ||
		    memcmp(rec + K8S_PREFIX_LEN, r->text, r->len) ||
		    rec[need - 1] != '\n')
			abort();
		/* One timestamp per chunk. */
		if (chunk_ts && chunk == r->chunk &&
		    memcmp(chunk_ts, rec, K8S_TIMESTAMP_LEN))
			abort();
		chunk_ts = rec;
		chunk = r->chunk;
		off += need;
	}
	if (off != (size_t)n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t seq;
	int64_t size_max = -1, global_max = -1, cur = 0, total = 0;
	int backups = 1;
	bool rotate;
	unsigned chunk = 0;
	size_t i;

	if (size < 3)
		return 0;
	switch (data[0] & 3) {
	case 1:
		size_max = 1 + data[1];
		break;
	case 2:
		size_max = 46 + data[1] * 16;
		break;
	case 3:
		size_max = 1000 + data[1] * 40;
		break;
	}
	rotate = size_max > 0 && (data[0] & 4);
	backups = 1 + (data[0] >> 3 & 3) % MAX_BACKUPS;
	if (data[0] & 32)
		global_max = 1 + data[2] * 32;

	memset(&cfg, 0, sizeof(cfg));
	cfg.k8s_log_path = path;
	cfg.log_size_max = size_max;
	cfg.log_global_size_max = global_max;
	cfg.log_rotate = rotate;
	cfg.log_max_files = backups;
	log_level = LVL_ERROR;
	remove_all();
	log_k8s_open();

	memset(files, 0, sizeof(files));
	files[0].exists = true;
	nrecs = 0;
	for (i = 3; i + 2 <= size;) {
		bool err = data[i] & 1;
		size_t len = (size_t)data[i + 1] * 33, left = size - i - 2;
		const uint8_t *p = data + i + 2;

		if (len > left)
			len = left;
		if (len > STDIO_BUF_SIZE)
			len = STDIO_BUF_SIZE;
		i += 2 + len;
		if (!len)
			continue;
		{
			struct chunk c = {(const char *)p, len,
					  err ? STREAM_STDERR : STREAM_STDOUT,
					  ++seq, false};

			/* k8s-file alone never holds a chunk back. */
			if (!log_deliver(&c))
				abort();
		}

		/* The model. */
		chunk++;
		while (len > 0) {
			const uint8_t *nl = memchr(p, '\n', len);
			size_t n = nl ? (size_t)(nl - p) + 1 : len;
			int64_t cost = (int64_t)n + K8S_PREFIX_LEN + !nl;

			if (global_max > 0 && total >= global_max)
				break;
			if (size_max > 0 && cur > 0 && cur + cost > size_max) {
				if (rotate) {
					for (int b = backups; b >= 2; b--)
						files[b] = files[b - 1];
					files[1] = files[0];
				}
				files[0].from = nrecs;
				cur = 0;
			}
			if (nrecs == MAX_RECORDS)
				abort();
			recs[nrecs++] = (struct rec){p, n, !nl, err, chunk};
			files[0].to = nrecs;
			cur += cost;
			total += cost;
			p += n;
			len -= n;
		}
	}

	check_file(path, files[0].from, files[0].to);
	for (int b = 1; b <= MAX_BACKUPS + 1; b++) {
		char p[PATH_MAX + 8];
		struct stat st;

		snprintf(p, sizeof(p), "%s.%d", path, b);
		if (b <= MAX_BACKUPS && files[b].exists)
			check_file(p, files[b].from, files[b].to);
		else if (stat(p, &st) == 0)
			abort();
	}
	/* No temporary file is left behind. */
	for (int k = 0; k < 2; k++) {
		char p[PATH_MAX + 8];
		struct stat st;

		snprintf(p, sizeof(p), "%s%s", path, k ? ".new" : ".tmp");
		if (stat(p, &st) == 0)
			abort();
	}
	log_reset();
	remove_all();
	return 0;
}
