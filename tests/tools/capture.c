/* Helpers shared by the tests/tools suites. */
#include "capture.h"

#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/trib/cli.h"

void capture_open(capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	ck_assert_ptr_nonnull(c->f);
}

const char *capture_text(capture *c)
{
	if (c->f) {
		fclose(c->f);
		c->f = NULL;
	}
	return c->buf ? c->buf : "";
}

void capture_free(capture *c)
{
	if (c->f)
		fclose(c->f);
	free(c->buf);
	c->f = NULL;
	c->buf = NULL;
}

trib_run run_trib(const char *env_addr, ...)
{
	char *argv[64];
	int argc = 0;
	argv[argc++] = (char *)"trib";
	va_list ap;
	va_start(ap, env_addr);
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL) {
		ck_assert_int_lt(argc, 63);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;

	capture out, err;
	capture_open(&out);
	capture_open(&err);
	trib_cli cli;
	trib_cli_init(&cli, out.f, err.f, env_addr);
	trib_run r;
	r.code = trib_cli_run(&cli, argc, argv);
	trib_cli_dispose(&cli);
	r.out = strdup(capture_text(&out));
	r.err = strdup(capture_text(&err));
	capture_free(&out);
	capture_free(&err);
	return r;
}

void trib_run_free(trib_run *r)
{
	free(r->out);
	free(r->err);
}
