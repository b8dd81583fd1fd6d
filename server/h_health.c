/* grpc.health.v1.Health: Check and Watch over srv_health. */
#include "srv.h"

int srv_health_check(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Grpc__Health__V1__HealthCheckRequest *r = (const void *)req;
	int st = srv_health_get(c->env->health, r->service);
	if (st == SRV_HEALTH_SERVICE_UNKNOWN)
		return trib_error_set(TRIB_ENOTFOUND, "service: '%s' is not served here", r->service);
	Grpc__Health__V1__HealthCheckResponse *out = trib_arena_alloc(c->arena, sizeof *out);
	if (!out)
		return trib_error_last_code();
	grpc__health__v1__health_check_response__init(out);
	out->status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)st;
	*resp = &out->base;
	return 0;
}

/* Unlike Check, Watch answers an unknown service with SERVICE_UNKNOWN in the
 * stream (the service may appear later), as the health protocol asks. */
int srv_health_watch(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Grpc__Health__V1__HealthCheckRequest *r = (const void *)req;
	Grpc__Health__V1__HealthCheckResponse *out = trib_arena_alloc(c->arena, sizeof *out);
	if (!out)
		return trib_error_last_code();
	grpc__health__v1__health_check_response__init(out);
	out->status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)srv_health_get(c->env->health,
											   r->service);
	*resp = &out->base;
	return 0;
}
