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
