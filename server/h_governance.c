/* tributary.v1.Governance: the policy in force, and the audit of every product against it. */
#include "srv.h"

#include "tributary/policy.h"

int srv_governance_get_policy(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	(void)req;
	pol_policy *p = pol_global_get();
	Tributary__V1__Policy *m = pol_describe(p, c->arena);
	pol_unref(p);
	if (!m)
		return trib_error_last_code() ? trib_error_last_code() : TRIB_ENOMEM;
	*resp = &m->base;
	return 0;
}

int srv_governance_audit_policy(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__AuditPolicyRequest *r = (const void *)req;
	if (r->domain && *r->domain && trib_name_check(TRIB_KIND_DOMAIN, r->domain))
		return srv_error_at(TRIB_EINVALID, "domain");
	Tributary__V1__PolicyAuditReport *rep;
	pol_policy *p = pol_global_get();
	int rc = pol_audit(&rep, p, c->txn, c->arena, r->domain, c->deadline_ms);
	pol_unref(p);
	if (rc)
		return rc;
	*resp = &rep->base;
	return 0;
}
