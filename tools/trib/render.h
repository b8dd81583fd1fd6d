/**
 * @file render.h
 * @brief Human-readable output of trib: products, tables, trees, graphs.
 *
 * Every function writes to `out` and takes temporary text from `a`.
 * Strings from the server are cleaned of control characters before printing.
 */
#ifndef TRIB_RENDER_H
#define TRIB_RENDER_H

#include <stdio.h>

#include "tributary/arena.h"
#include "tributary/v1/catalog.pb-c.h"
#include "tributary/v1/governance.pb-c.h"
#include "tributary/v1/lineage.pb-c.h"
#include "tributary/v1/types.pb-c.h"

/**
 * The short lowercase word of an enum value: NODE_KIND_PRODUCT -> "product",
 * CHANGE_KIND_FIELD_REMOVED -> "field-removed"; the number for an unknown value.
 */
const char *trib_enum_word(trib_arena *a, const ProtobufCEnumDescriptor *d, int value);

/** Inverse of trib_enum_word ("confidential" -> 3); -1 when no value has that word. */
int trib_enum_from_word(const ProtobufCEnumDescriptor *d, const char *word);

/** "domain/name" of a product (arena). */
char *trib_product_ref(trib_arena *a, const Tributary__V1__DataProduct *p);

/* Catalog. */
void trib_render_product(FILE *out, trib_arena *a, const Tributary__V1__DataProduct *p);
void trib_render_products(FILE *out, trib_arena *a, Tributary__V1__DataProduct *const *items, size_t n);
void trib_render_domains(FILE *out, trib_arena *a, Tributary__V1__Domain *const *items, size_t n);
void trib_render_terms(FILE *out, trib_arena *a, Tributary__V1__GlossaryTerm *const *items, size_t n);
void trib_render_history(FILE *out, trib_arena *a, const Tributary__V1__GetHistoryResponse *h);
void trib_render_search(FILE *out, trib_arena *a, const Tributary__V1__SearchResponse *r);

/**
 * One line per violation: `violation RULE: MESSAGE (WHERE)` where WHERE is
 * the field path, the upstream ref, or both; `word` replaces "violation"
 * (e.g. "warning").
 */
void trib_render_violation(FILE *out, trib_arena *a, const char *word, const Tributary__V1__Violation *v);

/* Lineage (render_lineage.c). */
enum trib_graph_format { TRIB_FMT_TREE, TRIB_FMT_TABLE, TRIB_FMT_DOT, TRIB_FMT_MERMAID };
void trib_render_lineage(FILE *out, trib_arena *a, const Tributary__V1__LineageGraph *g, int format);
void trib_render_impact(FILE *out, trib_arena *a, const Tributary__V1__ImpactReport *r);
void trib_render_schema_change(FILE *out, trib_arena *a, const Tributary__V1__SchemaChangeReport *r);
void trib_render_provenance(FILE *out, trib_arena *a, const Tributary__V1__ProvenanceReport *r);

/* Governance. */
void trib_render_policy(FILE *out, trib_arena *a, const Tributary__V1__Policy *p);
void trib_render_audit(FILE *out, trib_arena *a, const Tributary__V1__PolicyAuditReport *r);

#endif
