/* PLACEHOLDER: replaced by the real command. */
#include "core/commands.h"
#include <stdio.h>
int cmd_cache(int argc, char **argv) { (void)argc; fprintf(stderr, "gra %s: not built yet\n", argv[0]); return 2; }
