/* Synchronous gRPC client calls over the core C API, messages via protobuf-c. */
#include "rpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "tributary/error.h"

/* Methods registered on the channel; a CLI uses a handful, a benchmark one or two. */
#define MAX_REGISTERED 32

struct trib_rpc {
	grpc_channel *channel;
	grpc_completion_queue *cq;
	int64_t timeout_ms;
	size_t max_message;
	char *addr;
	char *actor;
	struct {
		const char *method;
		void *handle;
	} reg[MAX_REGISTERED];
	size_t n_reg;
};

struct trib_rpc_stream {
	trib_rpc *rpc;
	grpc_call *call;
	grpc_metadata_array initial_md;
	grpc_metadata_array trailing_md;
	grpc_byte_buffer *recv;
	grpc_status_code status;
	grpc_slice details;
	const char *error_string;
	grpc_metadata actor_md;
	int final_started;
	int broken; /* a send failed: the call is over */
	char tag_final, tag_op;
};

static const struct {
	int code;
	const char *name;
	int err;
	int exit_code;
} codes[] = {
	{TRIB_RPC_OK, "OK", 0, 0},
	{TRIB_RPC_CANCELLED, "CANCELLED", TRIB_EUNAVAILABLE, 1},
	{TRIB_RPC_UNKNOWN, "UNKNOWN", TRIB_EINTERNAL, 1},
	{TRIB_RPC_INVALID_ARGUMENT, "INVALID_ARGUMENT", TRIB_EINVALID, 4},
	{TRIB_RPC_DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", TRIB_EUNAVAILABLE, 5},
	{TRIB_RPC_NOT_FOUND, "NOT_FOUND", TRIB_ENOTFOUND, 3},
	{TRIB_RPC_ALREADY_EXISTS, "ALREADY_EXISTS", TRIB_EEXISTS, 1},
	{TRIB_RPC_PERMISSION_DENIED, "PERMISSION_DENIED", TRIB_EDENIED, 1},
	{TRIB_RPC_RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED", TRIB_ELIMIT, 1},
	{TRIB_RPC_FAILED_PRECONDITION, "FAILED_PRECONDITION", TRIB_EPOLICY, 6},
	{TRIB_RPC_ABORTED, "ABORTED", TRIB_ECONFLICT, 1},
	{TRIB_RPC_OUT_OF_RANGE, "OUT_OF_RANGE", TRIB_EINVALID, 4},
	{TRIB_RPC_UNIMPLEMENTED, "UNIMPLEMENTED", TRIB_EINTERNAL, 1},
	{TRIB_RPC_INTERNAL, "INTERNAL", TRIB_EINTERNAL, 1},
	{TRIB_RPC_UNAVAILABLE, "UNAVAILABLE", TRIB_EUNAVAILABLE, 5},
	{TRIB_RPC_DATA_LOSS, "DATA_LOSS", TRIB_ECORRUPT, 1},
	{TRIB_RPC_UNAUTHENTICATED, "UNAUTHENTICATED", TRIB_EDENIED, 1},
};

static int code_index(int code)
{
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (codes[i].code == code)
			return (int)i;
	return -1;
}

const char *trib_rpc_code_name(int code)
{
	int i = code_index(code);
	return i < 0 ? "UNKNOWN" : codes[i].name;
}

int trib_rpc_errcode(int code)
{
	int i = code_index(code);
	return i < 0 ? TRIB_EINTERNAL : codes[i].err;
}

int trib_rpc_exit_code(int code)
{
	int i = code_index(code);
	return i < 0 ? 1 : codes[i].exit_code;
}

/* Record a status; returns the TRIB_E* code and leaves the message in the error slot. */
static int set_status(trib_rpc_status *st, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_status(trib_rpc_status *st, int code, const char *fmt, ...)
{
	trib_rpc_status local;
	if (!st)
		st = &local;
	st->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof st->message, fmt, ap);
	va_end(ap);
	if (code == TRIB_RPC_OK) {
		trib_error_clear();
		return 0;
	}
	return trib_error_set(trib_rpc_errcode(code), "%s", st->message);
}

/* A status from the wire: the server's details, or the code name when it gave none. */
static int wire_status(trib_rpc_status *st, const trib_rpc *rpc, grpc_status_code code,
		       grpc_slice details, const char *error_string)
{
	size_t len = GRPC_SLICE_LENGTH(details);
	const char *p = (const char *)GRPC_SLICE_START_PTR(details);
	if (code == GRPC_STATUS_OK)
		return set_status(st, TRIB_RPC_OK, "OK");
	if (code == GRPC_STATUS_UNAVAILABLE || code == GRPC_STATUS_DEADLINE_EXCEEDED) {
		/* Transport failures are about the address, which the details rarely name. */
		return set_status(st, (int)code, "%s (%s): %.*s", rpc->addr,
				  trib_rpc_code_name((int)code), (int)(len > 512 ? 512 : len),
				  len ? p : (error_string ? error_string : ""));
	}
	if (len == 0)
		return set_status(st, (int)code, "%s", trib_rpc_code_name((int)code));
	return set_status(st, (int)code, "%.*s", (int)(len > 1000 ? 1000 : len), p);
}

static int valid_addr(const char *addr)
{
	if (!addr || !*addr || strlen(addr) > 255)
		return 0;
	for (const char *c = addr; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			return 0;
	return 1;
}

int trib_rpc_open(trib_rpc **out, const trib_rpc_opts *opts)
{
	static const trib_rpc_opts defaults = TRIB_RPC_OPTS_INIT;
	if (!opts)
		opts = &defaults;
	*out = NULL;
	const char *addr = opts->addr ? opts->addr : TRIB_RPC_DEFAULT_ADDR;
	if (!valid_addr(addr))
		return trib_error_set(TRIB_EINVALID, "invalid server address '%.64s'", addr);
	trib_rpc *rpc = calloc(1, sizeof *rpc);
	if (!rpc)
		return trib_error_set(TRIB_ENOMEM, "out of memory");
	rpc->addr = strdup(addr);
	rpc->actor = opts->actor ? strdup(opts->actor) : NULL;
	if (!rpc->addr || (opts->actor && !rpc->actor)) {
		free(rpc->addr);
		free(rpc->actor);
		free(rpc);
		return trib_error_set(TRIB_ENOMEM, "out of memory");
	}
	rpc->timeout_ms = opts->timeout_ms;
	rpc->max_message = opts->max_message ? opts->max_message : TRIB_RPC_DEFAULT_MAX_MESSAGE;
	if (rpc->max_message > INT32_MAX)
		rpc->max_message = INT32_MAX;

	grpc_init();
	grpc_arg args[2];
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = (int)rpc->max_message;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[1].value.integer = (int)rpc->max_message;
	grpc_channel_args chargs = {2, args};
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	rpc->channel = grpc_channel_create(addr, creds, &chargs);
	grpc_channel_credentials_release(creds);
	rpc->cq = grpc_completion_queue_create_for_pluck(NULL);
	*out = rpc;
	return 0;
}

void trib_rpc_close(trib_rpc *rpc)
{
	if (!rpc)
		return;
	grpc_channel_destroy(rpc->channel);
	grpc_completion_queue_shutdown(rpc->cq);
	/* A pluck queue is drained with pluck; nothing is outstanding here. */
	while (grpc_completion_queue_pluck(rpc->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
		       .type != GRPC_QUEUE_SHUTDOWN) {
	}
	grpc_completion_queue_destroy(rpc->cq);
	free(rpc->addr);
	free(rpc->actor);
	free(rpc);
	grpc_shutdown();
}

const char *trib_rpc_addr(const trib_rpc *rpc)
{
	return rpc->addr;
}

void trib_rpc_set_timeout(trib_rpc *rpc, int64_t timeout_ms)
{
	rpc->timeout_ms = timeout_ms;
}

static gpr_timespec call_deadline(const trib_rpc *rpc)
{
	if (rpc->timeout_ms <= 0)
		return gpr_inf_future(GPR_CLOCK_MONOTONIC);
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_time_from_millis(rpc->timeout_ms, GPR_TIMESPAN));
}

static grpc_call *new_call(trib_rpc *rpc, const char *method)
{
	void *handle = NULL;
	for (size_t i = 0; i < rpc->n_reg; i++)
		if (rpc->reg[i].method == method || strcmp(rpc->reg[i].method, method) == 0) {
			handle = rpc->reg[i].handle;
			break;
		}
	if (!handle && rpc->n_reg < MAX_REGISTERED) {
		handle = grpc_channel_register_call(rpc->channel, method, NULL, NULL);
		rpc->reg[rpc->n_reg].method = method;
		rpc->reg[rpc->n_reg].handle = handle;
		rpc->n_reg++;
	}
	if (handle)
		return grpc_channel_create_registered_call(rpc->channel, NULL, GRPC_PROPAGATE_DEFAULTS,
							   rpc->cq, handle, call_deadline(rpc), NULL);
	grpc_slice m = grpc_slice_from_copied_string(method);
	grpc_call *call = grpc_channel_create_call(rpc->channel, NULL, GRPC_PROPAGATE_DEFAULTS, rpc->cq,
						   m, NULL, call_deadline(rpc), NULL);
	grpc_slice_unref(m);
	return call;
}

/* Pack a message straight into a gRPC slice; NULL if it is larger than allowed. */
static grpc_byte_buffer *pack(const trib_rpc *rpc, const ProtobufCMessage *msg, trib_rpc_status *st)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	if (len > rpc->max_message) {
		set_status(st, TRIB_RPC_RESOURCE_EXHAUSTED,
			   "request of %zu bytes exceeds the %zu-byte message limit", len, rpc->max_message);
		return NULL;
	}
	grpc_slice slice = grpc_slice_malloc(len);
	protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
	grpc_slice_unref(slice);
	return bb;
}

static int unpack(const ProtobufCMessageDescriptor *desc, grpc_byte_buffer *bb, trib_arena *arena,
		  ProtobufCMessage **out, trib_rpc_status *st)
{
	grpc_byte_buffer_reader reader;
	if (!grpc_byte_buffer_reader_init(&reader, bb))
		return set_status(st, TRIB_RPC_INTERNAL, "cannot read the %s reply", desc->name);
	grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	/* protobuf-c copies strings and bytes out, so the slice can go right after. */
	*out = protobuf_c_message_unpack(desc, trib_arena_pb(arena), GRPC_SLICE_LENGTH(all),
					 GRPC_SLICE_START_PTR(all));
	size_t len = GRPC_SLICE_LENGTH(all);
	grpc_slice_unref(all);
	if (!*out)
		return set_status(st, TRIB_RPC_INTERNAL, "malformed %s reply (%zu bytes) from the server",
				  desc->name, len);
	return set_status(st, TRIB_RPC_OK, "OK");
}

static void init_actor_md(grpc_metadata *md, const trib_rpc *rpc)
{
	memset(md, 0, sizeof *md);
	md->key = grpc_slice_from_static_string("x-tributary-actor");
	md->value = grpc_slice_from_copied_string(rpc->actor);
}

static grpc_event pluck(trib_rpc *rpc, void *tag)
{
	return grpc_completion_queue_pluck(rpc->cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
}

int trib_rpc_unary(trib_rpc *rpc, const char *method, const ProtobufCMessage *req,
		   const ProtobufCMessageDescriptor *resp_desc, trib_arena *arena,
		   ProtobufCMessage **resp, trib_rpc_status *st)
{
	*resp = NULL;
	grpc_byte_buffer *send = pack(rpc, req, st);
	if (!send)
		return trib_error_last_code();
	grpc_call *call = new_call(rpc, method);
	if (!call) {
		grpc_byte_buffer_destroy(send);
		return set_status(st, TRIB_RPC_INTERNAL, "cannot create a call to %s", method);
	}

	grpc_metadata_array initial_md, trailing_md;
	grpc_metadata_array_init(&initial_md);
	grpc_metadata_array_init(&trailing_md);
	grpc_byte_buffer *recv = NULL;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice details = grpc_empty_slice();
	const char *error_string = NULL;
	grpc_metadata actor_md;
	if (rpc->actor)
		init_actor_md(&actor_md, rpc);

	grpc_op ops[6];
	memset(ops, 0, sizeof ops);
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[0].data.send_initial_metadata.count = rpc->actor ? 1 : 0;
	ops[0].data.send_initial_metadata.metadata = rpc->actor ? &actor_md : NULL;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &recv;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &details;
	ops[5].data.recv_status_on_client.error_string = &error_string;

	char tag;
	int rc;
	grpc_call_error ce = grpc_call_start_batch(call, ops, 6, &tag, NULL);
	if (ce != GRPC_CALL_OK) {
		rc = set_status(st, TRIB_RPC_INTERNAL, "cannot start the call to %s (call error %d)",
				method, (int)ce);
	} else {
		grpc_event ev = pluck(rpc, &tag);
		if (ev.type != GRPC_OP_COMPLETE)
			rc = set_status(st, TRIB_RPC_INTERNAL, "call to %s did not complete", method);
		else if (status != GRPC_STATUS_OK)
			rc = wire_status(st, rpc, status, details, error_string);
		else if (!recv)
			rc = set_status(st, TRIB_RPC_INTERNAL, "%s returned OK without a reply", method);
		else
			rc = unpack(resp_desc, recv, arena, resp, st);
	}

	if (rpc->actor)
		grpc_slice_unref(actor_md.value);
	grpc_byte_buffer_destroy(send);
	if (recv)
		grpc_byte_buffer_destroy(recv);
	grpc_slice_unref(details);
	if (error_string)
		gpr_free((void *)error_string);
	grpc_metadata_array_destroy(&initial_md);
	grpc_metadata_array_destroy(&trailing_md);
	grpc_call_unref(call);
	return rc;
}

int trib_rpc_stream_open(trib_rpc_stream **out, trib_rpc *rpc, const char *method,
			 trib_rpc_status *st)
{
	*out = NULL;
	trib_rpc_stream *s = calloc(1, sizeof *s);
	if (!s)
		return set_status(st, TRIB_RPC_RESOURCE_EXHAUSTED, "out of memory");
	s->rpc = rpc;
	s->call = new_call(rpc, method);
	if (!s->call) {
		free(s);
		return set_status(st, TRIB_RPC_INTERNAL, "cannot create a call to %s", method);
	}
	grpc_metadata_array_init(&s->initial_md);
	grpc_metadata_array_init(&s->trailing_md);
	s->details = grpc_empty_slice();
	s->status = GRPC_STATUS_UNKNOWN;
	if (rpc->actor)
		init_actor_md(&s->actor_md, rpc);

	/* The receiving half completes only when the call ends; it is started
	 * first so an early reply from the server (an error) is never missed. */
	grpc_op ops[3];
	memset(ops, 0, sizeof ops);
	ops[0].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[0].data.recv_initial_metadata.recv_initial_metadata = &s->initial_md;
	ops[1].op = GRPC_OP_RECV_MESSAGE;
	ops[1].data.recv_message.recv_message = &s->recv;
	ops[2].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[2].data.recv_status_on_client.trailing_metadata = &s->trailing_md;
	ops[2].data.recv_status_on_client.status = &s->status;
	ops[2].data.recv_status_on_client.status_details = &s->details;
	ops[2].data.recv_status_on_client.error_string = &s->error_string;
	grpc_call_error ce = grpc_call_start_batch(s->call, ops, 3, &s->tag_final, NULL);
	if (ce == GRPC_CALL_OK) {
		s->final_started = 1;
		grpc_op md;
		memset(&md, 0, sizeof md);
		md.op = GRPC_OP_SEND_INITIAL_METADATA;
		md.data.send_initial_metadata.count = rpc->actor ? 1 : 0;
		md.data.send_initial_metadata.metadata = rpc->actor ? &s->actor_md : NULL;
		ce = grpc_call_start_batch(s->call, &md, 1, &s->tag_op, NULL);
		if (ce == GRPC_CALL_OK && !pluck(rpc, &s->tag_op).success)
			s->broken = 1;
	}
	if (ce != GRPC_CALL_OK) {
		grpc_call_cancel(s->call, NULL);
		ProtobufCMessage *ignored;
		trib_rpc_stream_finish(s, NULL, NULL, &ignored, NULL);
		return set_status(st, TRIB_RPC_INTERNAL, "cannot start the call to %s (call error %d)",
				  method, (int)ce);
	}
	*out = s;
	return set_status(st, TRIB_RPC_OK, "OK");
}

int trib_rpc_stream_send(trib_rpc_stream *s, const ProtobufCMessage *msg)
{
	if (s->broken)
		return trib_error_set(TRIB_EUNAVAILABLE, "the stream has ended");
	trib_rpc_status st;
	grpc_byte_buffer *bb = pack(s->rpc, msg, &st);
	if (!bb)
		return trib_error_last_code();
	grpc_op op;
	memset(&op, 0, sizeof op);
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = bb;
	grpc_call_error ce = grpc_call_start_batch(s->call, &op, 1, &s->tag_op, NULL);
	int ok = ce == GRPC_CALL_OK && pluck(s->rpc, &s->tag_op).success;
	grpc_byte_buffer_destroy(bb);
	if (!ok) {
		s->broken = 1;
		return trib_error_set(TRIB_EUNAVAILABLE, "the stream has ended");
	}
	return 0;
}

int trib_rpc_stream_finish(trib_rpc_stream *s, const ProtobufCMessageDescriptor *resp_desc,
			   trib_arena *arena, ProtobufCMessage **resp, trib_rpc_status *st)
{
	*resp = NULL;
	trib_rpc *rpc = s->rpc;
	if (!s->broken) {
		grpc_op op;
		memset(&op, 0, sizeof op);
		op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
		if (grpc_call_start_batch(s->call, &op, 1, &s->tag_op, NULL) == GRPC_CALL_OK)
			pluck(rpc, &s->tag_op);
	}
	int rc;
	if (!s->final_started) {
		grpc_call_cancel(s->call, NULL);
		rc = set_status(st, TRIB_RPC_INTERNAL, "the call never started");
	} else {
		pluck(rpc, &s->tag_final);
		if (s->status != GRPC_STATUS_OK)
			rc = wire_status(st, rpc, s->status, s->details, s->error_string);
		else if (!s->recv)
			rc = set_status(st, TRIB_RPC_INTERNAL, "stream returned OK without a reply");
		else if (!resp_desc)
			rc = set_status(st, TRIB_RPC_OK, "OK");
		else
			rc = unpack(resp_desc, s->recv, arena, resp, st);
	}
	if (rpc->actor)
		grpc_slice_unref(s->actor_md.value);
	if (s->recv)
		grpc_byte_buffer_destroy(s->recv);
	grpc_slice_unref(s->details);
	if (s->error_string)
		gpr_free((void *)s->error_string);
	grpc_metadata_array_destroy(&s->initial_md);
	grpc_metadata_array_destroy(&s->trailing_md);
	grpc_call_unref(s->call);
	free(s);
	return rc;
}
