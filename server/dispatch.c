/* The method table and the one dispatcher every call goes through. */
#include "srv.h"

#include <assert.h>
#include <string.h>
#include <time.h>

#include <grpc/status.h>

const srv_method srv_methods[] = {
#define SRV_METHOD(svc_desc, service, name, handler, req_desc, resp_desc, flags) \
	{&svc_desc, service, name, "/" service "/" name, handler, &req_desc, &resp_desc, flags},
#include "methods.def"
#undef SRV_METHOD
};

const size_t srv_method_count = sizeof srv_methods / sizeof srv_methods[0];

const srv_method *srv_method_find(const char *path)
{
	for (size_t i = 0; i < srv_method_count; i++)
		if (strcmp(srv_methods[i].path, path) == 0)
			return &srv_methods[i];
	return NULL;
}

/* ------------------------------------------------------------- status map */

static const struct {
	int err;
	int status;
} status_map[] = {
	{TRIB_ENOTFOUND, GRPC_STATUS_NOT_FOUND},
	{TRIB_EINVALID, GRPC_STATUS_INVALID_ARGUMENT},
	{TRIB_EEXISTS, GRPC_STATUS_ALREADY_EXISTS},
	/* An ambiguous bare name or a conflicting state: the request may be
	 * fine, the current state of the catalog prevents it. */
	{TRIB_ECONFLICT, GRPC_STATUS_FAILED_PRECONDITION},
	{TRIB_EPOLICY, GRPC_STATUS_FAILED_PRECONDITION},
	{TRIB_ELIMIT, GRPC_STATUS_RESOURCE_EXHAUSTED},
	{TRIB_EFULL, GRPC_STATUS_RESOURCE_EXHAUSTED},
	{TRIB_ENOMEM, GRPC_STATUS_RESOURCE_EXHAUSTED},
	{TRIB_EDENIED, GRPC_STATUS_PERMISSION_DENIED},
	{TRIB_EUNAVAILABLE, GRPC_STATUS_UNAVAILABLE},
};

int srv_status_of(int err)
{
	if (err == 0)
		return GRPC_STATUS_OK;
	for (size_t i = 0; i < sizeof status_map / sizeof status_map[0]; i++)
		if (status_map[i].err == err)
			return status_map[i].status;
	return GRPC_STATUS_INTERNAL;
}

const char *srv_status_name(int status)
{
	static const char *names[] = {
		"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
		"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
		"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
		"UNAUTHENTICATED",
	};
	if (status >= 0 && (size_t)status < sizeof names / sizeof names[0])
		return names[status];
	return "UNKNOWN";
}

/* ---------------------------------------------------------------- context */

int64_t srv_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void srv_ctx_init(srv_ctx *c, const srv_env *env, trib_arena *a, const srv_method *m,
		  const char *actor, int64_t deadline_ms)
{
	memset(c, 0, sizeof *c);
	c->arena = a;
	c->scratch = a;
	c->env = env;
	c->store = env->store;
	c->actor = actor && *actor ? actor : "anonymous";
	c->deadline_ms = deadline_ms;
	c->method = m ? m->path : "";
}

int srv_ctx_check_deadline(const srv_ctx *c)
{
	if (c->deadline_ms && srv_now_ms() >= c->deadline_ms)
		return trib_error_set(TRIB_ELIMIT, "deadline exceeded before %s completed", c->method);
	return 0;
}

int srv_ctx_write(srv_ctx *c, int (*fn)(graph_txn *t, void *payload), void *payload)
{
	if (!c->store)
		return trib_error_set(TRIB_EUNAVAILABLE, "%s: no store is open", c->method);
	return graph_update(c->store, fn, payload);
}

/* "input_ports[1].source: ..." starts with a field path: it continues ours. */
static int starts_with_path(const char *s)
{
	const char *p = s;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
	       *p == '.' || *p == '[' || *p == ']')
		p++;
	return p[0] == ':' && p[1] == ' ';
}

int srv_error_at(int err, const char *field_path)
{
	/* Copy first: the cause lives in the very slot being rewritten. */
	char cause[900];
	snprintf(cause, sizeof cause, "%s", trib_error_last());
	return trib_error_set(err, "%s%s%s", field_path, starts_with_path(cause) ? "." : ": ", cause);
}

size_t srv_call_memory_limit(size_t max_message)
{
	return 64u * 1024u * 1024u + 8 * max_message;
}

void *srv_msg_new(trib_arena *a, const ProtobufCMessageDescriptor *d)
{
	void *m = trib_arena_alloc(a, d->sizeof_message);
	if (m)
		protobuf_c_message_init(d, m);
	return m;
}

size_t srv_page_size(uint32_t requested)
{
	if (requested == 0)
		return 100;
	return requested > 1000 ? 1000 : requested;
}

/* ----------------------------------------------------------------- limits */

/* The path to the field being checked, as a chain of stack frames, turned
 * into text only when a limit is exceeded. */
typedef struct path_frame {
	const struct path_frame *up;
	const char *name;
	long index; /* -1: not an element of a repeated field */
} path_frame;

static void path_format(char *buf, size_t cap, const path_frame *f)
{
	if (!f) {
		buf[0] = '\0';
		return;
	}
	path_format(buf, cap, f->up);
	size_t n = strlen(buf);
	if (f->index >= 0)
		snprintf(buf + n, cap - n, "%s%s[%ld]", n ? "." : "", f->name, f->index);
	else
		snprintf(buf + n, cap - n, "%s%s", n ? "." : "", f->name);
}

static int limit_error(const path_frame *f, const char *what, size_t got, size_t max)
{
	char path[512];
	path_format(path, sizeof path, f);
	return trib_error_set(TRIB_EINVALID, "%s: %zu %s, more than the limit of %zu", path, got,
			      what, max);
}

static int check_message(const ProtobufCMessage *m, const path_frame *up);

static int check_value(const ProtobufCFieldDescriptor *fd, const void *value, const path_frame *f)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)value;
		size_t n = s ? strlen(s) : 0;
		if (n > SRV_MAX_STRING)
			return limit_error(f, "bytes", n, SRV_MAX_STRING);
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = value;
		if (b->len > SRV_MAX_STRING)
			return limit_error(f, "bytes", b->len, SRV_MAX_STRING);
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)value;
		return sub ? check_message(sub, f) : 0;
	}
	default:
		return 0;
	}
}

static int check_message(const ProtobufCMessage *m, const path_frame *up)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		if (fd->type != PROTOBUF_C_TYPE_STRING && fd->type != PROTOBUF_C_TYPE_BYTES &&
		    fd->type != PROTOBUF_C_TYPE_MESSAGE && fd->label != PROTOBUF_C_LABEL_REPEATED)
			continue;
		const char *member = (const char *)m + fd->offset;
		path_frame f = {up, fd->name, -1};
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + fd->quantifier_offset);
			if (n > SRV_MAX_REPEATED)
				return limit_error(&f, "elements", n, SRV_MAX_REPEATED);
			if (fd->type != PROTOBUF_C_TYPE_STRING && fd->type != PROTOBUF_C_TYPE_BYTES &&
			    fd->type != PROTOBUF_C_TYPE_MESSAGE)
				continue;
			const char *arr = *(char *const *)member;
			size_t elem = fd->type == PROTOBUF_C_TYPE_BYTES ? sizeof(ProtobufCBinaryData)
									 : sizeof(void *);
			for (size_t k = 0; k < n; k++) {
				f.index = (long)k;
				int rc = check_value(fd, arr + k * elem, &f);
				if (rc)
					return rc;
			}
			continue;
		}
		if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)((const char *)m + fd->quantifier_offset) != fd->id)
			continue;
		int rc = check_value(fd, member, &f);
		if (rc)
			return rc;
	}
	return 0;
}

int srv_check_limits(const ProtobufCMessage *m)
{
	return check_message(m, NULL);
}

/* ------------------------------------------------------------- dispatcher */

typedef struct run_args {
	srv_ctx *c;
	const srv_method *m;
	const ProtobufCMessage *req;
	ProtobufCMessage **resp;
} run_args;

static int run_in_write_txn(graph_txn *t, void *payload)
{
	run_args *r = payload;
	*r->resp = NULL;
	r->c->txn = t;
	int rc = r->m->handler(r->c, r->req, r->resp);
	r->c->txn = NULL;
	return rc;
}

static int run(srv_ctx *c, const srv_method *m, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	int streaming = (m->flags & (SRV_STREAM | SRV_WATCH)) != 0;
	if (streaming || !(m->flags & (SRV_READ | SRV_WRITE)))
		return m->handler(c, req, resp);
	if (!c->store)
		return trib_error_set(TRIB_EUNAVAILABLE, "%s: no store is open", m->path);
	if (m->flags & SRV_WRITE) {
		run_args r = {c, m, req, resp};
		int rc = graph_update(c->store, run_in_write_txn, &r);
		return rc == SRV_DRY_RUN ? 0 : rc;
	}
	graph_txn *t = NULL;
	int rc = graph_read_begin(&t, c->store);
	if (rc)
		return rc;
	c->txn = t;
	rc = m->handler(c, req, resp);
	c->txn = NULL;
	graph_txn_abort(t);
	return rc;
}

static void reply_error(srv_reply *out, srv_ctx *c, int rc)
{
	out->status = srv_status_of(rc);
	const char *msg = trib_error_last_code() == rc ? trib_error_last() : trib_strerror(rc);
	/* The arena may be what ran out: fall back to the static description. */
	char *copy = trib_arena_strdup(c->arena, msg);
	out->message = copy ? copy : trib_strerror(rc);
	out->data = NULL;
	out->len = 0;
	out->has_response = 0;
}

void srv_dispatch(srv_reply *out, srv_ctx *c, const srv_method *m, const uint8_t *data,
		  size_t len, int req_present)
{
	memset(out, 0, sizeof *out);
	out->message = "";
	trib_error_clear();

	ProtobufCMessage *req = NULL, *resp = NULL;
	int rc = 0;
	if (req_present) {
		size_t max = c->env->max_message ? c->env->max_message : SRV_MAX_MESSAGE_DEFAULT;
		if (len > max) {
			rc = trib_error_set(TRIB_ELIMIT, "request of %zu bytes is larger than the limit of %zu bytes",
					    len, max);
		} else {
			req = protobuf_c_message_unpack(m->request, trib_arena_pb(c->scratch), len, data);
			if (!req)
				rc = trib_error_last_code() == TRIB_ELIMIT || trib_error_last_code() == TRIB_ENOMEM
					     ? trib_error_last_code()
					     : trib_error_set(TRIB_EINVALID, "request is not a valid %s message",
							      m->request->name);
			else
				rc = srv_check_limits(req);
		}
	}
	if (!rc)
		rc = srv_ctx_check_deadline(c);
	if (!rc)
		rc = run(c, m, req, &resp);
	if (rc < 0) {
		reply_error(out, c, rc);
		return;
	}
	if (!resp) {
		/* Unary calls and the end of a client stream must answer. */
		int must_answer = !(m->flags & (SRV_STREAM | SRV_WATCH)) || ((m->flags & SRV_STREAM) &&
									 !(m->flags & SRV_WATCH) && !req_present);
		if (must_answer)
			reply_error(out, c, trib_error_set(TRIB_EINTERNAL, "%s: handler gave no response",
							   m->path));
		return;
	}
	assert(resp->descriptor == m->response);
	size_t size = protobuf_c_message_get_packed_size(resp);
	size_t max = c->env->max_message ? c->env->max_message : SRV_MAX_MESSAGE_DEFAULT;
	if (size > max) {
		reply_error(out, c, trib_error_set(TRIB_ELIMIT,
						   "response of %zu bytes is larger than the limit of %zu bytes "
						   "(ask for a smaller page)",
						   size, max));
		return;
	}
	uint8_t *buf = trib_arena_alloc(c->arena, size ? size : 1);
	if (!buf) {
		reply_error(out, c, trib_error_last_code());
		return;
	}
	protobuf_c_message_pack(resp, buf);
	out->data = buf;
	out->len = size;
	out->has_response = 1;
}
