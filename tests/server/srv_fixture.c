/* Fixture, dispatcher calls, product builders and a tiny gRPC client for tests/server. */
#include "srv_fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

graph_store *tsrv_store;
srv_env tsrv_env;
trib_arena tsrv_arena;
char tsrv_dir[256];
size_t tsrv_memory_limit;
static srv_health *health;
static srv_reflect *reflect;

static void rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[512];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rmtree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void open_store(void)
{
	graph_open_opts o = GRAPH_OPEN_OPTS_INIT;
	o.no_sync = 1;
	ck_assert_msg(graph_open(&tsrv_store, tsrv_dir, &o) == 0, "graph_open: %s", trib_error_last());
	tsrv_env.store = tsrv_store;
}

void tsrv_setup(void)
{
	snprintf(tsrv_dir, sizeof tsrv_dir, "%s/tsrv-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert(mkdtemp(tsrv_dir) != NULL);
	memset(&tsrv_env, 0, sizeof tsrv_env);
	open_store();
	ck_assert(srv_health_new(&health) == 0);
	srv_health_set_all(health, SRV_HEALTH_SERVING);
	ck_assert(srv_reflect_new(&reflect, trib_descriptor_set, trib_descriptor_set_len) == 0);
	tsrv_env.health = health;
	tsrv_env.reflect = reflect;
	tsrv_env.max_message = SRV_MAX_MESSAGE_DEFAULT;
	tsrv_memory_limit = 0;
	trib_arena_init(&tsrv_arena, 0);
}

void tsrv_teardown(void)
{
	graph_close(tsrv_store);
	tsrv_store = NULL;
	srv_health_free(health);
	srv_reflect_free(reflect);
	trib_arena_dispose(&tsrv_arena);
	rmtree(tsrv_dir);
}

int tsrv_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

void tsrv_reopen(void)
{
	graph_close(tsrv_store);
	open_store();
}

static const srv_method *method_of(const char *path)
{
	const srv_method *m = srv_method_find(path);
	ck_assert_msg(m != NULL, "no method %s", path);
	return m;
}

static uint8_t *pack(const ProtobufCMessage *req, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(req);
	uint8_t *buf = trib_arena_alloc(&tsrv_arena, *len ? *len : 1);
	protobuf_c_message_pack(req, buf);
	return buf;
}

static tsrv_result outcome(const srv_method *m, const srv_reply *r)
{
	tsrv_result out = {r->status, trib_arena_strdup(&tsrv_arena, r->message), NULL};
	if (r->status == 0 && r->has_response) {
		out.resp = protobuf_c_message_unpack(m->response, trib_arena_pb(&tsrv_arena), r->len, r->data);
		ck_assert_msg(out.resp != NULL, "%s: response does not decode", m->path);
	}
	return out;
}

/* A call's arena as the server gives it (rpc.c): same memory limit, so a
 * handler that outgrows it fails here as it would in tributaryd. */
static void call_arena_init(trib_arena *a)
{
	trib_arena_init(a, 0);
	a->limit = tsrv_memory_limit ? tsrv_memory_limit : srv_call_memory_limit(tsrv_env.max_message);
}

static tsrv_result call(const char *path, const ProtobufCMessage *req, const char *actor, int64_t timeout_ms)
{
	const srv_method *m = method_of(path);
	size_t len;
	uint8_t *buf = pack(req, &len);
	trib_arena arena;
	call_arena_init(&arena);
	srv_ctx c;
	srv_ctx_init(&c, &tsrv_env, &arena, m, actor, srv_now_ms() + timeout_ms);
	srv_reply r;
	srv_dispatch(&r, &c, m, buf, len, 1);
	tsrv_result out = outcome(m, &r);
	trib_arena_dispose(&arena);
	return out;
}

tsrv_result tsrv_call_as(const char *path, const ProtobufCMessage *req, const char *actor)
{
	return call(path, req, actor, 10000);
}

tsrv_result tsrv_call_within(const char *path, const ProtobufCMessage *req, int64_t timeout_ms)
{
	return call(path, req, NULL, timeout_ms);
}

tsrv_result tsrv_call(const char *path, const ProtobufCMessage *req)
{
	return tsrv_call_as(path, req, NULL);
}

tsrv_result tsrv_stream(const char *path, ProtobufCMessage *const *reqs, size_t n)
{
	const srv_method *m = method_of(path);
	trib_arena call, scratch;
	call_arena_init(&call);
	call_arena_init(&scratch);
	srv_ctx c;
	srv_ctx_init(&c, &tsrv_env, &call, m, "stream-test", 0);
	c.scratch = &scratch;
	srv_reply r;
	size_t i;
	for (i = 0; i < n; i++) {
		size_t len;
		uint8_t *buf = pack(reqs[i], &len);
		srv_dispatch(&r, &c, m, buf, len, 1);
		if (r.status != 0)
			break;
		ck_assert_msg(!r.has_response, "a client stream answered before its end");
	}
	if (i == n)
		srv_dispatch(&r, &c, m, NULL, 0, 0);
	tsrv_result out = outcome(m, &r);
	trib_arena_dispose(&scratch);
	trib_arena_dispose(&call);
	return out;
}

static char *tdup(const char *s)
{
	return trib_arena_strdup(&tsrv_arena, s);
}

static Tributary__V1__Field *field(const char *name, const char *type)
{
	Tributary__V1__Field *f = srv_msg_new(&tsrv_arena, &tributary__v1__field__descriptor);
	f->name = tdup(name);
	f->type = tdup(type);
	return f;
}

trib_product *tsrv_product(const char *domain, const char *name, const char *owner)
{
	trib_arena *a = &tsrv_arena;
	trib_product *p = srv_msg_new(a, &tributary__v1__data_product__descriptor);
	p->domain = tdup(domain);
	p->name = tdup(name);
	p->owner = tdup(owner);
	p->version = tdup("1.0.0");
	p->description = trib_arena_printf(a, "The %s product of the %s domain", name, domain);
	p->sla = srv_msg_new(a, &tributary__v1__sla__descriptor);
	p->sla->freshness = tdup("1 hour");
	p->sla->freshness_seconds = 3600;
	Tributary__V1__OutputPort *port = srv_msg_new(a, &tributary__v1__output_port__descriptor);
	port->name = tdup("main");
	port->type = TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_TABLE;
	port->n_fields = 2;
	port->fields = trib_arena_calloc(a, 2, sizeof *port->fields);
	port->fields[0] = field("id", "long");
	port->fields[1] = field("customer_email", "string");
	p->n_output_ports = 1;
	p->output_ports = trib_arena_calloc(a, 1, sizeof *p->output_ports);
	p->output_ports[0] = port;
	return p;
}

void tsrv_tag(trib_product *p, const char *tag)
{
	char **t = trib_arena_calloc(&tsrv_arena, p->n_tags + 1, sizeof *t);
	if (p->n_tags)
		memcpy(t, p->tags, p->n_tags * sizeof *t);
	t[p->n_tags++] = tdup(tag);
	p->tags = t;
}

void tsrv_input(trib_product *p, const char *source)
{
	Tributary__V1__InputPort **in = trib_arena_calloc(&tsrv_arena, p->n_input_ports + 1, sizeof *in);
	if (p->n_input_ports)
		memcpy(in, p->input_ports, p->n_input_ports * sizeof *in);
	Tributary__V1__InputPort *x = srv_msg_new(&tsrv_arena, &tributary__v1__input_port__descriptor);
	x->source = tdup(source);
	x->source_type = tdup("data-product");
	in[p->n_input_ports++] = x;
	p->input_ports = in;
}

void tsrv_register_ok(const trib_product *p)
{
	Tributary__V1__RegisterProductRequest req = TRIBUTARY__V1__REGISTER_PRODUCT_REQUEST__INIT;
	req.product = (trib_product *)p;
	tsrv_result r = tsrv_call("/tributary.v1.Catalog/RegisterProduct", &req.base);
	ck_assert_msg(r.status == 0, "register %s/%s: %s", p->domain, p->name, r.message);
}

void tsrv_check_status(tsrv_result r, int status, const char *needle, const char *file, int line)
{
	const char *msg = r.message ? r.message : "";
	if (r.status != status)
		ck_abort_msg("%s:%d: status %d (%s), expected %d (%s); message: %s", file, line, r.status,
			     srv_status_name(r.status), status, srv_status_name(status), msg);
	if (!strstr(msg, needle))
		ck_abort_msg("%s:%d: message '%s' lacks '%s'", file, line, msg, needle);
}

/* ------------------------------------------------------------ gRPC client */

struct tc_channel {
	grpc_channel *ch;
	grpc_completion_queue *cq;
	char details[1024];
};

static gpr_timespec in_ms(int ms)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

tc_channel *tc_open(const char *target)
{
	tc_channel *c = calloc(1, sizeof *c);
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	c->ch = grpc_channel_create(target, creds, NULL);
	grpc_channel_credentials_release(creds);
	c->cq = grpc_completion_queue_create_for_pluck(NULL);
	return c;
}

void tc_close(tc_channel *c)
{
	grpc_channel_destroy(c->ch);
	grpc_completion_queue_shutdown(c->cq);
	while (grpc_completion_queue_pluck(c->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(c->cq);
	free(c);
}

static grpc_byte_buffer *to_buffer(const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	protobuf_c_message_pack(m, buf);
	grpc_slice s = grpc_slice_from_copied_buffer((const char *)buf, n);
	free(buf);
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

static ProtobufCMessage *from_buffer(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d, trib_arena *a)
{
	grpc_byte_buffer_reader r;
	grpc_byte_buffer_reader_init(&r, bb);
	grpc_slice s = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	ProtobufCMessage *m = protobuf_c_message_unpack(d, trib_arena_pb(a), GRPC_SLICE_LENGTH(s),
							GRPC_SLICE_START_PTR(s));
	grpc_slice_unref(s);
	return m;
}

static void pluck(grpc_completion_queue *cq, void *tag)
{
	grpc_event ev = grpc_completion_queue_pluck(cq, tag, in_ms(20000), NULL);
	ck_assert_msg(ev.type == GRPC_OP_COMPLETE, "client batch did not complete");
}

static int call_many(tc_channel *c, const char *method, ProtobufCMessage *const *reqs, size_t n,
		     const ProtobufCMessageDescriptor *resp_desc, trib_arena *a, ProtobufCMessage **resp,
		     const char **details)
{
	grpc_slice ms = grpc_slice_from_copied_string(method);
	grpc_call *call = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, ms, NULL,
						   in_ms(15000), NULL);
	grpc_slice_unref(ms);
	grpc_op op;
	int tag0;
	memset(&op, 0, sizeof op);
	op.op = GRPC_OP_SEND_INITIAL_METADATA;
	ck_assert(grpc_call_start_batch(call, &op, 1, &tag0, NULL) == GRPC_CALL_OK);
	pluck(c->cq, &tag0);
	for (size_t i = 0; i < n; i++) {
		memset(&op, 0, sizeof op);
		op.op = GRPC_OP_SEND_MESSAGE;
		op.data.send_message.send_message = to_buffer(reqs[i]);
		int tag;
		ck_assert(grpc_call_start_batch(call, &op, 1, &tag, NULL) == GRPC_CALL_OK);
		grpc_event ev = grpc_completion_queue_pluck(c->cq, &tag, in_ms(20000), NULL);
		grpc_byte_buffer_destroy(op.data.send_message.send_message);
		if (!ev.success)
			break; /* the server ended the call early: its status says why */
	}
	grpc_metadata_array md, trailing;
	grpc_metadata_array_init(&md);
	grpc_metadata_array_init(&trailing);
	grpc_byte_buffer *rbb = NULL;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice det;
	const char *err = NULL;
	grpc_op ops[4];
	memset(ops, 0, sizeof ops);
	ops[0].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[1].data.recv_initial_metadata.recv_initial_metadata = &md;
	ops[2].op = GRPC_OP_RECV_MESSAGE;
	ops[2].data.recv_message.recv_message = &rbb;
	ops[3].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[3].data.recv_status_on_client.trailing_metadata = &trailing;
	ops[3].data.recv_status_on_client.status = &status;
	ops[3].data.recv_status_on_client.status_details = &det;
	ops[3].data.recv_status_on_client.error_string = &err;
	int tag1;
	ck_assert(grpc_call_start_batch(call, ops, 4, &tag1, NULL) == GRPC_CALL_OK);
	pluck(c->cq, &tag1);
	snprintf(c->details, sizeof c->details, "%.*s", (int)GRPC_SLICE_LENGTH(det),
		 (const char *)GRPC_SLICE_START_PTR(det));
	grpc_slice_unref(det);
	if (err)
		gpr_free((void *)err);
	*resp = NULL;
	if (rbb) {
		*resp = from_buffer(rbb, resp_desc, a);
		grpc_byte_buffer_destroy(rbb);
	}
	grpc_metadata_array_destroy(&md);
	grpc_metadata_array_destroy(&trailing);
	grpc_call_unref(call);
	if (details)
		*details = c->details;
	return (int)status;
}

int tc_unary(tc_channel *c, const char *method, const ProtobufCMessage *req,
	     const ProtobufCMessageDescriptor *resp_desc, trib_arena *a, ProtobufCMessage **resp,
	     const char **details)
{
	ProtobufCMessage *one = (ProtobufCMessage *)req;
	return call_many(c, method, &one, 1, resp_desc, a, resp, details);
}

int tc_client_stream(tc_channel *c, const char *method, ProtobufCMessage *const *reqs, size_t n,
		     const ProtobufCMessageDescriptor *resp_desc, trib_arena *a, ProtobufCMessage **resp,
		     const char **details)
{
	return call_many(c, method, reqs, n, resp_desc, a, resp, details);
}

struct tc_stream {
	tc_channel *c;
	grpc_call *call;
	int half_closed;
	int recv_pending;
	grpc_byte_buffer *rbb;
	grpc_metadata_array md, trailing;
	grpc_status_code status;
	grpc_slice det;
	const char *err;
	int tag_recv, tag_status;
};

tc_stream *tc_stream_start(tc_channel *c, const char *method, const ProtobufCMessage *req, int half_close)
{
	tc_stream *s = calloc(1, sizeof *s);
	s->c = c;
	grpc_slice ms = grpc_slice_from_copied_string(method);
	s->call = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, ms, NULL,
					  gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	grpc_slice_unref(ms);
	grpc_metadata_array_init(&s->md);
	grpc_metadata_array_init(&s->trailing);
	grpc_op ops[4];
	memset(ops, 0, sizeof ops);
	size_t n = 0;
	ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
	grpc_byte_buffer *bb = to_buffer(req);
	ops[n].op = GRPC_OP_SEND_MESSAGE;
	ops[n++].data.send_message.send_message = bb;
	if (half_close) {
		ops[n++].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
		s->half_closed = 1;
	}
	ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[n++].data.recv_initial_metadata.recv_initial_metadata = &s->md;
	int tag;
	ck_assert(grpc_call_start_batch(s->call, ops, n, &tag, NULL) == GRPC_CALL_OK);
	pluck(c->cq, &tag);
	grpc_byte_buffer_destroy(bb);
	memset(ops, 0, sizeof ops);
	ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[0].data.recv_status_on_client.trailing_metadata = &s->trailing;
	ops[0].data.recv_status_on_client.status = &s->status;
	ops[0].data.recv_status_on_client.status_details = &s->det;
	ops[0].data.recv_status_on_client.error_string = &s->err;
	ck_assert(grpc_call_start_batch(s->call, ops, 1, &s->tag_status, NULL) == GRPC_CALL_OK);
	return s;
}

int tc_stream_send(tc_stream *s, const ProtobufCMessage *req)
{
	grpc_op op;
	memset(&op, 0, sizeof op);
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = to_buffer(req);
	int tag;
	ck_assert(grpc_call_start_batch(s->call, &op, 1, &tag, NULL) == GRPC_CALL_OK);
	grpc_event ev = grpc_completion_queue_pluck(s->c->cq, &tag, in_ms(10000), NULL);
	grpc_byte_buffer_destroy(op.data.send_message.send_message);
	return ev.type == GRPC_OP_COMPLETE && ev.success ? 0 : -1;
}

int tc_stream_next(tc_stream *s, const ProtobufCMessageDescriptor *d, trib_arena *a, ProtobufCMessage **out,
		   int timeout_ms)
{
	*out = NULL;
	if (!s->recv_pending) {
		grpc_op op;
		memset(&op, 0, sizeof op);
		op.op = GRPC_OP_RECV_MESSAGE;
		op.data.recv_message.recv_message = &s->rbb;
		ck_assert(grpc_call_start_batch(s->call, &op, 1, &s->tag_recv, NULL) == GRPC_CALL_OK);
		s->recv_pending = 1;
	}
	grpc_event ev = grpc_completion_queue_pluck(s->c->cq, &s->tag_recv, in_ms(timeout_ms), NULL);
	if (ev.type == GRPC_QUEUE_TIMEOUT)
		return -1;
	s->recv_pending = 0;
	if (!s->rbb)
		return 0;
	*out = from_buffer(s->rbb, d, a);
	grpc_byte_buffer_destroy(s->rbb);
	s->rbb = NULL;
	return 1;
}

int tc_stream_finish(tc_stream *s, const char **details)
{
	if (!s->half_closed) {
		grpc_op op;
		memset(&op, 0, sizeof op);
		op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
		int tag;
		ck_assert(grpc_call_start_batch(s->call, &op, 1, &tag, NULL) == GRPC_CALL_OK);
		pluck(s->c->cq, &tag);
	}
	grpc_event ev = grpc_completion_queue_pluck(s->c->cq, &s->tag_status, in_ms(10000), NULL);
	if (ev.type == GRPC_QUEUE_TIMEOUT) {
		grpc_call_cancel(s->call, NULL);
		pluck(s->c->cq, &s->tag_status);
	}
	if (s->recv_pending) {
		pluck(s->c->cq, &s->tag_recv);
		if (s->rbb)
			grpc_byte_buffer_destroy(s->rbb);
	}
	snprintf(s->c->details, sizeof s->c->details, "%.*s", (int)GRPC_SLICE_LENGTH(s->det),
		 (const char *)GRPC_SLICE_START_PTR(s->det));
	grpc_slice_unref(s->det);
	if (s->err)
		gpr_free((void *)s->err);
	grpc_metadata_array_destroy(&s->md);
	grpc_metadata_array_destroy(&s->trailing);
	grpc_call_unref(s->call);
	int st = (int)s->status;
	if (details)
		*details = s->c->details;
	free(s);
	return st;
}
