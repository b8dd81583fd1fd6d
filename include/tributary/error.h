/**
 * @file error.h
 * @brief The one error type of Tributary.
 *
 * Every fallible function returns `int`: 0 on success, a negative `TRIB_E*`
 * code on failure. Where the failure is detected, a human message is stored
 * in a thread-local slot with trib_error_set(); callers propagate the code
 * unchanged and read the message with trib_error_last().
 */
#ifndef TRIBUTARY_ERROR_H
#define TRIBUTARY_ERROR_H

#include <stdarg.h>

enum trib_err {
	TRIB_OK = 0,
	TRIB_ENOTFOUND = -30100, /**< no such product, node, revision, ... */
	TRIB_EINVALID = -30101,  /**< malformed input (reference, name, field) */
	TRIB_EEXISTS = -30102,   /**< already exists */
	TRIB_ECONFLICT = -30103, /**< ambiguous or conflicting (e.g. bare name in two domains) */
	TRIB_EPOLICY = -30104,   /**< refused by policy */
	TRIB_EFULL = -30105,     /**< storage full (disk, or map could not grow) */
	TRIB_ECORRUPT = -30106,  /**< store content is damaged or of another format version */
	TRIB_ENOMEM = -30107,    /**< out of memory */
	TRIB_EDENIED = -30108,   /**< not permitted */
	TRIB_ELIMIT = -30109,    /**< a limit was exceeded (size, count, depth, deadline) */
	TRIB_EIO = -30110,       /**< operating system I/O error */
	TRIB_EUNAVAILABLE = -30111, /**< peer or service not reachable */
	TRIB_EINTERNAL = -30112, /**< a bug: an invariant did not hold */
};

/** Short description of an error code. Never NULL; static storage. */
const char *trib_strerror(int err);

/** Stable lowercase name of an error code ("not-found", "invalid", ...). */
const char *trib_errname(int err);

/**
 * Record a message for the error being returned, in this thread's slot.
 * @return err, so a detection site can `return trib_error_set(TRIB_EINVALID, ...)`.
 */
int trib_error_set(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int trib_error_vset(int err, const char *fmt, va_list ap);

/**
 * Message of the last error set in this thread, or trib_strerror() of its
 * code when none was set. Valid until the next trib_error_set() in this thread.
 */
const char *trib_error_last(void);

/** Code of the last error set in this thread (0 if none). */
int trib_error_last_code(void);

/** Forget the last error of this thread. */
void trib_error_clear(void);

#endif
