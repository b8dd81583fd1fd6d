/**
 * @file rpc.h
 * @brief A small synchronous gRPC client over the core C API and protobuf-c.
 *
 * One trib_rpc owns a channel and a pluck completion queue. Calls on one
 * handle are synchronous; a handle belongs to one thread at a time (open one
 * per thread for concurrency; each has its own channel and connection).
 * Responses are unpacked into a caller-provided arena and live as long as it.
 *
 * Every call reports its gRPC status in a trib_rpc_status and returns 0 or the
 * TRIB_E* code matching that status (trib_rpc_errcode()); the status message
 * is also left in trib_error_last().
 */
#ifndef TRIB_RPC_H
#define TRIB_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "tributary/arena.h"

#define TRIB_RPC_DEFAULT_ADDR "127.0.0.1:50051"
/** Default bound on one response message: large lineage graphs fit, a runaway peer does not. */
#define TRIB_RPC_DEFAULT_MAX_MESSAGE (64u * 1024u * 1024u)

/* gRPC status codes, as on the wire (grpc_status_code). */
enum trib_rpc_code {
	TRIB_RPC_OK = 0,
	TRIB_RPC_CANCELLED = 1,
	TRIB_RPC_UNKNOWN = 2,
	TRIB_RPC_INVALID_ARGUMENT = 3,
	TRIB_RPC_DEADLINE_EXCEEDED = 4,
	TRIB_RPC_NOT_FOUND = 5,
	TRIB_RPC_ALREADY_EXISTS = 6,
	TRIB_RPC_PERMISSION_DENIED = 7,
	TRIB_RPC_RESOURCE_EXHAUSTED = 8,
	TRIB_RPC_FAILED_PRECONDITION = 9,
	TRIB_RPC_ABORTED = 10,
	TRIB_RPC_OUT_OF_RANGE = 11,
	TRIB_RPC_UNIMPLEMENTED = 12,
	TRIB_RPC_INTERNAL = 13,
	TRIB_RPC_UNAVAILABLE = 14,
	TRIB_RPC_DATA_LOSS = 15,
	TRIB_RPC_UNAUTHENTICATED = 16,
};

typedef struct trib_rpc trib_rpc;
typedef struct trib_rpc_stream trib_rpc_stream;

typedef struct trib_rpc_opts {
	unsigned int version;
	const char *addr;       /**< HOST:PORT; NULL = TRIB_RPC_DEFAULT_ADDR */
	int64_t timeout_ms;     /**< deadline of each call; <= 0 = none */
	size_t max_message;     /**< largest response accepted; 0 = TRIB_RPC_DEFAULT_MAX_MESSAGE */
	const char *actor;      /**< sent as metadata "x-tributary-actor" when not NULL */
} trib_rpc_opts;

#define TRIB_RPC_OPTS_VERSION 1
#define TRIB_RPC_OPTS_INIT {TRIB_RPC_OPTS_VERSION, NULL, 10000, 0, NULL}

/** Outcome of one call. */
typedef struct trib_rpc_status {
	int code;               /**< enum trib_rpc_code */
	char message[1024];     /**< the server's status details, or a local explanation */
} trib_rpc_status;

/**
 * Create a handle with a channel to opts->addr. Does not connect yet: an
 * unreachable server shows up as UNAVAILABLE on the first call.
 * Initialises the gRPC library (reference counted; trib_rpc_close() releases it).
 * @param out receives the handle, owned by the caller (trib_rpc_close()).
 * @return 0, TRIB_EINVALID (bad address), TRIB_ENOMEM.
 */
int trib_rpc_open(trib_rpc **out, const trib_rpc_opts *opts);

/** Destroy the channel and queue and release the library. NULL is a no-op. */
void trib_rpc_close(trib_rpc *rpc);

/** The address the handle talks to. */
const char *trib_rpc_addr(const trib_rpc *rpc);

/** Change the per-call deadline (milliseconds; <= 0 = none). */
void trib_rpc_set_timeout(trib_rpc *rpc, int64_t timeout_ms);

/**
 * One unary call: pack req, send it, wait for the reply or the deadline.
 * @param method full path, e.g. "/tributary.v1.Catalog/GetProduct"; the
 *        string must outlive the handle (registered once, then reused).
 * @param resp on success, the reply unpacked into arena (lives as long as it).
 * @return 0, or the TRIB_E* code of the status (st says exactly which).
 */
int trib_rpc_unary(trib_rpc *rpc, const char *method, const ProtobufCMessage *req,
		   const ProtobufCMessageDescriptor *resp_desc, trib_arena *arena,
		   ProtobufCMessage **resp, trib_rpc_status *st);

/**
 * Start a client-streaming call. The stream is owned by the caller until
 * trib_rpc_stream_finish(), which frees it whatever the outcome.
 * @return 0, or a TRIB_E* code with st filled in.
 */
int trib_rpc_stream_open(trib_rpc_stream **out, trib_rpc *rpc, const char *method,
			 trib_rpc_status *st);

/**
 * Send one message. A failure means the call has ended (the server replied
 * early or the deadline passed): call trib_rpc_stream_finish() for the status.
 * @return 0 or TRIB_EUNAVAILABLE.
 */
int trib_rpc_stream_send(trib_rpc_stream *s, const ProtobufCMessage *msg);

/**
 * Half-close, wait for the reply and the status, free the stream.
 * @return as trib_rpc_unary().
 */
int trib_rpc_stream_finish(trib_rpc_stream *s, const ProtobufCMessageDescriptor *resp_desc,
			   trib_arena *arena, ProtobufCMessage **resp, trib_rpc_status *st);

/** "OK", "NOT_FOUND", ... for a status code; "UNKNOWN" for others. */
const char *trib_rpc_code_name(int code);

/** The TRIB_E* code that corresponds to a gRPC status code (0 for OK). */
int trib_rpc_errcode(int code);

/**
 * The process exit code of trib for a gRPC status: 0 ok, 3 not found,
 * 4 invalid argument, 5 unavailable or deadline exceeded, 6 failed
 * precondition (policy), 1 anything else.
 */
int trib_rpc_exit_code(int code);

#endif
