/* `vigil ctl`: the control API from a shell (libcurl client). */
#ifndef VIGIL_CLI_CTL_H
#define VIGIL_CLI_CTL_H

/* argv[0] is "ctl". Returns the process exit status. */
int cli_ctl_main(int argc, char **argv);

#endif
