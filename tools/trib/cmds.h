/* Command handlers of trib; each returns the process exit code. */
#ifndef TRIB_CMDS_H
#define TRIB_CMDS_H

#include "cli.h"
#include "tributary/v1/types.pb-c.h"

/* cmd_catalog.c */
/** The --kind values of the command as NodeKinds (arena); 0 or an exit code after the error. */
int trib_cli_kinds(trib_cli *cli, Tributary__V1__NodeKind **kinds, size_t *n);
int trib_cmd_get(trib_cli *cli);
int trib_cmd_list(trib_cli *cli);
int trib_cmd_deprecate(trib_cli *cli);
int trib_cmd_delete(trib_cli *cli);
int trib_cmd_domains_list(trib_cli *cli);
int trib_cmd_domains_upsert(trib_cli *cli);
int trib_cmd_terms_list(trib_cli *cli);
int trib_cmd_terms_upsert(trib_cli *cli);
int trib_cmd_history(trib_cli *cli);
int trib_cmd_search(trib_cli *cli);
int trib_cmd_health(trib_cli *cli);

/* cmd_lineage.c */
int trib_cmd_lineage(trib_cli *cli);
int trib_cmd_impact(trib_cli *cli);
int trib_cmd_check_schema(trib_cli *cli);
int trib_cmd_provenance(trib_cli *cli);

/* cmd_register.c */
int trib_cmd_register(trib_cli *cli);
int trib_cmd_policy_check(trib_cli *cli);

/* cmd_policy.c */
int trib_cmd_policy_show(trib_cli *cli);
int trib_cmd_policy_audit(trib_cli *cli);

#endif
