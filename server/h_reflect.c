/* grpc.reflection.v1 and v1alpha ServerReflectionInfo over the embedded descriptors. */
#include "srv.h"

#include <string.h>

#include <grpc/status.h>

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_req;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_resp;

static int answer_error(refl_resp *out, trib_arena *a, int code, const char *msg)
{
	Grpc__Reflection__V1__ErrorResponse *e = srv_msg_new(a, &grpc__reflection__v1__error_response__descriptor);
	if (!e)
		return trib_error_last_code();
	e->error_code = code;
	e->error_message = trib_arena_strdup(a, msg);
	if (!e->error_message)
		return trib_error_last_code();
	out->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
	out->error_response = e;
	return 0;
}

static int answer_files(refl_resp *out, srv_ctx *c, int file, const char *what)
{
	if (file < 0)
		return answer_error(out, c->arena, GRPC_STATUS_NOT_FOUND, what);
	Grpc__Reflection__V1__FileDescriptorResponse *f =
		srv_msg_new(c->arena, &grpc__reflection__v1__file_descriptor_response__descriptor);
	if (!f)
		return trib_error_last_code();
	int rc = srv_reflect_closure(&f->file_descriptor_proto, &f->n_file_descriptor_proto, c->env->reflect,
				     c->arena, file);
	if (rc)
		return rc;
	out->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
	out->file_descriptor_response = f;
	return 0;
}

/* Every service of the method table, once, in table order. */
static int answer_services(refl_resp *out, trib_arena *a)
{
	Grpc__Reflection__V1__ListServiceResponse *l =
		srv_msg_new(a, &grpc__reflection__v1__list_service_response__descriptor);
	if (!l || !(l->service = trib_arena_calloc(a, srv_method_count, sizeof *l->service)))
		return trib_error_last_code();
	for (size_t i = 0; i < srv_method_count; i++) {
		const char *svc = srv_methods[i].service;
		size_t k = 0;
		while (k < l->n_service && strcmp(l->service[k]->name, svc) != 0)
			k++;
		if (k < l->n_service)
			continue;
		Grpc__Reflection__V1__ServiceResponse *s =
			srv_msg_new(a, &grpc__reflection__v1__service_response__descriptor);
		if (!s)
			return trib_error_last_code();
		s->name = (char *)svc;
		l->service[l->n_service++] = s;
	}
	out->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
	out->list_services_response = l;
	return 0;
}

static int answer(refl_resp **resp, srv_ctx *c, const refl_req *r)
{
	refl_resp *out = srv_msg_new(c->arena, &grpc__reflection__v1__server_reflection_response__descriptor);
	if (!out)
		return trib_error_last_code();
	out->valid_host = r->host;
	out->original_request = (refl_req *)r;
	*resp = out;
	if (!c->env->reflect)
		return answer_error(out, c->arena, GRPC_STATUS_UNAVAILABLE, "no descriptors loaded");
	char msg[600];
	switch (r->message_request_case) {
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
		return answer_services(out, c->arena);
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
		snprintf(msg, sizeof msg, "file '%.512s' not found", r->file_by_filename);
		return answer_files(out, c, srv_reflect_find_file(c->env->reflect, r->file_by_filename), msg);
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
		snprintf(msg, sizeof msg, "symbol '%.512s' not found", r->file_containing_symbol);
		return answer_files(out, c, srv_reflect_find_symbol(c->env->reflect, r->file_containing_symbol),
				    msg);
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
		return answer_error(out, c->arena, GRPC_STATUS_NOT_FOUND, "no extensions are defined");
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE: {
		if (srv_reflect_find_symbol(c->env->reflect, r->all_extension_numbers_of_type) < 0) {
			snprintf(msg, sizeof msg, "type '%.512s' not found", r->all_extension_numbers_of_type);
			return answer_error(out, c->arena, GRPC_STATUS_NOT_FOUND, msg);
		}
		Grpc__Reflection__V1__ExtensionNumberResponse *e =
			srv_msg_new(c->arena, &grpc__reflection__v1__extension_number_response__descriptor);
		if (!e)
			return trib_error_last_code();
		e->base_type_name = r->all_extension_numbers_of_type;
		out->message_response_case =
			GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
		out->all_extension_numbers_response = e;
		return 0;
	}
	default:
		return answer_error(out, c->arena, GRPC_STATUS_INVALID_ARGUMENT, "message_request: not set");
	}
}

int srv_reflection_info_v1(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	if (!req) /* end of the client's stream: nothing more to say */
		return 0;
	refl_resp *out = NULL;
	int rc = answer(&out, c, (const refl_req *)req);
	*resp = out ? &out->base : NULL;
	return rc;
}

/* v1alpha is v1 under another package name, identical on the wire: translate
 * through the encoding rather than keep two copies of the logic. */
static ProtobufCMessage *recode(trib_arena *a, const ProtobufCMessage *m, const ProtobufCMessageDescriptor *to)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = trib_arena_alloc(a, n ? n : 1);
	if (!buf)
		return NULL;
	protobuf_c_message_pack(m, buf);
	ProtobufCMessage *out = protobuf_c_message_unpack(to, trib_arena_pb(a), n, buf);
	if (!out && !trib_error_last_code())
		trib_error_set(TRIB_EINTERNAL, "reflection: cannot re-encode %s as %s", m->descriptor->name,
			       to->name);
	return out;
}

int srv_reflection_info_v1alpha(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	if (!req)
		return 0;
	trib_error_clear();
	ProtobufCMessage *r1 = recode(c->arena, req, &grpc__reflection__v1__server_reflection_request__descriptor);
	if (!r1)
		return trib_error_last_code();
	refl_resp *out = NULL;
	int rc = answer(&out, c, (const refl_req *)r1);
	if (rc)
		return rc;
	*resp = recode(c->arena, &out->base, &grpc__reflection__v1alpha__server_reflection_response__descriptor);
	return *resp ? 0 : trib_error_last_code();
}
