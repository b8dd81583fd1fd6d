/* Test helpers for tests/tools: run trib in-process with captured output. */
#ifndef TESTS_TOOLS_CAPTURE_H
#define TESTS_TOOLS_CAPTURE_H

#include <stdio.h>

#include "tributary/arena.h"

/** Output written to a FILE*, as a NUL-terminated string. */
typedef struct capture {
	FILE *f;
	char *buf;
	size_t len;
} capture;

void capture_open(capture *c);
/** Close the stream; c->buf holds everything written (free with capture_free). */
const char *capture_text(capture *c);
void capture_free(capture *c);

/** Outcome of one in-process run of trib. */
typedef struct trib_run {
	int code;
	char *out, *err; /* malloc'd */
} trib_run;

/**
 * Run trib with the NULL-terminated argument list (without the program name),
 * $TRIB_ADDR taken from env_addr (may be NULL).
 */
trib_run run_trib(const char *env_addr, ...);
void trib_run_free(trib_run *r);

#endif
