/* Diagnostics and error-code helpers shared by the commands that read files. */
#ifndef TRIB_REPORT_H
#define TRIB_REPORT_H

#include "cli.h"
#include "tributary/ingest.h"

/** Exit code for a TRIB_E* code: 3 not found, 4 invalid, 5 unavailable, 6 policy, else 1. */
int trib_exit_for_err(int err);

/**
 * Print r->diags[from..] on cli->err, one `file:line:column: severity: message`
 * line each; warnings are left out with --quiet.
 */
void trib_report_diags(trib_cli *cli, const ing_result *r, size_t from);

#endif
