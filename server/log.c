/* Structured log lines on stderr, one write(2) each so threads never interleave. */
#include "srv.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = SRV_LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void srv_log_set_level(int level)
{
	atomic_store(&log_level, level);
}

int srv_log_get_level(void)
{
	return atomic_load(&log_level);
}

int srv_log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	if (strcmp(s, "warning") == 0)
		return SRV_LOG_WARN;
	return -1;
}

typedef struct line {
	char buf[2048];
	size_t n;
} line;

static void put(line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(line *l, const char *fmt, ...)
{
	if (l->n >= sizeof l->buf)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(l->buf + l->n, sizeof l->buf - l->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		l->n = l->n + (size_t)k < sizeof l->buf ? l->n + (size_t)k : sizeof l->buf - 1;
}

/* A logfmt value: quoted, with quotes, backslashes and control characters escaped. */
static void put_quoted(line *l, const char *key, const char *v)
{
	put(l, " %s=\"", key);
	for (const unsigned char *p = (const unsigned char *)(v ? v : ""); *p && l->n < sizeof l->buf - 8; p++) {
		if (*p == '"' || *p == '\\')
			put(l, "\\%c", *p);
		else if (*p == '\n')
			put(l, "\\n");
		else if (*p < 0x20)
			put(l, "\\x%02x", *p);
		else
			l->buf[l->n++] = (char)*p;
	}
	put(l, "\"");
}

static void put_head(line *l, int level)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	l->n = 0;
	put(l, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L,
	    level_names[level < 0 ? 0 : level > 3 ? 3 : level]);
}

static void emit(line *l)
{
	if (l->n >= sizeof l->buf - 1)
		l->n = sizeof l->buf - 2;
	l->buf[l->n++] = '\n';
	const char *p = l->buf;
	size_t left = l->n;
	while (left > 0) {
		ssize_t w = write(STDERR_FILENO, p, left);
		if (w <= 0)
			return; /* nowhere to report a failing stderr */
		p += w;
		left -= (size_t)w;
	}
}

void srv_log(int level, const char *fmt, ...)
{
	if (level < srv_log_get_level())
		return;
	char msg[1536];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	line l;
	put_head(&l, level);
	put_quoted(&l, "msg", msg);
	emit(&l);
}

static int call_level(int status)
{
	/* Failures other than "the client asked for something absent or wrong"
	 * are worth a warning. */
	if (status == 13 /* INTERNAL */ || status == 14 /* UNAVAILABLE */ || status == 2 /* UNKNOWN */ ||
	    status == 15 /* DATA_LOSS */)
		return SRV_LOG_WARN;
	return SRV_LOG_INFO;
}

int srv_log_call_wanted(int status)
{
	return call_level(status) >= srv_log_get_level();
}

void srv_log_call(const char *method, int status, int64_t duration_us, const char *peer,
		  const char *actor, const char *message)
{
	int level = call_level(status);
	if (level < srv_log_get_level())
		return;
	line l;
	put_head(&l, level);
	put(&l, " method=%s status=%s code=%d us=%lld", method, srv_status_name(status), status,
	    (long long)duration_us);
	put_quoted(&l, "peer", peer);
	put_quoted(&l, "actor", actor);
	if (message && *message)
		put_quoted(&l, "msg", message);
	emit(&l);
}
