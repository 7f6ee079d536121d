/* oom.c - STUB, to be replaced: OOM detection. */
#include "conmon.h"
void oom_start(pid_t pid) { (void)pid; }
void oom_final_check(void) {}
