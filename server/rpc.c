/*
 * The gRPC core server: completion queues, worker threads and the life of a
 * call. Everything protocol-specific stops here; the dispatcher
 * (dispatch.c) sees bytes in and bytes out.
 *
 * Threads: one completion queue per worker; every call is requested on, and
 * bound to, one worker's queue, so all events of a call run on that worker
 * and a call needs no lock. The exception is a health Watch, which the main
 * thread also touches (srv_health notifies it): its fields after `lock` are
 * guarded by that lock. Lock order: health lock, then a call's lock.
 */
#include "srv.h"

#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#define GENERIC ((size_t)-1)
#define ACTOR_KEY "x-tributary-actor"
#define ACTOR_MAX 128
#define FREE_CALLS_MAX 64
#define MAX_STREAMS_PER_CONNECTION 256
/* Calls posted per method and queue: a burst of calls need not wait for a
 * replacement request to be posted. */
#define PENDING_PER_METHOD 2

enum { OP_RECV = 1, OP_SEND, OP_FINAL };

typedef struct srv_worker srv_worker;
typedef struct srv_call srv_call;

typedef struct srv_tag {
	void (*fn)(srv_call *c, int ok);
	srv_call *call;
} srv_tag;

struct srv_call {
	srv_worker *w;
	size_t mi;                 /* index in srv_methods, or GENERIC */
	const srv_method *m;       /* NULL for GENERIC */
	grpc_call *call;
	gpr_timespec deadline;
	grpc_metadata_array md;
	grpc_call_details details; /* GENERIC only */
	grpc_byte_buffer *payload; /* request of a unary/watch call, or the last received message */
	grpc_byte_buffer *send_buf;
	grpc_slice status_slice;
	int status_slice_set;
	int cancelled;             /* written by RECV_CLOSE_ON_SERVER */
	int initial_sent;
	int close_started;
	int ops;                   /* batches in flight */
	int op_kind;               /* what the t_op batch in flight is: OP_RECV, OP_SEND, OP_FINAL */
	int finishing;             /* the final status has been sent */
	srv_tag t_new, t_op, t_close;
	trib_arena arena;          /* the call's arena */
	trib_arena scratch;        /* streaming calls: incoming messages */
	srv_ctx ctx;
	int64_t start_us;
	char *peer;                /* gpr_malloc'd */
	char actor[ACTOR_MAX + 1];
	int status;                /* final status, for the log line */
	char message[512];
	const uint8_t *req_data;   /* watch: the request, kept for re-dispatch (arena) */
	size_t req_len;
	/* Watch only: guarded by lock. */
	pthread_mutex_t lock;
	srv_health_watcher watcher;
	int watching;
	int send_busy, dirty, closed;
	uint8_t *last_sent;        /* malloc'd copy of the last response sent */
	size_t last_len;
	srv_call *next_free;
};

struct srv_worker {
	srv_server *s;
	grpc_completion_queue *cq;
	pthread_t thread;
	int started;
	srv_call *free_calls;      /* reuse: a call's arenas keep their first chunk */
	int nfree;
};

struct srv_server {
	grpc_server *server;
	srv_worker *workers;
	int nworkers;
	void **rm;                 /* registered method handles, by table index */
	srv_env env;
	srv_health *health;
	srv_reflect *reflect;
	size_t arena_limit;
	atomic_int stopping;
	int started;
};

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------- call requests */

static void on_new(srv_call *c, int ok);
static void on_op(srv_call *c, int ok);
static void on_close(srv_call *c, int ok);

static srv_call *call_alloc(srv_worker *w)
{
	srv_call *c = w->free_calls;
	if (c) {
		w->free_calls = c->next_free;
		w->nfree--;
		trib_arena keep_a = c->arena, keep_s = c->scratch;
		memset(c, 0, sizeof *c);
		c->arena = keep_a;
		c->scratch = keep_s;
	} else {
		c = calloc(1, sizeof *c);
		if (!c)
			return NULL;
		trib_arena_init(&c->arena, 0);
		trib_arena_init(&c->scratch, 0);
	}
	c->arena.limit = w->s->arena_limit;
	c->scratch.limit = w->s->arena_limit;
	c->w = w;
	c->t_new = (srv_tag){on_new, c};
	c->t_op = (srv_tag){on_op, c};
	c->t_close = (srv_tag){on_close, c};
	grpc_metadata_array_init(&c->md);
	return c;
}

static void call_free(srv_call *c)
{
	srv_worker *w = c->w;
	trib_arena_clear(&c->arena);
	trib_arena_clear(&c->scratch);
	if (w->nfree < FREE_CALLS_MAX) {
		c->next_free = w->free_calls;
		w->free_calls = c;
		w->nfree++;
		return;
	}
	trib_arena_dispose(&c->arena);
	trib_arena_dispose(&c->scratch);
	free(c);
}

/* Post a request for the next call of method mi (or an unknown method) on w's queue. */
static void request_call(srv_worker *w, size_t mi)
{
	srv_server *s = w->s;
	srv_call *c = call_alloc(w);
	if (!c) {
		srv_log(SRV_LOG_ERROR, "out of memory posting a call request; %s will not be served by worker %ld",
			mi == GENERIC ? "unknown methods" : srv_methods[mi].path, (long)(w - s->workers));
		return;
	}
	c->mi = mi;
	grpc_call_error err;
	if (mi == GENERIC) {
		grpc_call_details_init(&c->details);
		err = grpc_server_request_call(s->server, &c->call, &c->details, &c->md, w->cq, w->cq,
					       &c->t_new);
	} else {
		c->m = &srv_methods[mi];
		int stream_in = (c->m->flags & SRV_STREAM) != 0;
		err = grpc_server_request_registered_call(s->server, s->rm[mi], &c->call, &c->deadline, &c->md,
							  stream_in ? NULL : &c->payload, w->cq, w->cq,
							  &c->t_new);
	}
	if (err != GRPC_CALL_OK) {
		srv_log(SRV_LOG_ERROR, "grpc_server_request_call failed (%d) for %s", (int)err,
			mi == GENERIC ? "unknown methods" : srv_methods[mi].path);
		if (mi == GENERIC)
			grpc_call_details_destroy(&c->details);
		grpc_metadata_array_destroy(&c->md);
		call_free(c);
	}
}

/* ------------------------------------------------------------ call ending */

static void call_release(srv_call *c)
{
	const char *method = c->m ? c->m->path : "";
	char unknown[256];
	if (!c->m && c->call) {
		size_t n = GRPC_SLICE_LENGTH(c->details.method);
		snprintf(unknown, sizeof unknown, "%.*s", (int)(n < 200 ? n : 200),
			 (const char *)GRPC_SLICE_START_PTR(c->details.method));
		method = unknown;
	}
	if (c->call) {
		if (srv_log_call_wanted(c->status)) {
			/* Asked for only here: a malloc'd string per call otherwise. */
			c->peer = grpc_call_get_peer(c->call);
			srv_log_call(method, c->status, now_us() - c->start_us, c->peer ? c->peer : "",
				     c->actor[0] ? c->actor : "anonymous", c->message);
		}
		grpc_call_unref(c->call);
	}
	if (c->mi == GENERIC)
		grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->md);
	if (c->payload)
		grpc_byte_buffer_destroy(c->payload);
	if (c->send_buf)
		grpc_byte_buffer_destroy(c->send_buf);
	if (c->status_slice_set)
		grpc_slice_unref(c->status_slice);
	if (c->peer)
		gpr_free(c->peer);
	if (c->m && (c->m->flags & SRV_WATCH) && !(c->m->flags & SRV_STREAM)) {
		pthread_mutex_destroy(&c->lock);
		free(c->last_sent);
	}
	call_free(c);
}

static void set_outcome(srv_call *c, int status, const char *message)
{
	c->status = status;
	snprintf(c->message, sizeof c->message, "%s", message ? message : "");
}

static grpc_byte_buffer *make_buffer(const uint8_t *data, size_t len)
{
	grpc_slice sl = grpc_slice_from_copied_buffer((const char *)data, len);
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&sl, 1);
	grpc_slice_unref(sl);
	return bb;
}

/*
 * The last batch of a call: initial metadata if not sent yet, the response
 * when there is one, the status, and RECV_CLOSE_ON_SERVER unless started.
 */
static void finish(srv_call *c, int status, const char *message, const uint8_t *data, size_t len,
		   int has_response)
{
	grpc_op ops[4];
	size_t n = 0;
	memset(ops, 0, sizeof ops);
	set_outcome(c, status, message);
	if (!c->initial_sent) {
		ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
		ops[n].data.send_initial_metadata.count = 0;
		n++;
		c->initial_sent = 1;
	}
	if (has_response && status == GRPC_STATUS_OK) {
		c->send_buf = make_buffer(data, len);
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n].data.send_message.send_message = c->send_buf;
		n++;
	}
	c->status_slice = grpc_slice_from_copied_string(c->message);
	c->status_slice_set = 1;
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.trailing_metadata_count = 0;
	ops[n].data.send_status_from_server.status = (grpc_status_code)status;
	ops[n].data.send_status_from_server.status_details = status == GRPC_STATUS_OK ? NULL : &c->status_slice;
	n++;
	if (!c->close_started) {
		ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
		ops[n].data.recv_close_on_server.cancelled = &c->cancelled;
		n++;
		c->close_started = 1;
	}
	c->finishing = 1;
	c->op_kind = OP_FINAL;
	c->ops++;
	grpc_call_error err = grpc_call_start_batch(c->call, ops, n, &c->t_op, NULL);
	if (err != GRPC_CALL_OK) {
		c->ops--;
		srv_log(SRV_LOG_ERROR, "grpc_call_start_batch (final) failed: %d", (int)err);
	}
}

static void finish_reply(srv_call *c, const srv_reply *r)
{
	finish(c, r->status, r->message, r->data, r->len, r->has_response);
}

/* ------------------------------------------------------------- unary calls */

/* Run the dispatcher over a received byte buffer (NULL: no message). */
static void dispatch_buffer(srv_reply *r, srv_call *c, grpc_byte_buffer *bb)
{
	if (!bb) {
		srv_dispatch(r, &c->ctx, c->m, NULL, 0, 0);
		return;
	}
	grpc_byte_buffer_reader reader;
	if (!grpc_byte_buffer_reader_init(&reader, bb)) {
		memset(r, 0, sizeof *r);
		r->status = GRPC_STATUS_INTERNAL;
		r->message = "cannot read the request (compressed with an unknown algorithm?)";
		return;
	}
	grpc_slice sl = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	/* protobuf-c copies what it keeps into the arena, so the slice can go after. */
	srv_dispatch(r, &c->ctx, c->m, GRPC_SLICE_START_PTR(sl), GRPC_SLICE_LENGTH(sl), 1);
	grpc_slice_unref(sl);
}

/* ------------------------------------------------------- streaming calls */

static void start_recv(srv_call *c)
{
	grpc_op op;
	memset(&op, 0, sizeof op);
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &c->payload;
	c->op_kind = OP_RECV;
	c->ops++;
	grpc_call_error err = grpc_call_start_batch(c->call, &op, 1, &c->t_op, NULL);
	if (err != GRPC_CALL_OK) {
		c->ops--;
		finish(c, GRPC_STATUS_INTERNAL, "cannot receive the next message", NULL, 0, 0);
	}
}

static void send_message(srv_call *c, const uint8_t *data, size_t len)
{
	grpc_op ops[2];
	size_t n = 0;
	memset(ops, 0, sizeof ops);
	if (!c->initial_sent) {
		ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
		c->initial_sent = 1;
	}
	c->send_buf = make_buffer(data, len);
	ops[n].op = GRPC_OP_SEND_MESSAGE;
	ops[n].data.send_message.send_message = c->send_buf;
	n++;
	c->op_kind = OP_SEND;
	c->ops++;
	grpc_call_error err = grpc_call_start_batch(c->call, ops, n, &c->t_op, NULL);
	if (err != GRPC_CALL_OK) {
		c->ops--;
		srv_log(SRV_LOG_ERROR, "grpc_call_start_batch (send) failed: %d", (int)err);
	}
}

/* A received message (or the end of the input) of a client or bidi stream. */
static void on_stream_message(srv_call *c)
{
	grpc_byte_buffer *bb = c->payload;
	c->payload = NULL;
	srv_reply r;
	dispatch_buffer(&r, c, bb);
	if (bb)
		grpc_byte_buffer_destroy(bb);
	if (r.status != GRPC_STATUS_OK || !bb) {
		finish_reply(c, &r);
		return;
	}
	if (r.has_response) { /* bidi: answer, then read on when the send is done */
		send_message(c, r.data, r.len);
		/* The answer was copied into the send buffer: a long bidi stream
		 * must not grow its arenas with every message. */
		trib_arena_clear(&c->arena);
		trib_arena_clear(&c->scratch);
		c->ctx.stream = NULL;
	} else {
		start_recv(c);
	}
}

/* ----------------------------------------------------------- watch calls */

/* Re-run the watch handler and send its answer if it changed. Call with c->lock held. */
static void watch_send_locked(srv_call *c)
{
	if (c->closed || c->finishing || c->send_busy)
		return;
	srv_reply r;
	srv_dispatch(&r, &c->ctx, c->m, c->req_data, c->req_len, 1);
	if (r.status != GRPC_STATUS_OK) {
		finish_reply(c, &r);
		return;
	}
	int same = c->last_sent && r.len == c->last_len && memcmp(r.data, c->last_sent, r.len) == 0;
	if (!same && r.has_response) {
		uint8_t *copy = malloc(r.len ? r.len : 1);
		if (copy) {
			memcpy(copy, r.data, r.len);
			free(c->last_sent);
			c->last_sent = copy;
			c->last_len = r.len;
		}
		c->send_busy = 1;
		send_message(c, r.data, r.len);
		if (!c->ops)
			c->send_busy = 0;
		return;
	}
	if (srv_health_final(c->w->s->health))
		finish(c, GRPC_STATUS_UNAVAILABLE, "server is shutting down", NULL, 0, 0);
}

static void watch_notify(srv_health_watcher *wt)
{
	srv_call *c = (srv_call *)((char *)wt - offsetof(srv_call, watcher));
	pthread_mutex_lock(&c->lock);
	if (c->send_busy)
		c->dirty = 1;
	else
		watch_send_locked(c);
	pthread_mutex_unlock(&c->lock);
}

static void start_watch(srv_call *c)
{
	grpc_byte_buffer *bb = c->payload;
	c->payload = NULL;
	grpc_byte_buffer_reader reader;
	if (!bb || !grpc_byte_buffer_reader_init(&reader, bb)) {
		if (bb)
			grpc_byte_buffer_destroy(bb);
		finish(c, GRPC_STATUS_INVALID_ARGUMENT, "missing request message", NULL, 0, 0);
		return;
	}
	grpc_slice sl = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	grpc_byte_buffer_destroy(bb);
	size_t n = GRPC_SLICE_LENGTH(sl);
	uint8_t *copy = trib_arena_alloc(&c->arena, n ? n : 1);
	if (copy)
		memcpy(copy, GRPC_SLICE_START_PTR(sl), n);
	grpc_slice_unref(sl);
	if (!copy) {
		finish(c, GRPC_STATUS_RESOURCE_EXHAUSTED, trib_error_last(), NULL, 0, 0);
		return;
	}
	c->req_data = copy;
	c->req_len = n;

	pthread_mutex_init(&c->lock, NULL);
	grpc_op op;
	memset(&op, 0, sizeof op);
	op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	op.data.recv_close_on_server.cancelled = &c->cancelled;
	c->close_started = 1;
	c->ops++;
	if (grpc_call_start_batch(c->call, &op, 1, &c->t_close, NULL) != GRPC_CALL_OK) {
		c->ops--;
		c->closed = 1;
		finish(c, GRPC_STATUS_INTERNAL, "cannot watch the call", NULL, 0, 0);
		return;
	}
	c->watcher.notify = watch_notify;
	c->watching = 1;
	srv_health_watch_add(c->w->s->health, &c->watcher);
	pthread_mutex_lock(&c->lock);
	watch_send_locked(c);
	pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------- callbacks */

static void read_metadata(srv_call *c)
{
	for (size_t i = 0; i < c->md.count; i++) {
		if (grpc_slice_str_cmp(c->md.metadata[i].key, ACTOR_KEY) != 0)
			continue;
		const unsigned char *v = GRPC_SLICE_START_PTR(c->md.metadata[i].value);
		size_t n = GRPC_SLICE_LENGTH(c->md.metadata[i].value);
		if (n == 0 || n > ACTOR_MAX)
			continue;
		size_t k = 0;
		while (k < n && v[k] > 0x20 && v[k] < 0x7f)
			k++;
		if (k == n) {
			memcpy(c->actor, v, n);
			c->actor[n] = '\0';
		}
	}
}

/*
 * The client's deadline on CLOCK_MONOTONIC. Unary calls are capped at the
 * server's default so no request runs unbounded; streams last as long as the
 * client wants (a bulk registration may take minutes).
 */
static int64_t deadline_ms(gpr_timespec d, int capped)
{
	int64_t now = srv_now_ms();
	int64_t cap = capped ? now + SRV_DEFAULT_DEADLINE_MS : INT64_MAX;
	if (gpr_time_cmp(d, gpr_inf_future(d.clock_type)) == 0)
		return capped ? cap : 0;
	gpr_timespec left = gpr_time_sub(gpr_convert_clock_type(d, GPR_CLOCK_MONOTONIC), gpr_now(GPR_CLOCK_MONOTONIC));
	int64_t ms = gpr_time_to_millis(left);
	if (ms < 0)
		ms = 0;
	return now + ms < cap ? now + ms : cap;
}

static void on_new(srv_call *c, int ok)
{
	srv_worker *w = c->w;
	srv_server *s = w->s;
	if (!ok) { /* the server is shutting down: the request was never matched */
		c->call = NULL;
		call_release(c);
		return;
	}
	if (!atomic_load(&s->stopping))
		request_call(w, c->mi);
	c->start_us = now_us();
	read_metadata(c);
	if (!c->m) {
		size_t n = GRPC_SLICE_LENGTH(c->details.method);
		char msg[300];
		snprintf(msg, sizeof msg, "unknown method %.*s", (int)(n < 256 ? n : 256),
			 (const char *)GRPC_SLICE_START_PTR(c->details.method));
		finish(c, GRPC_STATUS_UNIMPLEMENTED, msg, NULL, 0, 0);
		return;
	}
	unsigned f = c->m->flags;
	srv_ctx_init(&c->ctx, &s->env, &c->arena, c->m, c->actor,
		     deadline_ms(c->deadline, !(f & (SRV_STREAM | SRV_WATCH))));
	if (f & SRV_STREAM) {
		c->ctx.scratch = &c->scratch;
		start_recv(c);
		return;
	}
	if (f & SRV_WATCH) {
		start_watch(c);
		return;
	}
	grpc_byte_buffer *bb = c->payload;
	c->payload = NULL;
	if (!bb) {
		finish(c, GRPC_STATUS_INVALID_ARGUMENT, "missing request message", NULL, 0, 0);
		return;
	}
	srv_reply r;
	dispatch_buffer(&r, c, bb);
	grpc_byte_buffer_destroy(bb);
	finish_reply(c, &r);
}

/* Completion of the call's one ordinary batch (receive, send, or final). */
static void on_op(srv_call *c, int ok)
{
	if (c->send_buf) {
		grpc_byte_buffer_destroy(c->send_buf);
		c->send_buf = NULL;
	}
	if (c->m && (c->m->flags & SRV_WATCH) && !(c->m->flags & SRV_STREAM)) {
		pthread_mutex_lock(&c->lock);
		c->ops--;
		c->send_busy = 0;
		if (!ok && !c->finishing)
			set_outcome(c, GRPC_STATUS_CANCELLED, "the client went away");
		if (ok && c->dirty) {
			c->dirty = 0;
			watch_send_locked(c);
		} else if (ok && !c->finishing && srv_health_final(c->w->s->health)) {
			watch_send_locked(c);
		}
		int done = c->ops == 0 && !c->watching;
		pthread_mutex_unlock(&c->lock);
		if (done)
			call_release(c);
		return;
	}
	c->ops--;
	if (c->finishing || !ok) {
		if (!ok && !c->finishing) {
			set_outcome(c, GRPC_STATUS_CANCELLED, "the client went away");
			c->finishing = 1;
		}
		if (c->ops == 0)
			call_release(c);
		return;
	}
	if (c->op_kind == OP_SEND) {
		start_recv(c);
		if (c->ops == 0)
			call_release(c);
		return;
	}
	on_stream_message(c);
	if (c->ops == 0) /* nothing could be started: the call is over */
		call_release(c);
}

/* RECV_CLOSE_ON_SERVER of a watch: the client left, or our status went out. */
static void on_close(srv_call *c, int ok)
{
	srv_health_watch_remove(c->w->s->health, &c->watcher);
	pthread_mutex_lock(&c->lock);
	c->ops--;
	c->watching = 0;
	c->closed = 1;
	if (!c->finishing)
		set_outcome(c, GRPC_STATUS_CANCELLED, "the client went away");
	int done = c->ops == 0;
	pthread_mutex_unlock(&c->lock);
	if (done)
		call_release(c);
}

/* ---------------------------------------------------------------- workers */

static void *worker_main(void *arg)
{
	srv_worker *w = arg;
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		srv_tag *t = ev.tag;
		t->fn(t->call, ev.success);
	}
	while (w->free_calls) {
		srv_call *c = w->free_calls;
		w->free_calls = c->next_free;
		trib_arena_dispose(&c->arena);
		trib_arena_dispose(&c->scratch);
		free(c);
	}
	w->nfree = 0;
	return NULL;
}

/* ----------------------------------------------------------------- server */

/* grpc says only "failed to add port"; binding the address ourselves tells why. */
static void explain_bind_failure(const char *listen)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t hl = colon ? (size_t)(colon - listen) : 0;
	if (!colon || hl >= sizeof host) {
		trib_error_set(TRIB_EUNAVAILABLE, "cannot listen on %s: expected HOST:PORT", listen);
		return;
	}
	memcpy(host, listen, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	struct addrinfo hints = {0}, *ai = NULL;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	int gai = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
	if (gai) {
		trib_error_set(TRIB_EUNAVAILABLE, "cannot listen on %s: %s", listen, gai_strerror(gai));
		return;
	}
	int err = 0;
	for (struct addrinfo *p = ai; p; p = p->ai_next) {
		int fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, p->ai_addr, p->ai_addrlen) != 0)
			err = errno;
		close(fd);
		if (err)
			break;
	}
	freeaddrinfo(ai);
	if (err == EADDRINUSE)
		trib_error_set(TRIB_EUNAVAILABLE, "cannot listen on %s: address already in use "
				  "(is another tributaryd running?)", listen);
	else if (err)
		trib_error_set(TRIB_EUNAVAILABLE, "cannot listen on %s: %s", listen, strerror(err));
	else
		trib_error_set(TRIB_EUNAVAILABLE, "cannot listen on %s", listen);
}

static void destroy_queues(srv_server *s)
{
	for (int i = 0; i < s->nworkers; i++) {
		srv_worker *w = &s->workers[i];
		if (!w->cq)
			continue;
		grpc_completion_queue_shutdown(w->cq);
		if (w->started) {
			pthread_join(w->thread, NULL);
		} else {
			while (grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
			       GRPC_QUEUE_SHUTDOWN)
				;
			worker_main(w); /* frees the free list; returns at once on a shut-down queue */
		}
		grpc_completion_queue_destroy(w->cq);
		w->cq = NULL;
	}
}

static void server_free(srv_server *s)
{
	free(s->workers);
	free(s->rm);
	srv_reflect_free(s->reflect);
	srv_health_free(s->health);
	free(s);
}

/*
 * Debian builds abseil without NDEBUG, so every absl::Mutex lock inside
 * libgrpc records lock order in a global GraphCycles for deadlock detection;
 * on unary calls that is a large share of the server's CPU. The switch is a
 * C++ function: looked up by its mangled name so a library without it (or a
 * different abseil namespace) just keeps the default.
 */
void srv_absl_deadlock_detection_off(void)
{
	static const char *const names[] = {
		"_ZN4absl7debian329SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE",
		"_ZN4absl12lts_2022062329SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		void *sym = dlsym(RTLD_DEFAULT, names[i]);
		if (sym) {
			void (*set_mode)(int) = (void (*)(int))(uintptr_t)sym;
			set_mode(0); /* absl::OnDeadlockCycle::kIgnore */
			return;
		}
	}
}

int srv_server_start(srv_server **out, int *port, const srv_options *o, graph_store *store)
{
	*out = NULL;
	srv_server *s = calloc(1, sizeof *s);
	if (!s)
		return trib_error_set(TRIB_ENOMEM, "out of memory starting the server");
	s->nworkers = o->workers > 0 ? o->workers : 1;
	s->workers = calloc((size_t)s->nworkers, sizeof *s->workers);
	s->rm = calloc(srv_method_count, sizeof *s->rm);
	if (!s->workers || !s->rm) {
		server_free(s);
		return trib_error_set(TRIB_ENOMEM, "out of memory starting the server");
	}
	int rc = srv_health_new(&s->health);
	if (!rc)
		rc = srv_reflect_new(&s->reflect, trib_descriptor_set, trib_descriptor_set_len);
	if (rc) {
		server_free(s);
		return rc;
	}
	s->env.store = store;
	s->env.health = s->health;
	s->env.reflect = s->reflect;
	s->env.policy_path = o->policy;
	s->env.max_message = o->max_message ? o->max_message : SRV_MAX_MESSAGE_DEFAULT;
	s->arena_limit = srv_call_memory_limit(s->env.max_message);

	srv_absl_deadlock_detection_off();
	grpc_arg args[4];
	memset(args, 0, sizeof args);
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = GRPC_ARG_ALLOW_REUSEPORT;
	args[0].value.integer = 0;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[1].value.integer = (int)s->env.max_message;
	args[2].type = GRPC_ARG_INTEGER;
	args[2].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[2].value.integer = (int)s->env.max_message;
	args[3].type = GRPC_ARG_INTEGER;
	args[3].key = GRPC_ARG_MAX_CONCURRENT_STREAMS;
	args[3].value.integer = MAX_STREAMS_PER_CONNECTION;
	grpc_channel_args cargs = {4, args};
	s->server = grpc_server_create(&cargs, NULL);

	for (int i = 0; i < s->nworkers; i++) {
		s->workers[i].s = s;
		s->workers[i].cq = grpc_completion_queue_create_for_next(NULL);
		grpc_server_register_completion_queue(s->server, s->workers[i].cq, NULL);
	}
	for (size_t i = 0; i < srv_method_count; i++) {
		const srv_method *m = &srv_methods[i];
		s->rm[i] = grpc_server_register_method(s->server, m->path, NULL,
						       (m->flags & SRV_STREAM) ? GRPC_SRM_PAYLOAD_NONE
									       : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
						       0);
	}
	grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
	*port = grpc_server_add_http2_port(s->server, o->listen, creds);
	grpc_server_credentials_release(creds);
	if (*port == 0) {
		explain_bind_failure(o->listen);
		grpc_server_destroy(s->server); /* never started: no shutdown needed */
		destroy_queues(s);
		server_free(s);
		return TRIB_EUNAVAILABLE;
	}
	grpc_server_start(s->server);
	s->started = 1;
	for (int i = 0; i < s->nworkers; i++) {
		srv_worker *w = &s->workers[i];
		for (size_t k = 0; k < srv_method_count; k++)
			for (int j = 0; j < PENDING_PER_METHOD; j++)
				request_call(w, k);
		request_call(w, GENERIC);
	}
	for (int i = 0; i < s->nworkers; i++) {
		srv_worker *w = &s->workers[i];
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			srv_log(SRV_LOG_ERROR, "cannot start worker thread %d; serving with %d", i, i);
			break;
		}
		w->started = 1;
	}
	srv_health_set_all(s->health, SRV_HEALTH_SERVING);
	*out = s;
	return 0;
}

void srv_server_stop(srv_server *s, int grace_ms)
{
	if (!s)
		return;
	atomic_store(&s->stopping, 1);
	srv_health_shutdown(s->health);
	grpc_completion_queue *scq = grpc_completion_queue_create_for_next(NULL);
	static int shutdown_tag;
	grpc_server_shutdown_and_notify(s->server, scq, &shutdown_tag);
	gpr_timespec until = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(grace_ms, GPR_TIMESPAN));
	grpc_event ev = grpc_completion_queue_next(scq, until, NULL);
	if (ev.type == GRPC_QUEUE_TIMEOUT) {
		srv_log(SRV_LOG_WARN, "calls still running after the %d ms grace period: cancelling them", grace_ms);
		grpc_server_cancel_all_calls(s->server);
		grpc_completion_queue_next(scq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	}
	grpc_server_destroy(s->server);
	grpc_completion_queue_shutdown(scq);
	while (grpc_completion_queue_next(scq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(scq);
	destroy_queues(s);
	server_free(s);
}
