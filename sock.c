/* sock.c - STUB, to be replaced: sockets and FIFOs. */
#include "conmon.h"
void console_create(void) {}
const char *console_path(void) { return ""; }
void console_watch(void) {}
void console_check_pending(void) {}
void console_remove(void) {}
void attach_create(void) {}
void ctl_create(void) {}
void attach_start(void) {}
void ctl_start(void) {}
void winsz_start(void) {}
void attach_broadcast(const char *pkt, size_t len) { (void)pkt, (void)len; }
void attach_input_resume(void) {}
void attach_close_all(void) {}
void attach_remove(void) {}
void attach_remove_symlink(void) {}
void notify_setup(void) {}
