/* PLACEHOLDER: replaced by the module's real entry points. */
#include "reports/reports.h"
#include <stdio.h>
int cmd_report(int argc, char **argv) { (void)argc; fprintf(stderr, "gra %s: not built yet\n", argv[0]); return 2; }
