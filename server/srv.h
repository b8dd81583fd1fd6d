/*
 * server/srv.h — private to server/: the method table, the dispatcher, and
 * the pieces of tributaryd around them (options, logging, health, reflection,
 * page tokens, the gRPC server). Only rpc.c and main.c use grpc_*.
 */
#ifndef SRV_SRV_H
#define SRV_SRV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "handlers.h"

#ifndef TRIB_VERSION
#define TRIB_VERSION "0.1.0"
#endif

/* ------------------------------------------------------------ method table */

typedef struct srv_method {
	const ProtobufCServiceDescriptor *service_desc;
	const char *service;   /**< "tributary.v1.Catalog" */
	const char *name;      /**< "GetProduct" */
	const char *path;      /**< "/tributary.v1.Catalog/GetProduct" */
	srv_handler handler;
	const ProtobufCMessageDescriptor *request;
	const ProtobufCMessageDescriptor *response;
	unsigned flags;
} srv_method;

extern const srv_method srv_methods[];
extern const size_t srv_method_count;

/** Entry for a path, or NULL. */
const srv_method *srv_method_find(const char *path);

/* ------------------------------------------------------------- dispatcher */

/* Limits applied to every request before a handler sees it. */
#define SRV_MAX_STRING (64u * 1024u)   /**< bytes in any string field */
#define SRV_MAX_REPEATED 100000u       /**< elements in any repeated field */
#define SRV_DEFAULT_DEADLINE_MS 30000  /**< when the client sets none, or a later one */
#define SRV_MAX_MESSAGE_DEFAULT (4u * 1024u * 1024u)

/**
 * Bytes each of a call's arenas may hold (trib_arena.limit) for a server
 * whose largest message is max_message: decoded requests take a few times
 * their wire size; results are paged. Tests give their arenas the same.
 */
size_t srv_call_memory_limit(size_t max_message);

/**
 * Switch off abseil's mutex deadlock detection inside libgrpc (Debian builds
 * abseil without NDEBUG, which makes every lock record its order in a global
 * graph). A no-op where the switch is not found. Call before grpc_init() in any
 * process that makes many calls: tributaryd, and the benchmark's client.
 */
void srv_absl_deadlock_detection_off(void);

/** The outcome of one dispatch, ready for the wire. */
typedef struct srv_reply {
	int status;           /**< gRPC status code; 0 = OK */
	const char *message;  /**< status message (arena or static); "" when OK */
	uint8_t *data;        /**< packed response (arena), or NULL when none */
	size_t len;
	int has_response;     /**< a message is to be sent (data may be empty) */
} srv_reply;

/** Prepare a per-call context. The arena must outlive the call. */
void srv_ctx_init(srv_ctx *c, const srv_env *env, trib_arena *a, const srv_method *m,
		  const char *actor, int64_t deadline_ms);

/**
 * Run one step of a call: unpack `len` bytes of request with the call arena
 * (req_present = 0: the end of a client stream, handler gets req == NULL),
 * check the limits, open the transaction the flags call for, run the
 * handler, commit or abort, pack the response into the arena, and map
 * errors to a gRPC status. Never fails: the outcome is in *out.
 */
void srv_dispatch(srv_reply *out, srv_ctx *c, const srv_method *m, const uint8_t *data,
		  size_t len, int req_present);

/** A message of descriptor d in arena a, initialised to its defaults; NULL (error set) if out of memory. */
void *srv_msg_new(trib_arena *a, const ProtobufCMessageDescriptor *d);

/** Requested page size: 0 -> the default (100), above the maximum (1000) -> the maximum. */
size_t srv_page_size(uint32_t requested);

/** The one table from TRIB_E* codes to gRPC status codes. */
int srv_status_of(int err);

/** "OK", "NOT_FOUND", ... for a gRPC status code. */
const char *srv_status_name(int status);

/**
 * Check a message against the generic limits (string lengths, repeated
 * counts), recursively. TRIB_EINVALID naming the field path when exceeded.
 */
int srv_check_limits(const ProtobufCMessage *m);

/* ---------------------------------------------------------------- logging */

enum srv_log_level { SRV_LOG_DEBUG = 0, SRV_LOG_INFO = 1, SRV_LOG_WARN = 2, SRV_LOG_ERROR = 3 };

/** Set the threshold (default info). */
void srv_log_set_level(int level);
int srv_log_get_level(void);
/** "debug" etc. -> level, or -1. */
int srv_log_level_parse(const char *s);

/** One line on stderr: `ts=... level=... msg="..."`, written with a single write(2). */
void srv_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Whether srv_log_call would write a line for a call ending with `status`:
 * callers skip gathering what only the line needs (the peer address). */
int srv_log_call_wanted(int status);
/** The per-call line: method, status, duration, peer, actor, message. */
void srv_log_call(const char *method, int status, int64_t duration_us, const char *peer,
		  const char *actor, const char *message);

/* ----------------------------------------------------------------- tokens */

/**
 * Opaque page tokens: url-safe base64 of a kind byte and a payload, so a
 * token from one listing is refused by another.
 */
char *srv_token_encode(trib_arena *a, char kind, const void *data, size_t len);

/**
 * Decode a token of `kind` into buf (at most cap bytes). "" decodes to
 * length 0. TRIB_EINVALID "page_token: ..." when malformed or of another kind.
 */
int srv_token_decode(size_t *len, void *buf, size_t cap, const char *token, char kind);

/** A token carrying a node id (8 bytes big-endian); "" decodes to 0. */
int srv_token_id(uint64_t *id, const char *token, char kind);
char *srv_token_of_id(trib_arena *a, char kind, uint64_t id);

/**
 * Resolve request field `field` holding `ref` ("domain/name" or a unique bare
 * name) to a product node, in c->txn. TRIB_EINVALID naming the field when
 * empty, malformed or not a product; TRIB_ENOTFOUND; TRIB_ECONFLICT when a
 * bare name is ambiguous.
 */
int srv_resolve_product(uint64_t *id, graph_node *node, srv_ctx *c, const char *field, const char *ref);

/* ----------------------------------------------------------------- health */

/** grpc.health.v1 serving status values. */
enum { SRV_HEALTH_UNKNOWN = 0, SRV_HEALTH_SERVING = 1, SRV_HEALTH_NOT_SERVING = 2,
       SRV_HEALTH_SERVICE_UNKNOWN = 3 };

/** Health of "" (the whole server) and of every service in the method table; starts NOT_SERVING. */
int srv_health_new(srv_health **out);
void srv_health_free(srv_health *h);
/** Set every service (and "") to status; notifies the watchers. */
void srv_health_set_all(srv_health *h, int status);
/** Status of a service name, SRV_HEALTH_SERVICE_UNKNOWN when not served. */
int srv_health_get(srv_health *h, const char *service);
/** 1 once the server is shutting down: watchers should end their streams. */
int srv_health_final(srv_health *h);
/** Mark final and set everything NOT_SERVING. */
void srv_health_shutdown(srv_health *h);

typedef struct srv_health_watcher {
	void (*notify)(struct srv_health_watcher *w); /**< called with the health lock held */
	struct srv_health_watcher *next, *prev;
} srv_health_watcher;

void srv_health_watch_add(srv_health *h, srv_health_watcher *w);
/** After this returns, notify is not running and will not be called again for w. */
void srv_health_watch_remove(srv_health *h, srv_health_watcher *w);

/* ------------------------------------------------------------- reflection */

/**
 * Index the FileDescriptorSet `data` (not copied: it must outlive the index):
 * files by name, and every symbol (messages, enums, enum values, fields,
 * services, methods) by full name.
 * @return 0; TRIB_ECORRUPT when the set cannot be parsed.
 */
int srv_reflect_new(srv_reflect **out, const uint8_t *data, size_t len);
void srv_reflect_free(srv_reflect *r);

/** Index of the file defining a symbol, or -1. */
int srv_reflect_find_symbol(const srv_reflect *r, const char *symbol);
/** Index of a file by name, or -1. */
int srv_reflect_find_file(const srv_reflect *r, const char *name);
/**
 * The file at index i followed by its transitive dependencies, each once:
 * serialized FileDescriptorProtos pointing into the set (arena array).
 */
int srv_reflect_closure(ProtobufCBinaryData **out, size_t *count, const srv_reflect *r,
			trib_arena *a, int file);
/**
 * Streaming flags of a method in the descriptors ("pkg.Service", "Method"):
 * SRV_STREAM if client streaming, SRV_WATCH if server streaming; -1 if unknown.
 */
int srv_reflect_method_streaming(const srv_reflect *r, const char *service, const char *method);

/** The embedded descriptor set (build/gen/descriptors.c). */
extern const unsigned char trib_descriptor_set[];
extern const unsigned long trib_descriptor_set_len;

/* ---------------------------------------------------------------- options */

typedef struct srv_options {
	const char *listen;      /**< HOST:PORT */
	const char *data_dir;
	int workers;
	size_t max_message;
	int log_level;
	const char *policy;      /**< NULL = none given */
	int grace_ms;            /**< shutdown grace period */
	int no_sync;             /**< tests only: do not fsync commits */
} srv_options;

void srv_options_default(srv_options *o);

/**
 * Parse the command line. Prints --help/--version to out, errors to err.
 * @return 0 to run, 1 to exit successfully (help, version), -1 on a usage
 *         error (message printed).
 */
int srv_options_parse(srv_options *o, int argc, char **argv, FILE *out, FILE *err);

/* ----------------------------------------------------------------- server */

typedef struct srv_server srv_server;

/**
 * Create, bind and start the gRPC server over an open store (not owned).
 * @param port receives the bound port.
 * @return 0; TRIB_EUNAVAILABLE when the address cannot be bound (message says
 *         which address and why); TRIB_EINVALID for a bad option.
 * grpc_init() must have been called.
 */
int srv_server_start(srv_server **out, int *port, const srv_options *o, graph_store *store);

/**
 * Health NOT_SERVING, stop accepting calls, let calls in flight finish for
 * up to grace_ms, then cancel the rest; drain the queues, join the workers
 * and free everything. The store stays open.
 */
void srv_server_stop(srv_server *s, int grace_ms);

#endif
