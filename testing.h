/* testing.h - conmon's internals that the unit tests (tests/unit) and the
 * fuzz targets (tests/fuzz) call directly.  conmon itself uses each of
 * these only inside the file that defines it; nothing here is an
 * interface between conmon's own files (that is conmon.h).
 */
#ifndef CONMON_TESTING_H
#define CONMON_TESTING_H

#include "conmon.h"

struct iovec;
struct timespec;

/* cli.c: one --log-path value (docs/cli.md §4).  Returns NULL and sets
 * out on success, else the fatal message ("log-path must not be empty",
 * ...). */
struct log_target {
	enum { LOG_NONE, LOG_K8S, LOG_JOURNALD, LOG_PASSTHROUGH } driver;
	/* LOG_K8S only: into value when the path ends it, else a copy in
	 * buf */
	const char *path;
};
const char *cli_parse_log_path(const char *value, struct log_target *out,
			       char *buf, size_t bufsize);

/* cli.c: the log rate limit's settings (docs/logging.md §9). */
#define LOG_RATE_MAX	((int64_t)1 << 32) /* 4G: larger values are bad */
#define ANNOT_VALUE_MAX 64		   /* longer values are bad */
#define ANNOT_DEPTH_MAX 64		   /* deeper JSON is malformed */
/* A size: decimal digits and an optional suffix k, M or G in either case
 * (powers of 1024), at most LOG_RATE_MAX.  -1 if it is none. */
int64_t cli_parse_size(const char *text, size_t len);

/* The scanner of <bundle>/config.json: fed the file piece by piece, it
 * checks the JSON grammar and keeps the last value of each of the two keys
 * in the top-level "annotations" object, in constant memory. */
enum { ANNOT_RATE, ANNOT_BURST, ANNOT_KEYS };
struct annot_value {
	enum {
		ANNOT_ABSENT,
		ANNOT_STRING,	/* text holds it, decoded */
		ANNOT_TOO_LONG, /* text holds its first ANNOT_VALUE_MAX bytes */
		ANNOT_NOT_STRING, /* a number, literal, object or array */
	} kind;
	size_t len;
	char text[ANNOT_VALUE_MAX + 1]; /* NUL-terminated */
};
struct annot_scan {
	unsigned char state, number, role, pending, target;
	bool in_annotations, keep, overflow, too_deep;
	unsigned depth, hex, hex_left;
	uint64_t objects; /* bit d-1: the container at depth d is an object */
	const char *literal;
	size_t offset, len; /* bytes consumed; length of the string read */
	char buf[ANNOT_VALUE_MAX + 1];
	struct annot_value found[ANNOT_KEYS];
};
void cli_scan_init(struct annot_scan *s);
/* Returns false once nothing more is needed: the document ended (what
 * follows it is not read, as runc's decoder does) or is malformed. */
bool cli_scan_feed(struct annot_scan *s, const char *buf, size_t len);
/* True if a whole top-level object was read; else s->offset is where the
 * input went wrong (or its length, when it ended early). */
bool cli_scan_end(const struct annot_scan *s);

/* log.c: the k8s-file writer and the journald encoder. */
#define K8S_TIMESTAMP_LEN   35	 /* YYYY-MM-DDTHH:MM:SS.NNNNNNNNN+HH:MM */
#define K8S_PREFIX_LEN	    45	 /* timestamp, " stdout F " */
#define JOURNAL_PENDING_MAX 8191 /* journald's per-stream partial line */
/* Length of the next record at buf: through its '\n', else all of it
 * (*partial set). */
size_t log_record_len(const char *buf, size_t len, bool *partial);
/* The k8s-file timestamp of ts in local time, 35 bytes, no NUL. */
void log_timestamp(char *out, const struct timespec *ts);
/* The priority of a "<N>" prefix at seg (docs/logging.md §4.4), else -1. */
int journal_prio_prefix(const char *seg, size_t len);
/* One journald entry; the other fields come from cfg. */
struct journal_entry {
	const char *pending, *seg; /* MESSAGE is pending + seg */
	size_t pending_len, seg_len;
	int priority;
	bool partial;		/* CONTAINER_PARTIAL_MESSAGE=true */
	const char *partial_id; /* a piece of a split line, else NULL */
	const char *ordinal;	/* its CONTAINER_PARTIAL_ORDINAL */
	bool last;		/* CONTAINER_PARTIAL_LAST=true */
};
/* The native-protocol datagram for e as iovecs (lens holds the binary
 * form's lengths); 0 if max_iov or max_lens is too small. */
size_t journal_encode(const struct journal_entry *e, struct iovec *iov,
		      size_t max_iov, uint64_t *lens, size_t max_lens);
extern const char *journal_socket_path; /* /run/systemd/journal/socket */
extern bool journal_force_memfd;	/* always take the memfd path */
/* Close the log fds and forget every state (pending lines, caches). */
void log_reset(void);

/* sock.c: the ctl/winsz parsers, pure functions of one line without its
 * newline.  Return 0 on success, or a negative CTL_E* code; the out values
 * are then still set as far as they were read, and ctl_error_text()
 * formats the documented warning from them. */
enum {
	CTL_EFORMAT = -1, /* "Invalid control message format" */
	CTL_ETYPE = -2,	  /* "Invalid control message type: <t>" */
	CTL_ESIZE = -3,	  /* "Invalid window size: <h>x<w> (...)" */
	CTL_EWINSZ = -4,  /* "Failed to parse window size" */
};
int ctl_parse(const char *line, size_t len, int *type, int *rows, int *cols);
int winsz_parse(const char *line, size_t len, int *rows, int *cols);
int ctl_error_text(char *dst, size_t cap, int code, int type, int rows,
		   int cols);

/* sock.c: the line splitter of the ctl/winsz FIFOs (docs/ctl.md §2): feed
 * it what read(2) returned; it calls fn once per complete line (without
 * the newline), or with line == NULL once per line too long to be valid
 * (CTL_LINE_MAX - 1 bytes without a newline), whose bytes are then
 * skipped up to and including its newline. */
struct ctl_line {
	char buf[CTL_LINE_MAX];
	size_t len;
	bool discarding;
};
typedef void ctl_line_fn(void *ctx, const char *line, size_t len);
void ctl_line_feed(struct ctl_line *l, const char *data, size_t len,
		   ctl_line_fn *fn, void *ctx);

/* sock.c: keep only the allowed lines of an sd-notify datagram, joined by
 * '\n', in place; returns the new length (0: send nothing). */
size_t notify_filter(char *buf, size_t len);

/* oom.c: find the cgroup directory of a process in its /proc/PID/cgroup
 * contents, read from fd: v2 "0::PATH", or v1 the hierarchy whose
 * controllers include memory.  Returns 1 with dir set, 0 when no line
 * matches, -1 after warning about a malformed line. */
int oom_parse_cgroup(int fd, bool v2, char *dir, size_t cap);

#endif
