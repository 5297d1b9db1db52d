/* commands: core's own subcommands (serve-sim, cache). Each returns an exit code. */
#ifndef GRA_COMMANDS_H
#define GRA_COMMANDS_H

int cmd_serve_sim(int argc, char **argv);
int cmd_cache(int argc, char **argv);

#endif
