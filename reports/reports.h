/*
 * reports: statistics, data-quality metrics, plots and the report (the last
 * stage). It reads what synth and eval wrote (docs/run-directory.md) and
 * writes RUN/report/{report.md, report.html, summary.json, figures/}
 * (docs/reports.md, docs/schema-report.md). Nothing else in gra depends on
 * its internals: the statistics (reports/stats.h) and the rest of the module
 * (reports/report_int.h) are used by its own files and tests only.
 */
#ifndef GRA_REPORTS_H
#define GRA_REPORTS_H

/* `gra report RUN_DIR [options]` / `gra report --results FILE... --out DIR`.
 * argv[0] is "report". Returns a process exit code (docs/exit-codes.md):
 * 0, 2 usage, 3 config, 4 input, 5 gnuplot failed. */
int cmd_report(int argc, char **argv);

#endif
