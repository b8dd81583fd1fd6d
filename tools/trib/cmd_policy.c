/* Governance commands: policy show, policy audit (policy check is in cmd_register.c). */
#include <string.h>

#include "cmds.h"
#include "json.h"
#include "render.h"

#include "tributary/v1/governance.pb-c.h"

#define GOVERNANCE(m) "/tributary.v1.Governance/" m

int trib_cmd_policy_show(trib_cli *cli)
{
	Tributary__V1__GetPolicyRequest req = TRIBUTARY__V1__GET_POLICY_REQUEST__INIT;
	ProtobufCMessage *resp;
	int rc = trib_cli_query(cli, GOVERNANCE("GetPolicy"), &req.base, &tributary__v1__policy__descriptor, &resp);
	if (!rc && resp)
		trib_render_policy(cli->out, &cli->arena, (Tributary__V1__Policy *)resp);
	return rc;
}

int trib_cmd_policy_audit(trib_cli *cli)
{
	Tributary__V1__AuditPolicyRequest req = TRIBUTARY__V1__AUDIT_POLICY_REQUEST__INIT;
	const char *domain = trib_cli_str(cli, "domain");
	req.domain = (char *)(domain ? domain : "");
	ProtobufCMessage *resp;
	int rc = trib_cli_call(cli, GOVERNANCE("AuditPolicy"), &req.base,
			       &tributary__v1__policy_audit_report__descriptor, &resp, NULL);
	if (rc)
		return rc;
	const Tributary__V1__PolicyAuditReport *r = (const Tributary__V1__PolicyAuditReport *)resp;
	if (cli->json)
		trib_json_print(cli->out, resp);
	else
		trib_render_audit(cli->out, &cli->arena, r);
	/* Warnings alone leave a product compliant; an error-severity violation fails the audit. */
	for (size_t i = 0; i < r->n_non_compliant; i++)
		for (size_t k = 0; k < r->non_compliant[i]->n_violations; k++)
			if (strcmp(r->non_compliant[i]->violations[k]->severity, "warning") != 0)
				return TRIB_EXIT_POLICY;
	return 0;
}
