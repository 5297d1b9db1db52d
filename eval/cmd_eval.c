/* PLACEHOLDER: replaced by the module's real entry points. */
#include "eval/eval.h"
#include <stdio.h>
int cmd_eval(int argc, char **argv) { (void)argc; fprintf(stderr, "gra %s: not built yet\n", argv[0]); return 2; }
int cmd_data(int argc, char **argv) { (void)argc; fprintf(stderr, "gra %s: not built yet\n", argv[0]); return 2; }
int cmd_decontam(int argc, char **argv) { (void)argc; fprintf(stderr, "gra %s: not built yet\n", argv[0]); return 2; }
void eval_sim_register(void) {}
