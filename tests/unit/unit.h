/* unit.h - a tiny TAP harness for the C unit tests.
 *
 * Each CHECK is one TAP test line; tests/run-all counts them.  A test
 * binary ends with `return unit_done();`. */
#ifndef UNIT_H
#define UNIT_H
#include <stdio.h>
#include <string.h>

static int unit_count, unit_failed;
static const char *unit_name = "unit";

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		int unit_ok__ = !!(cond);                                            \
		unit_count++;                                                  \
		if (!unit_ok__)                                                      \
			unit_failed++;                                         \
		printf("%sok %d - %s: ", unit_ok__ ? "" : "not ", unit_count,        \
		       unit_name);                                             \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		if (!unit_ok__)                                                      \
			printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
		fflush(stdout);                                                \
	} while (0)

#define CHECK_STR(got, want, ...)                                              \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		int eq_ = g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_;           \
		CHECK(eq_, __VA_ARGS__);                                       \
		if (!eq_)                                                      \
			printf("#   got  \"%s\"\n#   want \"%s\"\n",              \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");        \
	} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_count);
	return unit_failed != 0;
}
#endif
