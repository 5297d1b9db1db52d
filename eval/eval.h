/* eval: benchmarks, answer extraction, scoring and the code sandbox. */
#ifndef GRA_EVAL_H
#define GRA_EVAL_H

int cmd_eval(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_decontam(int argc, char **argv);
/* Register the simulated student with serve-sim. */
void eval_sim_register(void);

#endif
