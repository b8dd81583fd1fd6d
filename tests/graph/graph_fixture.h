/* Shared by the tests/graph suites: a fresh store per test and product builders. */
#ifndef TESTS_GRAPH_FIXTURE_H
#define TESTS_GRAPH_FIXTURE_H

#include <check.h>

#include "tributary/graph.h"

/* The store and arena of the running test (set by fx_setup, freed by fx_teardown). */
extern graph_store *fx_store;
extern trib_arena fx_arena;
extern char fx_dir[256];

/* Check fixtures: a mkdtemp directory with a fresh store (no_sync, 1 MiB map). */
void fx_setup(void);
void fx_teardown(void);

/* Run a suite and return the process exit status (for main). */
int fx_run(Suite *s);

/* Remove a directory tree (the store directory). */
void fx_rmtree(const char *dir);

/* Product builders; everything lives in fx_arena. */
trib_product *fx_product(const char *domain, const char *name, const char *owner);
/* Output port with fields (NULL-terminated list). */
Tributary__V1__OutputPort *fx_output(trib_product *p, const char *port, ...);
/* Input port: source, optional port (NULL), fields read (NULL-terminated). */
Tributary__V1__InputPort *fx_input(trib_product *p, const char *source, const char *port, ...);
/* Mapping on an input port: output <- inputs (NULL-terminated). */
void fx_mapping(Tributary__V1__InputPort *in, const char *output, ...);
void fx_tag(trib_product *p, const char *tag);
void fx_term(trib_product *p, const char *term);

/* Register p in its own write transaction; returns the graph_product_put code. */
int fx_put(const trib_product *p, graph_put_result *out);
/* Register and assert success; returns the product id. */
uint64_t fx_put_ok(const trib_product *p);
/* Resolve in a fresh read transaction; 0 when the ref does not resolve. */
uint64_t fx_id(const char *ref);
/* Does edge from -> to of kind exist (checked in both directions)? -1 when the two disagree. */
int fx_has_edge(uint64_t from, uint64_t to, graph_edge_kind kind);
/* Run graph_verify and return its code; messages printed on failure. */
int fx_verify(void);

#endif
