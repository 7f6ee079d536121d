/* fuzz_log_path.c - one --log-path value (docs/cli.md §4): cli_parse_log_path()
 * against a model of the decision procedure of docs/cli.md §4, built on strtok(3),
 * whose semantics that section names.
 *
 * Input: byte 0 picks the size of the output buffer (0 to 1020 bytes,
 * exercising the "too long" case); the rest, up to a NUL, is the value. */
#include "testing.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char value[8192], copy[8192], out[1024 + 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log_target t;
	size_t bufsize, vlen;
	const char *err, *t1, *t2, *want_err = NULL, *want_path = NULL;
	int want = LOG_NONE;
	char *save = NULL;

	if (size < 1 || size > sizeof(value))
		return 0;
	bufsize = (size_t)data[0] * 4;
	memcpy(value, data + 1, size - 1);
	value[size - 1] = '\0';
	vlen = strlen(value);

	/* The model (docs/cli.md §4, steps 1-3). */
	memcpy(copy, value, vlen + 1);
	t1 = strtok_r(copy, ":", &save);
	t2 = t1 ? strtok_r(NULL, ":", &save) : NULL;
	if (!t1) {
		want_err = "log-path must not be empty";
	} else if (!t2 && value[0] == ':') {
		want = LOG_K8S, want_path = t1;
	} else if (!strcmp(t1, "off") || !strcmp(t1, "null") ||
		   !strcmp(t1, "none")) {
		want = LOG_NONE;
	} else if (!strcmp(t1, "passthrough")) {
		want = LOG_PASSTHROUGH;
	} else if (!strcmp(t1, "journald")) {
		want = LOG_JOURNALD;
	} else if (!strcmp(t1, "k8s-file")) {
		if (t2)
			want = LOG_K8S, want_path = t2;
		else
			want_err = "k8s-file requires a filename";
	} else if (!strchr(value, ':')) {
		want = LOG_K8S, want_path = t1;
	} else {
		static char msg[sizeof(copy) + 32];

		snprintf(msg, sizeof(msg), "No such log driver %s", t1);
		want_err = msg;
	}
	if (want_path && strlen(want_path) >= bufsize)
		want_err = "log-path is too long", want_path = NULL;

	/* Canaries after the buffer the parser was given. */
	memset(out, 0x5a, sizeof(out));
	err = cli_parse_log_path(value, &t, out, bufsize);
	for (size_t i = bufsize; i < sizeof(out); i++)
		if (out[i] != 0x5a)
			abort();
	if (want_err) {
		/* A driver name longer than the buffer is cut in the
		 * message; the rest must be the model's. */
		if (!err || strncmp(err, want_err, bufsize ? bufsize - 1 : 0) ||
		    (err != out && strcmp(err, want_err)))
			abort();
		return 0;
	}
	if (err || (int)t.driver != want)
		abort();
	if (want == LOG_K8S) {
		/* In the value itself when the path ends it, else copied
		 * to the buffer. */
		bool in_value = t.path >= value && t.path < value + vlen;

		if (strcmp(t.path, want_path) ||
		    (t.path != out &&
		     !(in_value && t.path + strlen(t.path) == value + vlen)))
			abort();
	} else if (t.path) {
		abort();
	}
	return 0;
}
