/* reports: statistics, data-quality metrics, plots and the report (the last stage). */
#ifndef GRA_REPORTS_H
#define GRA_REPORTS_H

int cmd_report(int argc, char **argv);

#endif
