/* PLACEHOLDER: replaced by the module's real entry points. */
#include "synth/synth.h"
#include <stdio.h>
int cmd_synth(int argc, char **argv) { (void)argc; fprintf(stderr, "gra %s: not built yet\n", argv[0]); return 2; }
void synth_sim_register(void) {}
