/* Shared by the tests/server suites: a fresh store and server environment per
 * test, calls through the dispatcher, product builders, and a tiny gRPC client. */
#ifndef TESTS_SERVER_FIXTURE_H
#define TESTS_SERVER_FIXTURE_H

#include <check.h>

#include "../../server/srv.h"

extern graph_store *tsrv_store;
extern srv_env tsrv_env;
extern trib_arena tsrv_arena;
extern char tsrv_dir[256];
/* Memory limit of each arena of a call made by tsrv_call/tsrv_stream; 0 (reset
 * by tsrv_setup) = what tributaryd gives (srv_call_memory_limit). */
extern size_t tsrv_memory_limit;

/* Check fixtures: mkdtemp directory, store (no_sync), health SERVING, reflection index. */
void tsrv_setup(void);
void tsrv_teardown(void);

/* Run a suite; the exit status for main. */
int tsrv_run(Suite *s);

/* Close and reopen the store (to check what is durable). */
void tsrv_reopen(void);

/* The outcome of tsrv_call: status, message, decoded response (tsrv_arena). */
typedef struct tsrv_result {
	int status;
	const char *message;
	ProtobufCMessage *resp;
} tsrv_result;

/* One unary call through the dispatcher (pack, dispatch, unpack), as the wire would. */
tsrv_result tsrv_call(const char *path, const ProtobufCMessage *req);
/* Same, with an actor. */
tsrv_result tsrv_call_as(const char *path, const ProtobufCMessage *req, const char *actor);
/* Same, with a deadline other than the usual 10 s. */
tsrv_result tsrv_call_within(const char *path, const ProtobufCMessage *req, int64_t timeout_ms);

/* A client stream through the dispatcher: every message, then the end. */
tsrv_result tsrv_stream(const char *path, ProtobufCMessage *const *reqs, size_t n);

/* A product the default policy accepts: owner, description, SLA, output port
 * "main" with fields id and name. Lives in tsrv_arena. */
trib_product *tsrv_product(const char *domain, const char *name, const char *owner);
void tsrv_tag(trib_product *p, const char *tag);
/* Input port reading `source` (whole product). */
void tsrv_input(trib_product *p, const char *source);
/* Register through the dispatcher and assert OK. */
void tsrv_register_ok(const trib_product *p);

/* Assert a status and that the message contains `needle`. */
void tsrv_check_status(tsrv_result r, int status, const char *needle, const char *file, int line);
#define tsrv_assert_status(r, st, needle) tsrv_check_status((r), (st), (needle), __FILE__, __LINE__)

/* ---------------------------------------------------------- gRPC client */

typedef struct tc_channel tc_channel;

tc_channel *tc_open(const char *target);
void tc_close(tc_channel *ch);

/* Unary call; status and details (static buffer of the channel) and the response in arena a. */
int tc_unary(tc_channel *ch, const char *method, const ProtobufCMessage *req,
	     const ProtobufCMessageDescriptor *resp_desc, trib_arena *a, ProtobufCMessage **resp,
	     const char **details);

/* Client-streaming call: send every message, close, read the one response. */
int tc_client_stream(tc_channel *ch, const char *method, ProtobufCMessage *const *reqs, size_t n,
		     const ProtobufCMessageDescriptor *resp_desc, trib_arena *a, ProtobufCMessage **resp,
		     const char **details);

/* Bidi or server-streaming call kept open: messages are read one at a time. */
typedef struct tc_stream tc_stream;
/* Start a call and send `req` (close the sending side when half_close). */
tc_stream *tc_stream_start(tc_channel *ch, const char *method, const ProtobufCMessage *req, int half_close);
/* Send one more message (bidi). 0 on success. */
int tc_stream_send(tc_stream *s, const ProtobufCMessage *req);
/* Next message within timeout_ms: 1 got one, 0 the stream ended, -1 timed out. */
int tc_stream_next(tc_stream *s, const ProtobufCMessageDescriptor *d, trib_arena *a, ProtobufCMessage **out,
		   int timeout_ms);
/* Half-close (bidi), wait for the status, free. Returns the status. */
int tc_stream_finish(tc_stream *s, const char **details);

#endif
