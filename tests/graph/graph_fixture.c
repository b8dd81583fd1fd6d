/* Fixture and builders shared by the tests/graph suites. */
#include "graph_fixture.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

graph_store *fx_store;
trib_arena fx_arena;
char fx_dir[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int fx_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void fx_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Check runs each test in a forked child, and a failed assertion ends it with
 * _exit(), skipping the teardown. So every store lives under one directory
 * made when the test program starts, and the program removes that directory
 * when it exits.
 */
static char base_dir[200];
static pid_t base_pid;

static void remove_base(void)
{
	/* Test children that exit normally run this too: only the maker removes. */
	if (base_dir[0] && getpid() == base_pid)
		fx_rmtree(base_dir);
}

__attribute__((constructor)) static void make_base(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(base_dir, sizeof base_dir, "%s/trib-graph-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(base_dir)) {
		base_dir[0] = '\0';
		return;
	}
	base_pid = getpid();
	atexit(remove_base);
}

void fx_setup(void)
{
	ck_assert_msg(base_dir[0] != '\0', "could not make a temporary directory");
	snprintf(fx_dir, sizeof fx_dir, "%s/store-XXXXXX", base_dir);
	ck_assert_ptr_nonnull(mkdtemp(fx_dir));
	graph_open_opts o = GRAPH_OPEN_OPTS_INIT;
	o.no_sync = 1;
	o.map_size = 1u << 20;
	int rc = graph_open(&fx_store, fx_dir, &o);
	ck_assert_msg(rc == 0, "graph_open: %s", trib_error_last());
	trib_arena_init(&fx_arena, 0);
}

void fx_teardown(void)
{
	graph_close(fx_store);
	fx_store = NULL;
	trib_arena_dispose(&fx_arena);
	fx_rmtree(fx_dir);
}

static char *fx_strdup(const char *s)
{
	return s ? trib_arena_strdup(&fx_arena, s) : NULL;
}

/* Append x to a protobuf-c repeated field held as (n, items). */
#define PUSH(n, items, x)                                                                                   \
	do {                                                                                                  \
		void *grown_ = trib_arena_realloc(&fx_arena, (items), (n) * sizeof *(items),                       \
						  ((n) + 1) * sizeof *(items));                                    \
		ck_assert_ptr_nonnull(grown_);                                                                    \
		(items) = grown_;                                                                                 \
		(items)[(n)++] = (x);                                                                             \
	} while (0)

trib_product *fx_product(const char *domain, const char *name, const char *owner)
{
	trib_product *p = trib_arena_alloc(&fx_arena, sizeof *p);
	ck_assert_ptr_nonnull(p);
	tributary__v1__data_product__init(p);
	p->domain = fx_strdup(domain);
	p->name = fx_strdup(name);
	if (owner)
		p->owner = fx_strdup(owner);
	p->version = fx_strdup("1.0.0");
	return p;
}

Tributary__V1__OutputPort *fx_output(trib_product *p, const char *port, ...)
{
	Tributary__V1__OutputPort *o = trib_arena_alloc(&fx_arena, sizeof *o);
	ck_assert_ptr_nonnull(o);
	tributary__v1__output_port__init(o);
	o->name = fx_strdup(port);
	va_list ap;
	va_start(ap, port);
	for (const char *f; (f = va_arg(ap, const char *));) {
		Tributary__V1__Field *fl = trib_arena_alloc(&fx_arena, sizeof *fl);
		ck_assert_ptr_nonnull(fl);
		tributary__v1__field__init(fl);
		fl->name = fx_strdup(f);
		fl->type = fx_strdup("string");
		PUSH(o->n_fields, o->fields, fl);
	}
	va_end(ap);
	PUSH(p->n_output_ports, p->output_ports, o);
	return o;
}

Tributary__V1__InputPort *fx_input(trib_product *p, const char *source, const char *port, ...)
{
	Tributary__V1__InputPort *in = trib_arena_alloc(&fx_arena, sizeof *in);
	ck_assert_ptr_nonnull(in);
	tributary__v1__input_port__init(in);
	in->source = fx_strdup(source);
	if (port)
		in->port = fx_strdup(port);
	va_list ap;
	va_start(ap, port);
	for (const char *f; (f = va_arg(ap, const char *));)
		PUSH(in->n_fields, in->fields, fx_strdup(f));
	va_end(ap);
	PUSH(p->n_input_ports, p->input_ports, in);
	return in;
}

void fx_mapping(Tributary__V1__InputPort *in, const char *output, ...)
{
	Tributary__V1__FieldMapping *m = trib_arena_alloc(&fx_arena, sizeof *m);
	ck_assert_ptr_nonnull(m);
	tributary__v1__field_mapping__init(m);
	m->output = fx_strdup(output);
	va_list ap;
	va_start(ap, output);
	for (const char *f; (f = va_arg(ap, const char *));)
		PUSH(m->n_inputs, m->inputs, fx_strdup(f));
	va_end(ap);
	PUSH(in->n_mappings, in->mappings, m);
}

void fx_tag(trib_product *p, const char *tag)
{
	PUSH(p->n_tags, p->tags, fx_strdup(tag));
}

void fx_term(trib_product *p, const char *term)
{
	PUSH(p->n_glossary_terms, p->glossary_terms, fx_strdup(term));
}

int fx_put(const trib_product *p, graph_put_result *out)
{
	graph_txn *t;
	graph_put_result tmp;
	int rc = graph_write_begin(&t, fx_store);
	ck_assert_msg(rc == 0, "write_begin: %s", trib_error_last());
	graph_put_opts o = GRAPH_PUT_OPTS_INIT;
	o.actor = "tester";
	rc = graph_product_put(out ? out : &tmp, t, &fx_arena, p, &o);
	if (rc) {
		graph_txn_abort(t);
		return rc;
	}
	int c = graph_txn_commit(t);
	ck_assert_msg(c == 0, "commit: %s", trib_error_last());
	return 0;
}

uint64_t fx_put_ok(const trib_product *p)
{
	graph_put_result r;
	int rc = fx_put(p, &r);
	ck_assert_msg(rc == 0, "put %s/%s: %s", p->domain, p->name, trib_error_last());
	ck_assert_uint_ne(r.id, 0);
	return r.id;
}

uint64_t fx_id(const char *ref)
{
	graph_txn *t;
	uint64_t id = 0;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	if (graph_resolve(&id, t, ref) != 0)
		id = 0;
	graph_txn_abort(t);
	return id;
}

int fx_has_edge(uint64_t from, uint64_t to, graph_edge_kind kind)
{
	graph_txn *t;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	graph_edge *e;
	size_t n;
	int down = 0, up = 0;
	ck_assert_int_eq(graph_edges(&e, &n, t, &fx_arena, from, GRAPH_DOWN, GRAPH_EDGE_BIT(kind)), 0);
	for (size_t i = 0; i < n; i++)
		down += e[i].to == to && e[i].kind == kind;
	ck_assert_int_eq(graph_edges(&e, &n, t, &fx_arena, to, GRAPH_UP, GRAPH_EDGE_BIT(kind)), 0);
	for (size_t i = 0; i < n; i++)
		up += e[i].from == from && e[i].kind == kind;
	graph_txn_abort(t);
	ck_assert_int_le(down, 1);
	return down == up ? down : -1;
}

int fx_verify(void)
{
	graph_txn *t;
	ck_assert_int_eq(graph_read_begin(&t, fx_store), 0);
	graph_verify_report r;
	int rc = graph_verify(&r, t, &fx_arena);
	graph_txn_abort(t);
	for (size_t i = 0; i < r.nmessages; i++)
		fprintf(stderr, "verify: %s\n", r.messages[i]);
	return rc;
}
