/*
 * tributary.v1.Lineage handlers — placeholder so tributaryd links until the
 * lineage engineer (who owns this file) replaces it with the real
 * translation to include/tributary/lineage.h. Every call fails honestly.
 */
#include "srv.h"

static int not_yet(const char *method)
{
	return trib_error_set(TRIB_EINTERNAL, "%s: not implemented yet", method);
}

int srv_lineage_get_lineage(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	return not_yet(c->method);
}

int srv_lineage_impact(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	return not_yet(c->method);
}

int srv_lineage_check_schema_change(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	return not_yet(c->method);
}

int srv_lineage_provenance(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	return not_yet(c->method);
}
