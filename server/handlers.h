/*
 * server/handlers.h — private to server/: the contract between the
 * dispatcher and the RPC handlers.
 *
 * A handler translates one protobuf request into graph calls and builds the
 * protobuf response. It never touches grpc_*: unit tests call it directly
 * with a srv_ctx they fill in themselves, no socket involved.
 *
 *     int h(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp);
 *
 * - req was unpacked into c->arena and has already passed the generic size
 *   limits (srv_check_limits); the handler validates meaning (required
 *   fields, names) and reports TRIB_EINVALID with a message that starts with
 *   the field path ("product.input_ports[1].source: ...").
 * - *resp is set to a message allocated in c->arena (or left NULL when there
 *   is nothing to send, e.g. a client-streaming message before the end).
 * - The return value is 0 or a negative TRIB_E* code with trib_error_set()
 *   done where the problem was detected; the dispatcher maps it to a gRPC
 *   status (one table, srv_status_of) and uses trib_error_last() as the
 *   status message. SRV_DRY_RUN (a positive value) from a SRV_WRITE handler
 *   means "success, but abort the transaction".
 *
 * Transactions (see the flags in methods.def): for a unary SRV_READ method
 * c->txn is a read transaction, for SRV_WRITE a write transaction that the
 * dispatcher commits when the handler returns 0 (graph_update: the handler
 * may be run again after the map grew, so it must not keep state across
 * runs outside c->arena). Streaming methods get no transaction: their
 * handlers open short ones per batch with srv_ctx_write()/srv_ctx_read(), so
 * no transaction is ever held across RPC events.
 *
 * Streaming, with the same signature:
 * - client streaming (SRV_STREAM): called once per received message with
 *   resp set to NULL by the handler, then once with req == NULL at the end of
 *   the input to produce the single response. State across messages lives
 *   in c->stream (allocated by the handler in c->arena).
 * - bidirectional (SRV_STREAM | SRV_WATCH): called once per received message;
 *   each *resp produced is sent; the call ends with OK when the input ends.
 *   Both arenas are cleared after each answer: no state across messages.
 * - server streaming (SRV_WATCH): called with the one request whenever the
 *   watched state may have changed (first on arrival); a response is sent
 *   when it differs from the previous one.
 */
#ifndef SRV_HANDLERS_H
#define SRV_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "tributary/arena.h"
#include "tributary/error.h"
#include "tributary/graph.h"

#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "tributary/v1/catalog.pb-c.h"
#include "tributary/v1/governance.pb-c.h"
#include "tributary/v1/lineage.pb-c.h"

/* Method flags (methods.def). */
#define SRV_READ 0x01u   /**< unary: runs in a read transaction */
#define SRV_WRITE 0x02u  /**< unary: runs in a write transaction, committed on success */
#define SRV_STREAM 0x04u /**< the client streams requests */
#define SRV_WATCH 0x08u  /**< the server streams responses */
#define SRV_ADMIN 0x10u  /**< administrative (reserved for authorisation) */

/** Handler return value: success, but the write transaction is aborted (dry runs). */
#define SRV_DRY_RUN 1

typedef struct srv_health srv_health;
typedef struct srv_reflect srv_reflect;

/** Server-wide things a handler may read; shared by all threads, read-only after start. */
typedef struct srv_env {
	graph_store *store;       /**< NULL only in tests of handlers that need no store */
	srv_health *health;       /**< health status of the services (health.c) */
	const srv_reflect *reflect; /**< symbol index of the embedded descriptors (reflect.c) */
	const char *policy_path;  /**< --policy, or NULL */
	size_t max_message;       /**< largest request/response message, bytes */
} srv_env;

/** Per-call context. Everything in it lives until the call ends. */
typedef struct srv_ctx {
	trib_arena *arena;      /**< the call's arena: request, response, scratch */
	/**
	 * Where requests are unpacked. Unary calls: == arena. Streaming calls: a
	 * second arena the handler may trib_arena_clear() once it no longer needs
	 * the messages received so far (RegisterProducts does after each batch),
	 * so a long stream does not grow the call arena without bound.
	 */
	trib_arena *scratch;
	graph_txn *txn;         /**< per the method flags; NULL for streaming methods */
	graph_store *store;     /**< env->store */
	const srv_env *env;
	const char *actor;      /**< who calls (metadata x-tributary-actor), "anonymous" if unsaid */
	int64_t deadline_ms;    /**< CLOCK_MONOTONIC ms by which to answer; 0 = none */
	const char *method;     /**< "/pkg.Service/Method", for messages */
	void *stream;           /**< streaming handlers' state across messages (arena) */
} srv_ctx;

typedef int (*srv_handler)(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp);

/** Every handler of the method table, declared from the table itself. */
#define SRV_METHOD(svc_desc, service, name, handler, req_desc, resp_desc, flags) \
	int handler(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp);
#include "methods.def"
#undef SRV_METHOD

/** Milliseconds of CLOCK_MONOTONIC (the clock of srv_ctx.deadline_ms). */
int64_t srv_now_ms(void);

/**
 * Run fn in its own write transaction on c->store (graph_update: retried
 * after growing the map) and commit it; for streaming handlers.
 */
int srv_ctx_write(srv_ctx *c, int (*fn)(graph_txn *t, void *payload), void *payload);

/** TRIB_ELIMIT "deadline exceeded" once c->deadline_ms has passed, else 0. */
int srv_ctx_check_deadline(const srv_ctx *c);

/**
 * Prefix the message of the error just set with a field path, keeping the
 * code: "ref: reference 'a//b': empty product name at offset 2". Returns err.
 */
int srv_error_at(int err, const char *field_path);

#endif
