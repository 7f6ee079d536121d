/* cli.c - STUB, to be replaced: the command line. */
#include "conmon.h"
struct config cfg;
void cli_parse(int argc, char **argv, const char **pool)
{
	(void)argc, (void)argv, (void)pool;
}
