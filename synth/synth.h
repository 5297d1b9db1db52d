/* synth: GRA synthesis, baselines and ablation cells (the first stage). */
#ifndef GRA_SYNTH_H
#define GRA_SYNTH_H

/* gra synth CONFIG --out DIR [...]: exit code. */
int cmd_synth(int argc, char **argv);
/* Register the simulated generator/reviewer/adjudicator/metadata roles with serve-sim. */
void synth_sim_register(void);

#endif
