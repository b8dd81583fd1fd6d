/* The one error type: codes, names and the thread-local last message. */
#include "tributary/error.h"

#include <stdio.h>
#include <string.h>

/* Large enough for an itemised policy refusal (one line per violation). */
static _Thread_local char last_msg[16384];
static _Thread_local int last_code;

static const struct {
	int code;
	const char *name;
	const char *text;
} errors[] = {
	{TRIB_OK, "ok", "success"},
	{TRIB_ENOTFOUND, "not-found", "not found"},
	{TRIB_EINVALID, "invalid", "invalid argument"},
	{TRIB_EEXISTS, "exists", "already exists"},
	{TRIB_ECONFLICT, "conflict", "conflict"},
	{TRIB_EPOLICY, "policy", "refused by policy"},
	{TRIB_EFULL, "full", "storage full"},
	{TRIB_ECORRUPT, "corrupt", "store corrupt or of another format"},
	{TRIB_ENOMEM, "no-memory", "out of memory"},
	{TRIB_EDENIED, "denied", "permission denied"},
	{TRIB_ELIMIT, "limit", "limit exceeded"},
	{TRIB_EIO, "io", "input/output error"},
	{TRIB_EUNAVAILABLE, "unavailable", "service unavailable"},
	{TRIB_EINTERNAL, "internal", "internal error"},
};

static int find(int err)
{
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
		if (errors[i].code == err)
			return (int)i;
	return -1;
}

const char *trib_strerror(int err)
{
	int i = find(err);
	return i < 0 ? "unknown error" : errors[i].text;
}

const char *trib_errname(int err)
{
	int i = find(err);
	return i < 0 ? "unknown" : errors[i].name;
}

int trib_error_vset(int err, const char *fmt, va_list ap)
{
	/* Format aside first: callers often pass trib_error_last() (this very
	 * buffer) as an argument to prefix it, and vsnprintf must not overlap. */
	char buf[sizeof last_msg];
	vsnprintf(buf, sizeof buf, fmt, ap);
	memcpy(last_msg, buf, sizeof last_msg);
	last_code = err;
	return err;
}

int trib_error_set(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	trib_error_vset(err, fmt, ap);
	va_end(ap);
	return err;
}

const char *trib_error_last(void)
{
	if (last_msg[0])
		return last_msg;
	return trib_strerror(last_code);
}

int trib_error_last_code(void)
{
	return last_code;
}

void trib_error_clear(void)
{
	last_msg[0] = '\0';
	last_code = 0;
}
