/* log.c - where container output is recorded, and how conmon reports on
 * itself.
 *
 * Two drivers keep the container's output (docs/logging.md): the k8s-file log
 * that kubelet, CRI-O and `podman logs` read, and journald spoken to over
 * its native datagram protocol, since conmon links no libsystemd.
 * Passthrough and none need nothing here.
 *
 * No heap.  Every buffer is static and sized for the worst case; the big
 * ones sit in .bss and are only touched by the driver that uses them, so
 * a container that logs only to a file never faults in journald's
 * pending-line buffers, and an idle one touches none of them. */
#include "conmon.h"
#include "testing.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* One gather list serves both drivers: k8s-file writes its batch out
 * before journald builds an entry, so they never hold it at once. */
static struct iovec iov_pool[IOV_MAX];

static inline int stream_index(enum stream s)
{
	return s == STREAM_STDERR;
}

/* ------------------------------------------------------------------ */
/* conmon's own diagnostics (docs/logging.md §8) */

int log_level = LVL_WARN;

int log_level_parse(const char *name)
{
	static const struct {
		char name[8];
		signed char level;
	} names[] = {
	    {"error", LVL_ERROR}, {"fatal", LVL_ERROR},	 {"panic", LVL_ERROR},
	    {"warn", LVL_WARN},	  {"warning", LVL_WARN}, {"info", LVL_INFO},
	    {"debug", LVL_DEBUG}, {"trace", LVL_TRACE},
	};

	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i].name) == 0)
			return names[i].level;
	return -1;
}

/* The text is formatted behind DIAG_HEAD spare bytes, so that either
 * prefix can be put in front of it without a copy. */
#define DIAG_HEAD 16
#define DIAG_TEXT 4096

/* A message that repeats (a full disk warns on every chunk) is shown
 * once per window; the window doubles while the flood goes on, so a
 * flood lasting hours costs a few lines, not millions. */
#define FLOOD_SPAN_NS	  1000000000LL
#define FLOOD_SPAN_MAX_NS (64 * FLOOD_SPAN_NS)

static struct {
	uint64_t hash; /* of the last message shown, 0: none */
	int64_t until; /* CLOCK_MONOTONIC end of its window */
	int64_t span;
	unsigned suppressed;
	int level;
} flood;

/* syslog's "conmon <ID>" is the first 20 bytes of the cid, or of
 * "<cid>: <tag>" when there is a tag. */
static void syslog_id(char *id, size_t cap)
{
	int n = cfg.log_tag ? snprintf(id, cap, "%s: %s",
				       cfg.cid ? cfg.cid : "", cfg.log_tag)
			    : snprintf(id, cap, "%s", cfg.cid ? cfg.cid : "");

	if (n < 0)
		id[0] = '\0';
}

/* Show text (n bytes at buf + DIAG_HEAD, with one spare byte after it)
 * on stderr with one write, and in syslog with --syslog. */
static void diag_emit(int level, bool with_errno, char *buf, size_t n)
{
	static const char letter[] = "ewidd";
	static const char *const kind[][2] = {
	    {"error", "error"},	  {"nwarn", "pwarn"},	{"ninfo", "ninfo"},
	    {"ndebug", "ndebug"}, {"ntrace", "ntrace"},
	};
	char *text = buf + DIAG_HEAD, *line = text - 12;

	memcpy(line, "[conmon:?]: ", 12);
	line[8] = letter[level];
	text[n] = '\n';
	(void)!write(STDERR_FILENO, line, n + 13);
	if (cfg.syslog) {
		static bool opened;
		char id[24];

		/* glibc names messages after the program by default, musl
		 * leaves the name empty: say it for both. */
		if (!opened)
			openlog(program_invocation_short_name, 0, LOG_USER);
		opened = true;
		text[n] = '\0';
		syslog_id(id, 21);
		syslog(level == LVL_ERROR ? LOG_ERR : LOG_INFO,
		       "conmon %s <%s>: %s", id, kind[level][with_errno], text);
	}
}

static void flood_report(void)
{
	char buf[DIAG_HEAD + 64];
	int n;

	if (!flood.suppressed)
		return;
	n = snprintf(buf + DIAG_HEAD, 48, "last message repeated %u times",
		     flood.suppressed);
	flood.suppressed = 0;
	diag_emit(flood.level, false, buf, (size_t)n);
}

/* Whether to hold back this message as part of a flood. */
static bool flood_hold(int level, const char *text, size_t n)
{
	uint64_t h = 14695981039346656037ULL ^ (unsigned)level;
	int64_t now = monotonic_ns();
	bool same;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
	h |= 1; /* never 0, which means "nothing shown yet" */
	same = h == flood.hash;
	if (same && now < flood.until) {
		flood.suppressed++;
		return true;
	}
	if (same && flood.suppressed)
		flood.span = flood.span * 2 < FLOOD_SPAN_MAX_NS
				 ? flood.span * 2
				 : FLOOD_SPAN_MAX_NS;
	else
		flood.span = FLOOD_SPAN_NS;
	flood_report();
	flood.hash = h;
	flood.until = now + flood.span;
	flood.level = level;
	return false;
}

static void vdiag(int level, int err, const char *fmt, va_list ap)
{
	char buf[DIAG_HEAD + DIAG_TEXT + 1];
	char *text = buf + DIAG_HEAD;
	int saved = errno, r;
	size_t n;

	r = vsnprintf(text, DIAG_TEXT, fmt, ap);
	n = r < 0 ? 0 : (size_t)r < DIAG_TEXT ? (size_t)r : DIAG_TEXT - 1;
	if (err) {
		r = snprintf(text + n, DIAG_TEXT - n, " %s", strerror(err));
		n += r < 0			 ? 0
		     : (size_t)r < DIAG_TEXT - n ? (size_t)r
						 : DIAG_TEXT - n - 1;
	}
	if (level == LVL_ERROR)
		flood_report();
	else if (flood_hold(level, text, n))
		goto out;
	diag_emit(level, err != 0, buf, n);
out:
	errno = saved;
}

void diag(int level, int err, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vdiag(level, err, fmt, ap);
	va_end(ap);
}

_Noreturn void fatal(int err, const char *fmt, ...)
{
	static bool dying;
	va_list ap;

	va_start(ap, fmt);
	vdiag(LVL_ERROR, err, fmt, ap);
	va_end(ap);
	/* A failure inside the exit path must not loop back into it. */
	if (dying)
		_exit(1);
	dying = true;
	conmon_exit(1);
}

_Noreturn void fatal_plain(const char *fmt, ...)
{
	char buf[DIAG_TEXT + 16];
	va_list ap;
	int r;
	size_t n;

	memcpy(buf, "conmon: ", 8);
	va_start(ap, fmt);
	r = vsnprintf(buf + 8, DIAG_TEXT, fmt, ap);
	va_end(ap);
	n = 8 + (r < 0 ? 0 : (size_t)r < DIAG_TEXT ? (size_t)r : DIAG_TEXT - 1);
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
	exit(1);
}

/* ------------------------------------------------------------------ */
/* k8s-file (docs/logging.md §2, §3) */

static struct {
	int fd;
	int64_t size;	 /* bytes in the current file (--log-size-max) */
	int64_t total;	 /* bytes ever written, from the initial size on */
	int64_t pending; /* bytes gathered in iov_pool, not yet written */
	int niov;
} k8s = {.fd = -1};

/* The current chunk's record prefix, with the F tag (a P record gets its
 * tag patched in the copy); padded to 48 bytes so that it is copied as
 * three 16-byte moves. */
#define K8S_PREFIX_ROOM 48
#define K8S_TAG_AT	(K8S_PREFIX_LEN - 2)
static char k8s_prefix[K8S_PREFIX_ROOM];

/* musl keeps the zone file it reads for local time mapped for the life of
 * the process: a mapping far from everything else, whose page tables cost
 * each monitor 8 kB of kernel memory (bench/monitor-charge).  Current
 * times only need the zone's present rules, which a TZif file of version
 * 2 or later ends with, as a POSIX TZ string between two newlines ("UTC0",
 * "CET-1CEST,M3.5.0,M10.5.0/3"); musl takes such a string from TZ and maps
 * nothing.  Which file musl would read: TZ unset is /etc/localtime, ":X"
 * or a TZ holding a '/' (before any ',') names a file, relative to the
 * zoneinfo directory unless absolute; any other TZ is rules already. */
bool log_tz_rules(char *out, size_t cap)
{
	const char *tz = getenv("TZ"), *comma;
	char path[PATH_MAX], tail[128];
	struct stat st;
	ssize_t n;
	int fd;

	if (!tz) {
		tz = "/etc/localtime";
	} else if (tz[0] == ':') {
		tz++;
	} else {
		const char *slash = strchr(tz, '/');

		comma = strchr(tz, ',');
		if (!slash || (comma && comma < slash))
			return false;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s%s",
			     tz[0] == '/' ? "" : "/usr/share/zoneinfo/",
			     tz) >= sizeof(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, tail, 5);
	if (n != 5 || memcmp(tail, "TZif", 4) || tail[4] < '2' ||
	    fstat(fd, &st) < 0)
		n = -1;
	else
		n = pread(fd, tail, sizeof(tail),
			  st.st_size > (off_t)sizeof(tail)
			      ? st.st_size - (off_t)sizeof(tail)
			      : 0);
	close(fd);
	/* "...\n<rules>\n" at the very end; empty rules say nothing. */
	if (n < 3 || tail[n - 1] != '\n')
		return false;
	tail[n - 1] = '\0';
	comma = memrchr(tail, '\n', (size_t)n - 1);
	if (!comma || !comma[1] || strlen(comma + 1) >= cap)
		return false;
	for (const char *c = comma + 1; *c; c++)
		if (*c < ' ' || *c > '~')
			return false;
	strcpy(out, comma + 1);
	return true;
}

/* Local time changes once a second: the date, time and UTC offset are
 * formatted then, and a chunk only adds its nanoseconds. */
static struct {
	bool valid;
	time_t sec;
	char head[20]; /* "YYYY-MM-DDTHH:MM:SS." */
	char zone[6];  /* "+HH:MM" */
} ts_cache;

static void put2(char *p, long v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

static void ts_cache_fill(time_t sec)
{
	struct tm tm;
	long off = 0, year;
	char *h = ts_cache.head, *z = ts_cache.zone;

	if (localtime_r(&sec, &tm))
		off = tm.tm_gmtoff;
	else
		gmtime_r(&sec, &tm);
	year = tm.tm_year + 1900L;
	year = year < 0 ? 0 : year > 9999 ? 9999 : year;
	put2(h, year / 100);
	put2(h + 2, year % 100);
	h[4] = '-';
	put2(h + 5, tm.tm_mon + 1);
	h[7] = '-';
	put2(h + 8, tm.tm_mday);
	h[10] = 'T';
	put2(h + 11, tm.tm_hour);
	h[13] = ':';
	put2(h + 14, tm.tm_min);
	h[16] = ':';
	put2(h + 17, tm.tm_sec);
	h[19] = '.';
	z[0] = off < 0 ? '-' : '+';
	off = off < 0 ? -off : off;
	put2(z + 1, off / 3600);
	z[3] = ':';
	put2(z + 4, off / 60 % 60);
	ts_cache.sec = sec;
	ts_cache.valid = true;
}

void log_timestamp(char *out, const struct timespec *ts)
{
	long ns = ts->tv_nsec;

	if (!ts_cache.valid || ts->tv_sec != ts_cache.sec)
		ts_cache_fill(ts->tv_sec);
	memcpy(out, ts_cache.head, sizeof(ts_cache.head));
	for (int i = 28; i >= 20; i--, ns /= 10)
		out[i] = (char)('0' + ns % 10);
	memcpy(out + 29, ts_cache.zone, sizeof(ts_cache.zone));
}

#if defined(__SSE2__) && !defined(CONMON_NO_SIMD)
#include <emmintrin.h>
/* memchr for '\n', 64 bytes a step: musl's word-at-a-time memchr costs
 * 1.4 instructions a byte on long runs and 2.2 on 100-byte lines. */
static const char *find_newline(const char *p, size_t len)
{
	const __m128i nl = _mm_set1_epi8('\n');

	while (len >= 64) {
		__m128i a =
		    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), nl);
		__m128i b = _mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)(p + 16)), nl);
		__m128i c = _mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)(p + 32)), nl);
		__m128i d = _mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)(p + 48)), nl);

		if (_mm_movemask_epi8(
			_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))))
			break;
		p += 64;
		len -= 64;
	}
	while (len >= 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), nl));

		if (m)
			return p + __builtin_ctz(m);
		p += 16;
		len -= 16;
	}
	return memchr(p, '\n', len);
}
#else
#define find_newline(p, len) memchr(p, '\n', len)
#endif

size_t log_record_len(const char *buf, size_t len, bool *partial)
{
	const char *nl = find_newline(buf, len);

	*partial = !nl;
	return nl ? (size_t)(nl - buf) + 1 : len;
}

/* path + suffix into out (PATH_MAX bytes); false if it does not fit. */
static bool path_with(char *out, const char *suffix)
{
	int n = snprintf(out, PATH_MAX, "%s%s", cfg.k8s_log_path, suffix);

	return n > 0 && n < PATH_MAX;
}

static void parent_dir(char *out, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!slash)
		strcpy(out, ".");
	else if (n == 0)
		strcpy(out, "/");
	else {
		memcpy(out, path, n);
		out[n] = '\0';
	}
}

/* Whether the canonical directory dir lies in one of the
 * --log-allowlist-dir entries (true when none is given). */
static bool allowlisted(const char *dir)
{
	char entry[PATH_MAX];
	bool any = false;

	for (int i = 0; i < cfg.log_allowlist_dirs.n; i++) {
		const char *e = cfg.log_allowlist_dirs.v[i];
		size_t n;

		if (!e || !*e)
			continue;
		any = true;
		if (!realpath(e, entry)) {
			nwarn("Invalid allowlist directory %s", e);
			continue;
		}
		n = strlen(entry);
		if (n == 1 || (strncmp(dir, entry, n) == 0 &&
			       (dir[n] == '\0' || dir[n] == '/')))
			return true;
	}
	return !any;
}

/* Rotation renames files by path, so it first makes sure the path is
 * one an attacker cannot have pointed elsewhere (docs/logging.md §3.1).
 * Returns NULL when it is fine, else why not (in why). */
static const char *rotate_path_problem(char *why, size_t cap)
{
	const char *path = cfg.k8s_log_path;
	char dir[PATH_MAX], canon[PATH_MAX];
	size_t len = strlen(path);
	struct stat st;
	int dfd;

	if (!len || len >= PATH_MAX || strstr(path, "../") ||
	    strstr(path, "/.."))
		return "bad path";
	parent_dir(dir, path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return "Cannot open parent directory";
	why[0] = '\0';
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			snprintf(why, cap, "Log path is a symbolic link");
	} else if (errno == ENOENT) {
		/* A new file will be created here: the directory must be
		 * one nobody else can swap files in. */
		if (fstat(dfd, &st) < 0 || !realpath(dir, canon))
			snprintf(why, cap, "Cannot resolve parent directory");
		else if (st.st_mode & S_IWOTH)
			snprintf(why, cap,
				 "Parent directory is world-writable, "
				 "security risk: %s",
				 dir);
		else if (st.st_uid != 0 && st.st_uid != getuid() &&
			 st.st_uid != geteuid())
			snprintf(why, cap,
				 "Parent directory owned by unexpected UID "
				 "%u: %s",
				 (unsigned)st.st_uid, dir);
		else if (!allowlisted(canon))
			snprintf(why, cap, "Parent directory not in allowlist");
		for (char *p = canon + 1; !why[0] && *p; p++) {
			if (p[1] != '/' && p[1] != '\0')
				continue;
			char c = p[1];

			p[1] = '\0';
			if (lstat(canon, &st) == 0 && S_ISLNK(st.st_mode))
				snprintf(why, cap,
					 "Parent directory path contains a "
					 "symbolic link: %s",
					 canon);
			p[1] = c;
		}
	}
	close(dfd);
	return why[0] ? why : NULL;
}

/* Whether the open log still is the file at the log path: never rotate
 * somebody else's file into our backups. */
static bool k8s_fd_is_path(void)
{
	char proc[32], linked[PATH_MAX], canon[PATH_MAX];
	struct stat a, b;
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", k8s.fd);
	n = readlink(proc, linked, sizeof(linked) - 1);
	if (n < 0 || !realpath(cfg.k8s_log_path, canon))
		return false;
	linked[n] = '\0';
	return strcmp(linked, canon) == 0 && fstat(k8s.fd, &a) == 0 &&
	       stat(cfg.k8s_log_path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static void k8s_switch(int fd)
{
	close(k8s.fd);
	k8s.fd = fd;
	k8s.size = 0;
}

/* --log-rotate: the log becomes <path>.1, older backups move up, and
 * exactly --log-max-files of them are kept.  On any failure logging
 * goes on in the current file (docs/logging.md §3). */
static bool k8s_rotate(void)
{
	const char *path = cfg.k8s_log_path;
	char from[PATH_MAX], to[PATH_MAX], why[PATH_MAX + 96];
	struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int max = cfg.log_max_files > 0 ? cfg.log_max_files : 1, fd;
	const char *problem = rotate_path_problem(why, sizeof(why));

	if (problem) {
		nwarn("Cannot rotate: invalid log path: %s", problem);
		return false;
	}
	if (fcntl(k8s.fd, F_SETLK, &lock) < 0) {
		nwarn("Log file locked by another process, skipping rotation");
		return false;
	}
	if (!k8s_fd_is_path()) {
		nwarn("File descriptor security validation failed");
		goto unlock;
	}
	if (!path_with(to, ".new") || !path_with(from, ".1")) {
		nwarn("Cannot rotate: invalid log path: too long");
		goto unlock;
	}
	/* A .new left by a crash would make O_EXCL fail forever. */
	unlink(to);
	fd = open(to, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		nwarn("Failed to create new log file: %s", strerror(errno));
		goto unlock;
	}
	for (int i = max; i >= 2; i--) {
		if (snprintf(from, sizeof(from), "%s.%d", path, i - 1) >=
			PATH_MAX ||
		    snprintf(to, sizeof(to), "%s.%d", path, i) >= PATH_MAX)
			continue;
		if (rename(from, to) < 0 && errno != ENOENT)
			pwarn("Failed to rename %s to %s", from, to);
	}
	path_with(from, ".new");
	path_with(to, ".1");
	if (rename(path, to) < 0) {
		pwarn("Failed to rename log file %s to %s", path, to);
		goto discard;
	}
	if (rename(from, path) < 0) {
		pwarn("Failed to rename log file %s to %s", from, path);
		if (rename(to, path) < 0)
			pwarn("Failed to restore log file %s", path);
		goto discard;
	}
	k8s_switch(fd); /* closing the old fd drops its lock */
	return true;
discard:
	unlink(from);
	close(fd);
unlock:
	lock.l_type = F_UNLCK;
	fcntl(k8s.fd, F_SETLK, &lock);
	return false;
}

/* The log's directory, opened, for creating a file in it.  With
 * --log-allowlist-dir the directory must still lie inside the allowlist:
 * whoever can replace it, or a directory above it, with a symlink must not
 * make conmon create files elsewhere (docs/logging.md §3.1; checked here for
 * every creation, not only rotation, as at start).  The directory is
 * opened by its canonical name and then checked to still be that one, so
 * a swap between the check and the use is caught too.  *base is the log
 * file's name inside it.  -1 with errno set on failure, *outside set when
 * the directory is not (or no longer) in the allowlist. */
static int log_dir_open(const char **base, bool *outside)
{
	const char *path = cfg.k8s_log_path, *slash = strrchr(path, '/');
	char dir[PATH_MAX], canon[PATH_MAX], linked[PATH_MAX], proc[32];
	ssize_t n;
	int dfd;

	*base = slash ? slash + 1 : path;
	*outside = false;
	if (strlen(path) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	parent_dir(dir, path);
	if (cfg.log_allowlist_dirs.n == 0)
		return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!realpath(dir, canon))
		return -1;
	if (!allowlisted(canon)) {
		*outside = true;
		errno = EACCES;
		return -1;
	}
	dfd = open(canon, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dfd);
	n = readlink(proc, linked, sizeof(linked) - 1);
	if (n < 0 || (linked[n] = '\0', strcmp(linked, canon) != 0)) {
		close(dfd);
		*outside = true;
		errno = EACCES;
		return -1;
	}
	return dfd;
}

/* Truncate-mode reopen (docs/logging.md §2.6): a fresh file is renamed onto
 * the path, which is the inotify event CRI-O waits for after asking for
 * a reopen.  Unlike upstream a failure is not fatal: the container keeps
 * its monitor and logging goes on in the current file. */
static bool k8s_truncate(void)
{
	const char *path = cfg.k8s_log_path, *base;
	char tmp[NAME_MAX + 1];
	bool outside;
	int dfd, fd;

	dfd = log_dir_open(&base, &outside);
	if (dfd < 0) {
		if (outside)
			nwarn("Failed to open log file %s: Parent directory "
			      "not in allowlist",
			      path);
		else
			pwarn("Failed to open log file %s", path);
		return false;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", base) >= sizeof(tmp)) {
		nwarn("Failed to open log file %s: path too long", path);
		close(dfd);
		return false;
	}
	/* Never write through whatever a stale .tmp links to. */
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp,
		    O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		pwarn("Failed to open log file %s", path);
		close(dfd);
		return false;
	}
	if (renameat(dfd, tmp, dfd, base) < 0) {
		pwarn("Failed to rename log file");
		unlinkat(dfd, tmp, 0);
		close(fd);
		close(dfd);
		return false;
	}
	close(dfd);
	k8s_switch(fd);
	return true;
}

/* A write failed: what was not written is dropped, and a record cut in
 * half (torn bytes of it reached the file) is cut off again, so that
 * readers never meet a broken line once space returns. */
static void k8s_write_failed(int err, size_t torn)
{
	off_t end;

	k8s.size -= k8s.pending;
	k8s.total -= k8s.pending;
	k8s.pending = 0;
	if (torn && (end = lseek(k8s.fd, 0, SEEK_CUR)) >= (off_t)torn &&
	    ftruncate(k8s.fd, end - (off_t)torn) == 0) {
		k8s.size -= (int64_t)torn;
		k8s.total -= (int64_t)torn;
	}
	diag(LVL_WARN, err, "failed to flush buffer to log");
}

/* Short records are copied here, so that the kernel copies a few long
 * segments instead of two short ones per line (per-segment overhead in
 * copy_folio_from_iter_atomic was 60% of the CPU for 100-byte lines).
 * STAGE_SLACK: copies move whole 64-byte blocks and may run past the end
 * of what they keep; the next record overwrites it. */
#define STAGE_SIZE	 16384
#define STAGE_RECORD_MAX 512
#define STAGE_SLACK	 64
static char stage[STAGE_SIZE];
static size_t stage_len, stage_pushed;

static void stage_push(void)
{
	if (stage_len > stage_pushed) {
		iov_pool[k8s.niov++] = (struct iovec){stage + stage_pushed,
						      stage_len - stage_pushed};
		stage_pushed = stage_len;
	}
}

/* Bytes of an unfinished record on disk after `done` more bytes of a
 * segment were written: every record ends in a newline, and a staged
 * segment may hold several records or end inside one. */
static size_t count_torn(size_t torn, const char *p, size_t done)
{
	const char *nl = memrchr(p, '\n', done);

	return nl ? done - (size_t)(nl - p) - 1 : torn + done;
}

/* Write out the gathered records, continuing after short writes.  When
 * all of them are in the stage (short lines, the usual case), it is one
 * segment on the stack, and iov_pool's page is never touched. */
static void k8s_flush(void)
{
	struct iovec one, *iov = iov_pool;
	size_t torn = 0; /* bytes written of the record in progress */
	int n;

	if (k8s.niov == 0) {
		one = (struct iovec){stage + stage_pushed,
				     stage_len - stage_pushed};
		iov = &one;
		n = one.iov_len > 0;
	} else {
		stage_push();
		n = k8s.niov;
	}
	stage_len = stage_pushed = 0;
	k8s.niov = 0;
	while (n > 0) {
		ssize_t w = writev(k8s.fd, iov, n > IOV_MAX ? IOV_MAX : n);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			k8s_write_failed(w < 0 ? errno : ENOSPC, torn);
			return;
		}
		if (w == k8s.pending) { /* all of it: the usual case */
			k8s.pending = 0;
			return;
		}
		k8s.pending -= w;
		for (; n > 0 && w > 0; iov++, n--) {
			size_t done =
			    (size_t)w < iov->iov_len ? (size_t)w : iov->iov_len;

			torn = count_torn(torn, iov->iov_base, done);
			w -= (ssize_t)done;
			if (done < iov->iov_len) {
				iov->iov_base = (char *)iov->iov_base + done;
				iov->iov_len -= done;
				break;
			}
		}
	}
}

/* --log-size-max reached: start a new file (docs/logging.md §2.4). */
static void k8s_limit_reached(void)
{
	k8s_flush();
	if (cfg.log_rotate)
		k8s_rotate();
	else
		k8s_truncate();
}

#if defined(__SSE2__) && !defined(CONMON_NO_SIMD)
/* The chunk's prefix, held in three registers while its records are
 * staged: three stores a record.  (A copy loop, even of 16-byte moves,
 * becomes a `rep movs` under -Os, which costs more than the record's
 * text.) */
struct prefix {
	__m128i a, b, c;
};

static inline struct prefix prefix_load(void)
{
	return (struct prefix){
	    _mm_loadu_si128((const __m128i *)k8s_prefix),
	    _mm_loadu_si128((const __m128i *)(k8s_prefix + 16)),
	    _mm_loadu_si128((const __m128i *)(k8s_prefix + 32))};
}

static inline void stage_prefix(char *dst, const struct prefix *p)
{
	_mm_storeu_si128((__m128i *)dst, p->a);
	_mm_storeu_si128((__m128i *)(dst + 16), p->b);
	_mm_storeu_si128((__m128i *)(dst + 32), p->c);
}

/* Copy a record to dst and find its end in one pass, 64 bytes at a time:
 * the length through its newline, or 0 if none comes within the first
 * `limit` bytes (or before `len`, the bytes there are).  dst takes up to
 * 63 bytes more than the record; nothing is read past src + len.  One
 * pass instead of a search and then a copy: a 100-byte line costs about
 * 45 instructions here instead of 190. */
static size_t stage_record(char *dst, const char *src, size_t len, size_t limit)
{
	const __m128i nl = _mm_set1_epi8('\n');
	const char *p = src, *end = src + (len < limit ? len : limit);
	const char *nlp;

	for (; end - p >= 64; p += 64, dst += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)p);
		__m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
		__m128i d = _mm_loadu_si128((const __m128i *)(p + 48));
		__m128i ea = _mm_cmpeq_epi8(a, nl), eb = _mm_cmpeq_epi8(b, nl);
		__m128i ec = _mm_cmpeq_epi8(c, nl), ed = _mm_cmpeq_epi8(d, nl);
		unsigned m;

		_mm_storeu_si128((__m128i *)dst, a);
		_mm_storeu_si128((__m128i *)(dst + 16), b);
		_mm_storeu_si128((__m128i *)(dst + 32), c);
		_mm_storeu_si128((__m128i *)(dst + 48), d);
		if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(ea, eb),
						    _mm_or_si128(ec, ed))))
			continue;
		/* Which block: the first with a newline. */
		if ((m = (unsigned)_mm_movemask_epi8(ea)))
			return (size_t)(p - src) + (size_t)__builtin_ctz(m) + 1;
		if ((m = (unsigned)_mm_movemask_epi8(eb)))
			return (size_t)(p - src) + 16 +
			       (size_t)__builtin_ctz(m) + 1;
		if ((m = (unsigned)_mm_movemask_epi8(ec)))
			return (size_t)(p - src) + 32 +
			       (size_t)__builtin_ctz(m) + 1;
		m = (unsigned)_mm_movemask_epi8(ed);
		return (size_t)(p - src) + 48 + (size_t)__builtin_ctz(m) + 1;
	}
	nlp = memchr(p, '\n', (size_t)(end - p));
	memcpy(dst, p, (size_t)((nlp ? nlp + 1 : end) - p));
	return nlp ? (size_t)(nlp - src) + 1 : 0;
}
#else
struct prefix {
	const char *text;
};

static inline struct prefix prefix_load(void)
{
	return (struct prefix){k8s_prefix};
}

static inline void stage_prefix(char *dst, const struct prefix *p)
{
	memcpy(dst, p->text, K8S_PREFIX_ROOM);
}

/* As above, a search and then a copy: the record through its newline, or
 * with none within the first `limit` bytes all of those there are (the
 * caller writes a short tail from dst as a P record). */
static size_t stage_record(char *dst, const char *src, size_t len, size_t limit)
{
	size_t end = len < limit ? len : limit;
	const char *p = memchr(src, '\n', end);
	size_t n = p ? (size_t)(p - src) + 1 : end;

	memcpy(dst, src, n);
	return p ? n : 0;
}
#endif

/* One chunk becomes records with one timestamp (docs/logging.md §2.3),
 * short ones copied into the stage, long ones written straight from the
 * caller's buffer. */
static void k8s_write(enum stream s, const char *buf, size_t len)
{
	/* No limit is a limit nothing reaches: one compare per record. */
	const int64_t size_max =
	    cfg.log_size_max > 0 ? cfg.log_size_max : INT64_MAX;
	const int64_t global_max =
	    cfg.log_global_size_max > 0 ? cfg.log_global_size_max : INT64_MAX;
	/* Where a record no longer surely fits in the stage. */
	const char *const stage_full = stage + STAGE_SIZE - K8S_PREFIX_ROOM -
				       STAGE_RECORD_MAX - STAGE_SLACK;
	struct timespec now;

	clock_now(CLOCK_REALTIME, &now);
	log_timestamp(k8s_prefix, &now);
	memcpy(k8s_prefix + K8S_TIMESTAMP_LEN,
	       s == STREAM_STDERR ? " stderr F " : " stdout F ", 10);
	const struct prefix prefix = prefix_load();

	/* out mirrors stage + stage_len while no call needs the global. */
	char *out = stage + stage_len;

	while (len > 0) {
		/* The prefix is always copied (the next chunk rewrites
		 * k8s_prefix before this batch is written); the text too
		 * when the record is short, in the same pass that finds its
		 * end. */
		bool partial = false;
		size_t n;
		int64_t cost;

		if (out > stage_full) {
			stage_len = (size_t)(out - stage);
			k8s_flush();
			out = stage;
		}
		stage_prefix(out, &prefix);
		n = stage_record(out + K8S_PREFIX_LEN, buf, len,
				 STAGE_RECORD_MAX);
		/* No newline in what was copied: a tail (a P record), or a
		 * line too long for the stage. */
		if (!n)
			n = log_record_len(buf, len, &partial);
		cost = (int64_t)(n + K8S_PREFIX_LEN + partial);
		if (k8s.total >= global_max)
			break;
		/* An empty file is not worth a new one, and rotating it
		 * would push a real backup out.  What was staged before this
		 * record goes to the old file; the record is copied again to
		 * the start of the emptied stage. */
		if (k8s.size + cost > size_max && k8s.size > 0) {
			stage_len = (size_t)(out - stage);
			k8s_limit_reached();
			out = stage;
			stage_prefix(out, &prefix);
			if (n <= STAGE_RECORD_MAX)
				memcpy(out + K8S_PREFIX_LEN, buf, n);
		}
		if (partial)
			out[K8S_TAG_AT] = 'P';
		out += K8S_PREFIX_LEN;
		/* Counted before a flush below, which checks it wrote all. */
		k8s.size += cost;
		k8s.total += cost;
		k8s.pending += cost;
		if (n <= STAGE_RECORD_MAX) {
			/* The text is in place already. */
			out += n;
			if (partial)
				*out++ = '\n';
		} else {
			stage_len = (size_t)(out - stage);
			stage_push();
			iov_pool[k8s.niov++] = (struct iovec){(void *)buf, n};
			if (partial)
				iov_pool[k8s.niov++] =
				    (struct iovec){(void *)"\n", 1};
			if (k8s.niov > IOV_MAX - 4) {
				k8s_flush();
				out = stage;
			}
		}
		buf += n;
		len -= n;
	}
	stage_len = (size_t)(out - stage);
	/* log_write() writes the records of all its slices at once. */
}

void log_k8s_open(void)
{
	const char *path = cfg.k8s_log_path;
	struct stat st;

	if (!path)
		return;
	tzset();
	/* The allowlist restricts where logs may be created at all, not
	 * only where rotation may create them (a deviation upstream's
	 * spec allows, docs/logging.md §3.1): the file is opened in the checked
	 * directory. */
	if (cfg.log_allowlist_dirs.n > 0) {
		const char *base;
		bool outside;
		int dfd = log_dir_open(&base, &outside);

		if (dfd < 0 && outside)
			nexit("Failed to open log file %s: Parent directory "
			      "not in allowlist",
			      path);
		if (dfd < 0)
			pexit("Failed to open log file %s", path);
		k8s.fd = openat(
		    dfd, base, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		close(dfd);
	} else {
		k8s.fd =
		    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	}
	if (k8s.fd < 0)
		pexit("Failed to open log file %s", path);
	if (fstat(k8s.fd, &st) < 0) {
		nwarn("Could not stat log file %s, assuming 0 size", path);
		return;
	}
	k8s.size = k8s.total = st.st_size;
}

void log_reopen(void)
{
	if (k8s.fd < 0)
		return;
	if (!cfg.log_rotate) {
		k8s_truncate();
		return;
	}
	if (k8s_rotate())
		return;
	/* Rotation refuses a log that is no longer at its path, yet a
	 * reopen request must make the path appear again (docs/ctl.md §5). */
	if (access(cfg.k8s_log_path, F_OK) < 0 && errno == ENOENT)
		k8s_truncate();
}

void log_sync(void)
{
	if (k8s.fd < 0 || cfg.no_sync_log)
		return;
	if (fsync(k8s.fd) < 0)
		nwarn("Failed to sync log file before exit: %s",
		      strerror(errno));
}

/* ------------------------------------------------------------------ */
/* journald over its native protocol (docs/logging.md §4) */

const char *journal_socket_path = "/run/systemd/journal/socket";
bool journal_force_memfd;

/* Lengths of binary-form fields: each takes 5 iovecs (name, newline,
 * length, value, newline), so IOV_MAX bounds how many there can be. */
#define JOURNAL_LENS (IOV_MAX / 5 + 1)

static void on_journal_writable(struct watch *w, uint32_t events);

/* The socket is connected, so that EPOLLOUT says whether journald's queue
 * has room (on an unconnected datagram socket it only reports our own
 * send buffer).  While an entry waits for that room, the output waits with
 * it (docs/logging.md §4.5). */
static struct {
	struct watch w;
	bool connected, waiting, absent;
	int64_t retry_at; /* absent: when to look for journald again */
	size_t pos;	  /* how far into the current chunk */
	uint32_t seq;	  /* of that chunk */
	struct sockaddr_un addr;
	socklen_t addrlen;
} journal = {.w = {-1, on_journal_writable}};

static uint64_t journal_lens[JOURNAL_LENS];

/* A line longer than the pending buffer is sent in pieces; the pieces of
 * one line share a CONTAINER_PARTIAL_ID: a random per-process base plus
 * a counter, so ids differ across conmons and restarts. */
static uint64_t split_base[2], split_count;

struct journal_stream {
	size_t pending_len;
	uint64_t split;	  /* id number of the line being split, 0: none */
	unsigned ordinal; /* pieces of it sent so far */
	int split_priority;
	char pending[JOURNAL_PENDING_MAX];
};
static struct journal_stream jstream[2];

int journal_prio_prefix(const char *seg, size_t len)
{
	if (len < 3 || seg[0] != '<' || seg[1] < '0' || seg[1] > '7' ||
	    seg[2] != '>')
		return -1;
	return seg[1] - '0';
}

struct jenc {
	struct iovec *iov;
	size_t n, max;
	uint64_t *lens;
	size_t nlens, maxlens;
	bool full;
};

static void jput(struct jenc *j, const void *p, size_t len)
{
	if (!len)
		return;
	if (j->n >= j->max) {
		j->full = true;
		return;
	}
	j->iov[j->n++] = (struct iovec){(void *)p, len};
}

/* One field, its value in two pieces.  name[nlen] must be '=': the
 * text form sends name and '=' as one piece.  A value holding a newline
 * needs the binary form: NAME\n, a 64-bit little-endian length, VALUE\n. */
static void jfield2(struct jenc *j, const char *name, size_t nlen,
		    const char *v1, size_t l1, const char *v2, size_t l2)
{
	unsigned char *le;
	uint64_t vlen = l1 + l2;

	if ((!l1 || !memchr(v1, '\n', l1)) && (!l2 || !memchr(v2, '\n', l2))) {
		jput(j, name, nlen + 1);
		jput(j, v1, l1);
		jput(j, v2, l2);
		jput(j, "\n", 1);
		return;
	}
	if (j->nlens >= j->maxlens) {
		j->full = true;
		return;
	}
	le = (unsigned char *)&j->lens[j->nlens++];
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(vlen >> (8 * i));
	jput(j, name, nlen);
	jput(j, "\n", 1);
	jput(j, le, 8);
	jput(j, v1, l1);
	jput(j, v2, l2);
	jput(j, "\n", 1);
}

#define JNAME(lit) lit, sizeof(lit) - 2

static void jfield(struct jenc *j, const char *name, size_t nlen, const char *v,
		   size_t l)
{
	jfield2(j, name, nlen, v, l, NULL, 0);
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

size_t journal_encode(const struct journal_entry *e, struct iovec *iov,
		      size_t max_iov, uint64_t *lens, size_t max_lens)
{
	struct jenc j = {iov, 0, max_iov, lens, 0, max_lens, false};
	const char *cid = cfg.cid ? cfg.cid : "";
	const char *tag = nonempty(cfg.log_tag), *name = nonempty(cfg.name);
	size_t cidlen = strlen(cid), idlen = cidlen < 12 ? cidlen : 12;

	jfield2(&j, JNAME("MESSAGE="), e->pending, e->pending_len, e->seg,
		e->seg_len);
	jfield(&j, JNAME("CONTAINER_ID_FULL="), cid, cidlen);
	jfield(&j, JNAME("PRIORITY="), &"01234567"[e->priority & 7], 1);
	jfield(&j, JNAME("CONTAINER_ID="), cid, idlen);
	if (tag)
		jfield(&j, JNAME("CONTAINER_TAG="), tag, strlen(tag));
	if (name)
		jfield(&j, JNAME("CONTAINER_NAME="), name, strlen(name));
	if (tag || name)
		jfield(&j, JNAME("SYSLOG_IDENTIFIER="), tag ? tag : name,
		       strlen(tag ? tag : name));
	else
		jfield(&j, JNAME("SYSLOG_IDENTIFIER="), cid, idlen);
	if (e->partial && !cfg.no_container_partial_message)
		jfield(&j, JNAME("CONTAINER_PARTIAL_MESSAGE="), "true", 4);
	if (e->partial_id) {
		jfield(&j, JNAME("CONTAINER_PARTIAL_ID="), e->partial_id,
		       strlen(e->partial_id));
		jfield(&j, JNAME("CONTAINER_PARTIAL_ORDINAL="), e->ordinal,
		       strlen(e->ordinal));
		if (e->last)
			jfield(&j, JNAME("CONTAINER_PARTIAL_LAST="), "true", 4);
	}
	for (int i = 0; i < cfg.log_labels.n; i++) {
		const char *l = cfg.log_labels.v[i];
		const char *eq = l ? strchr(l, '=') : NULL;

		/* Validation let only NAME=VALUE through; the value may
		 * still hold a newline, hence no verbatim copy. */
		if (eq && eq > l)
			jfield(&j, l, (size_t)(eq - l), eq + 1, strlen(eq + 1));
	}
	return j.full ? 0 : j.n;
}

/* What became of an entry. */
enum send_result {
	SENT,	 /* sent, or dropped because no journald runs */
	FAILED,	 /* dropped after a warning */
	BLOCKED, /* journald's queue is full: nothing changed, try later */
};

static void journal_close(void)
{
	if (journal.waiting)
		watch_del(&journal.w);
	journal.waiting = false;
	if (journal.w.fd >= 0)
		close(journal.w.fd);
	journal.w.fd = -1;
	journal.connected = false;
}

/* Connect to journald's socket, once it listens.  -1 with errno set. */
static int journal_connect(void)
{
	static const int sndbuf = 8 << 20;
	size_t len = strlen(journal_socket_path);

	if (len >= sizeof(journal.addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (journal.w.fd < 0) {
		journal.addr.sun_family = AF_UNIX;
		memcpy(journal.addr.sun_path, journal_socket_path, len + 1);
		journal.addrlen =
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				1);
		journal.w.fd = socket(
		    AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (journal.w.fd < 0)
			return -1;
		/* Datagrams journald has not read yet count against our
		 * send buffer: a large one rides out bursts.  FORCE works
		 * for root only; rootless, the kernel caps SO_SNDBUF at
		 * net.core.wmem_max, which costs pauses, not entries. */
		if (setsockopt(journal.w.fd, SOL_SOCKET, SO_SNDBUFFORCE,
			       &sndbuf, sizeof(sndbuf)) < 0) {
			ndebug("journald socket: SO_SNDBUFFORCE: %s, using "
			       "SO_SNDBUF within net.core.wmem_max",
			       strerror(errno));
			setsockopt(journal.w.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				   sizeof(sndbuf));
		}
	}
	if (connect(journal.w.fd, (struct sockaddr *)&journal.addr,
		    journal.addrlen) < 0)
		return -1;
	journal.connected = true;
	return 0;
}

static bool journal_absent(int err)
{
	return err == ENOENT || err == ECONNREFUSED || err == ENOTCONN;
}

/* No journald listens: entries are dropped, with one warning until one
 * gets through again, and the socket is looked for once a second. */
static enum send_result journal_gone(int err)
{
	if (!journal.absent)
		nwarn("journald is not running (%s): dropping log entries "
		      "until it is back",
		      strerror(err));
	journal.absent = true;
	journal.connected = false;
	journal.retry_at = monotonic_ns() + 1000000000;
	return SENT;
}

/* An entry too big for a datagram goes in a sealed memfd (journald
 * refuses one that could still change), sent as the only payload. */
static enum send_result journal_send_memfd(const struct iovec *iov, size_t n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr mh = {.msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;
	enum send_result r = FAILED;
	int fd;

	fd = memfd_create("conmon-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (write_all(fd, iov[i].iov_base, iov[i].iov_len) < 0)
			goto out;
	if (fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto out;
	memset(&control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&mh);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	while (sendmsg(journal.w.fd, &mh, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			r = BLOCKED; /* made again when there is room */
		else if (journal_absent(errno))
			r = journal_gone(errno);
		goto out;
	}
	r = SENT;
out:
	if (r == FAILED)
		nwarn("sd_journal_sendv: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

static enum send_result journal_send(struct iovec *iov, size_t n)
{
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = n};
	bool retried = false;

	if (!journal.connected) {
		if (journal.absent && monotonic_ns() < journal.retry_at)
			return SENT;
		if (journal_connect() < 0) {
			if (journal_absent(errno))
				return journal_gone(errno);
			nwarn("sd_journal_sendv: %s", strerror(errno));
			return FAILED;
		}
	}
	while (!journal_force_memfd) {
		if (sendmsg(journal.w.fd, &mh, MSG_NOSIGNAL) >= 0) {
			journal.absent = false;
			return SENT;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return BLOCKED;
		/* journald restarted: its new socket is a new peer. */
		if (journal_absent(errno) && !retried) {
			retried = true;
			if (journal_connect() == 0)
				continue;
		}
		if (journal_absent(errno))
			return journal_gone(errno);
		if (errno == EMSGSIZE || errno == ENOBUFS)
			break;
		nwarn("sd_journal_sendv: %s", strerror(errno));
		return FAILED;
	}
	return journal_send_memfd(iov, n);
}

static void hex64(char *out, uint64_t v)
{
	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = "0123456789abcdef"[v & 15];
}

static void split_seed(void)
{
	if (getrandom(split_base, sizeof(split_base), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(split_base)) {
		/* Early boot without entropy: still unique per process. */
		split_base[0] =
		    (uint64_t)getpid() << 32 ^ (uint64_t)monotonic_ns();
		split_base[1] = (uint64_t)monotonic_ns();
	}
}

/* Send pending + seg as one entry (docs/logging.md §4.3, §4.4).
 * partial: the line goes on after it; at_eof: the stream ended, nothing
 * follows.  The stream's state changes only once the entry is sent or
 * dropped: a BLOCKED entry is built again, the same, next time. */
static enum send_result journal_emit(struct journal_stream *js, enum stream s,
				     const char *seg, size_t len, bool partial,
				     bool at_eof)
{
	struct journal_entry e = {0};
	char id[33], ordinal[12];
	int priority = s == STREAM_STDERR ? 3 : 6, p;
	uint64_t split = js->split;
	enum send_result r;
	size_t n;

	if (split) {
		/* The rest of a split line keeps its first piece's
		 * priority: a prefix inside a line is text. */
		priority = js->split_priority;
	} else if (!js->pending_len && !at_eof &&
		   (p = journal_prio_prefix(seg, len)) >= 0) {
		priority = p;
		seg += 3;
		len -= 3;
	}
	if (partial && !at_eof && !split) {
		if (!split_count)
			split_seed();
		split = split_count + 1;
	}
	e.pending = js->pending;
	e.pending_len = js->pending_len;
	e.seg = seg;
	e.seg_len = len;
	e.priority = priority;
	e.partial = partial;
	if (split) {
		hex64(id, split_base[0]);
		hex64(id + 16, split_base[1] + split);
		id[32] = '\0';
		snprintf(ordinal, sizeof(ordinal), "%u",
			 split == js->split ? js->ordinal + 1 : 1);
		e.partial_id = id;
		e.ordinal = ordinal;
		e.last = !partial || at_eof;
	}
	n = journal_encode(&e, iov_pool, IOV_MAX, journal_lens, JOURNAL_LENS);
	if (!n) {
		nwarn("sd_journal_sendv: too many fields (--log-label)");
		r = FAILED;
	} else {
		r = journal_send(iov_pool, n);
		if (r == BLOCKED)
			return r;
	}
	js->pending_len = 0;
	if (split != js->split) {
		split_count = split;
		js->split = split;
		js->ordinal = 0;
		js->split_priority = priority;
	}
	js->ordinal++;
	if (e.last)
		js->split = 0;
	return r;
}

/* Wait for journald to take the entry that did not fit. */
static void journal_wait(void)
{
	journal.waiting = true;
	watch_add(&journal.w, EPOLLOUT);
}

static void on_journal_writable(struct watch *w, uint32_t events)
{
	(void)events;
	if (!journal.waiting)
		return;
	journal.waiting = false;
	watch_del(w);
	io_output_resume();
}

/* Go on with the current chunk from where journald left it: each
 * STDIO_BUF_SIZE slice is cut into lines as if it had been read alone
 * (docs/logging.md §4.3); at the end of a stream the pending line is
 * flushed.  False while an entry waits for room. */
static bool journal_deliver(const struct chunk *c)
{
	struct journal_stream *js = &jstream[stream_index(c->stream)];

	if (journal.seq != c->seq) {
		journal.seq = c->seq;
		journal.pos = 0;
	}
	if (journal.waiting)
		return false;
	while (journal.pos < c->len) {
		size_t end =
		    (journal.pos / STDIO_BUF_SIZE + 1) * STDIO_BUF_SIZE;
		const char *seg = c->data + journal.pos;
		enum send_result r;
		bool partial;
		size_t n;

		if (end > c->len)
			end = c->len;
		n = log_record_len(seg, end - journal.pos, &partial);
		/* An unfinished line waits for its end while it fits. */
		if (partial && js->pending_len + n <= JOURNAL_PENDING_MAX) {
			memcpy(js->pending + js->pending_len, seg, n);
			js->pending_len += n;
			journal.pos += n;
			continue;
		}
		r = journal_emit(js, c->stream, seg, n, partial, false);
		if (r == BLOCKED) {
			journal_wait();
			return false;
		}
		/* On failure the rest of the slice is dropped. */
		journal.pos = r == FAILED ? end : journal.pos + n;
	}
	/* A split line also gets a last piece, empty if need be, that
	 * carries CONTAINER_PARTIAL_LAST. */
	if (c->eof && (js->pending_len || js->split) &&
	    journal_emit(js, c->stream, "", 0, true, true) == BLOCKED) {
		journal_wait();
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* The drivers together (docs/logging.md §1) */

/* k8s-file takes a chunk whole the first time it is offered: each
 * STDIO_BUF_SIZE slice gets its own timestamp, exactly as if it had been
 * read alone (docs/stdio.md §4), but the records of all of them go out in
 * one write.  Output that ends without a newline ends with its P record
 * (docs/logging.md §2.3): at the end of a stream there is nothing left to
 * flush. */
static void k8s_deliver(const struct chunk *c)
{
	size_t off, n;

	for (off = 0; off < c->len; off += n) {
		n = c->len - off < STDIO_BUF_SIZE ? c->len - off
						  : STDIO_BUF_SIZE;
		k8s_write(c->stream, c->data + off, n);
	}
	k8s_flush();
}

bool log_deliver(const struct chunk *c)
{
	static uint32_t k8s_seq;

	if (k8s.fd >= 0 && k8s_seq != c->seq && c->len > 0)
		k8s_deliver(c);
	k8s_seq = c->seq;
	return !cfg.log_journald || journal_deliver(c);
}

void log_reset(void)
{
	if (k8s.fd >= 0)
		close(k8s.fd);
	memset(&k8s, 0, sizeof(k8s));
	k8s.fd = -1;
	journal_close();
	journal.absent = false;
	journal.retry_at = 0;
	for (int i = 0; i < 2; i++) {
		jstream[i].pending_len = 0;
		jstream[i].split = 0;
	}
	ts_cache.valid = false;
	memset(&flood, 0, sizeof(flood));
}
