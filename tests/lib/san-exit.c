/* san-exit.c - linked into ./conmon-asan only (make asan), with
 * -Wl,--wrap=_exit: run LeakSanitizer's check on _exit() too.
 *
 * conmon leaves through _exit() almost everywhere (the launcher after the
 * fork, the monitor at the end, a child whose exec failed), and _exit()
 * skips the atexit handler in which LeakSanitizer normally looks, so
 * without this hook no leak of the monitor would ever be reported.  The
 * check behaves as the one at exit: with leaks and a non-zero exitcode
 * option it reports (to ASAN_OPTIONS' log_path) and ends the process with
 * that code. */
#include <sanitizer/lsan_interface.h>

_Noreturn void __real__exit(int status);
_Noreturn void __wrap__exit(int status);

_Noreturn void __wrap__exit(int status)
{
	__lsan_do_leak_check();
	__real__exit(status);
}
