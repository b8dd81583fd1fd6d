/**
 * @file lineage.h
 * @brief Lineage queries over the graph store: lineage graphs, impact
 *        analysis, schema-change checks and provenance with composed constraints.
 *
 * Every query runs inside the caller's transaction (read or write: a query
 * made in the write transaction that registered a product sees that product)
 * and allocates its answer in the caller's arena; nothing points into LMDB
 * pages, so an answer outlives its transaction until the arena is cleared.
 *
 * Every query is bounded: a node limit and a CLOCK_MONOTONIC deadline (in
 * the same milliseconds as graph_walk_opts.deadline_ms). Lineage and impact
 * report a cut with `truncated`; schema checks and provenance, whose partial
 * answers would be wrong answers, fail with TRIB_ELIMIT instead.
 *
 * Depth counts lineage hops (FEEDS, PORT_FEEDS, FIELD_READ, FIELD_FEEDS).
 * Structural edges (HAS_PORT, HAS_FIELD) and membership (a team's, domain's
 * or glossary term's products) cost nothing: a product's ports and fields sit
 * at the product's depth, and so do the products of a team/domain/term root.
 *
 * Edge model (graph.h): FEEDS upstream product/source -> product;
 * PORT_FEEDS port -> consuming product; HAS_PORT product -> port; HAS_FIELD
 * port -> field; FIELD_READ upstream field -> consuming product (input port
 * field lists); FIELD_FEEDS upstream field -> derived field.
 */
#ifndef TRIBUTARY_LINEAGE_H
#define TRIBUTARY_LINEAGE_H

#include <stddef.h>
#include <stdint.h>

#include "tributary/arena.h"
#include "tributary/error.h"
#include "tributary/graph.h"
#include "tributary/v1/types.pb-c.h"

typedef Tributary__V1__Field trib_field;

/* ================================================================ lineage */

/** How fine a lineage graph is. */
typedef enum graph_lineage_level {
	GRAPH_LINEAGE_PRODUCT = 1, /**< products and sources, FEEDS */
	GRAPH_LINEAGE_PORT = 2,    /**< plus output ports: HAS_PORT, PORT_FEEDS */
	GRAPH_LINEAGE_FIELD = 3,   /**< fields: FIELD_FEEDS, FIELD_READ (the root's own fields seed it) */
} graph_lineage_level;

/** Bit of a node kind in graph_lineage_opts.kinds. */
#define GRAPH_KIND_BIT(k) (1u << (unsigned)(k))

typedef struct graph_lineage_opts {
	unsigned version;          /**< GRAPH_LINEAGE_OPTS_VERSION */
	int direction;             /**< GRAPH_UP, GRAPH_DOWN, or GRAPH_BOTH (the union of both closures) */
	uint32_t max_depth;        /**< 0 = unlimited */
	graph_lineage_level level; /**< raised to the root's own granularity (a field root is field level) */
	uint32_t kinds;            /**< GRAPH_KIND_BIT()s of the node kinds to answer; 0 = all */
	const char *const *domains;/**< answer only nodes of these domains; traversal still passes through others */
	size_t ndomains;
	size_t max_nodes;          /**< traversal limit, counting the root; 0 = unlimited */
	size_t offset;             /**< paging: index of the first answer node to return */
	size_t page_size;          /**< answer nodes per page; 0 = all */
	int64_t deadline_ms;       /**< CLOCK_MONOTONIC ms; 0 = none */
} graph_lineage_opts;

#define GRAPH_LINEAGE_OPTS_VERSION 1
#define GRAPH_LINEAGE_OPTS_INIT \
	{GRAPH_LINEAGE_OPTS_VERSION, GRAPH_DOWN, 0, GRAPH_LINEAGE_PRODUCT, 0, NULL, 0, 0, 0, 0, 0}

typedef struct graph_lineage_node {
	uint64_t id;
	trib_kind kind;
	const char *ref;
	const char *owner;       /**< "" when unknown */
	const char *domain;      /**< "" for teams, terms and sources */
	uint32_t depth;
	int placeholder;
	int deprecated;
	uint64_t pred;           /**< node it was first reached from on a shortest path; 0 for roots */
	const char *predecessor; /**< its reference, "" for roots */
} graph_lineage_node;

typedef struct graph_lineage_edge {
	uint64_t from, to;
	const char *from_ref, *to_ref;
	graph_edge_kind kind;
} graph_lineage_edge;

/** A lineage graph, or one page of it. Everything is in the caller's arena. */
typedef struct graph_lineage_graph {
	const char *root;           /**< canonical reference of the root */
	graph_lineage_node *nodes;  /**< this page, in breadth-first order: by depth; within a depth
	                                 as discovered expanding the previous depth in node-id order */
	size_t count;
	graph_lineage_edge *edges;  /**< edges among answer nodes, each in the page of its `to`
	                                 node (so the pages together list each once), ordered
	                                 by the `to` node's id */
	size_t nedges;
	size_t total;               /**< answer nodes over all pages */
	size_t next_offset;         /**< offset of the next page; 0 = this is the last */
	int truncated;              /**< max_nodes or the deadline cut the traversal */
} graph_lineage_graph;

/**
 * The lineage graph around node `root` (any kind: product, port, field,
 * source, team, domain, term). Cycles terminate; each node appears once, at
 * its smallest depth. Filters (kinds, domains) select answer nodes without
 * cutting the traversal; paging slices the answer in a deterministic order
 * (stable for a given store state).
 * @return 0; TRIB_ENOTFOUND no such node; TRIB_EINVALID bad options
 *         (offset beyond the answer, unknown level or direction).
 */
int graph_lineage_get(graph_lineage_graph *out, graph_txn *t, trib_arena *a, uint64_t root,
		      const graph_lineage_opts *opts);

/**
 * A page token for continuing query (ref, opts) at `offset`: the offset and a
 * digest of every option that shapes the answer, so a token cannot be replayed
 * against another query. Written into buf (at least GRAPH_LINEAGE_TOKEN_MAX).
 */
#define GRAPH_LINEAGE_TOKEN_MAX 40
void graph_lineage_token_format(char *buf, const char *ref, const graph_lineage_opts *opts, size_t offset);

/**
 * Parse a token made by graph_lineage_token_format for the same query.
 * @return 0 and *offset; TRIB_EINVALID when malformed or made for another query.
 */
int graph_lineage_token_parse(size_t *offset, const char *token, const char *ref,
			      const graph_lineage_opts *opts);

/* ================================================================= impact */

typedef struct graph_impact_opts {
	unsigned version;     /**< GRAPH_IMPACT_OPTS_VERSION */
	uint32_t max_depth;   /**< 0 = unlimited */
	int summary_only;     /**< counts only: no per-product records, paths or fields */
	size_t max_nodes;     /**< traversal limit, counting the root; 0 = unlimited */
	int64_t deadline_ms;  /**< CLOCK_MONOTONIC ms; 0 = none */
} graph_impact_opts;

#define GRAPH_IMPACT_OPTS_VERSION 1
#define GRAPH_IMPACT_OPTS_INIT {GRAPH_IMPACT_OPTS_VERSION, 0, 0, 0, 0}

typedef struct graph_affected {
	uint64_t id;
	const char *ref, *owner, *domain;
	uint32_t depth;
	int placeholder;
	const char **path;        /**< one shortest path, root first, this product last */
	size_t path_len;
	const char **via_fields;  /**< field refs, sorted: upstream fields (of the root's product or
	                               an affected product) it reads, and its own fields derived
	                               from them in a field-rooted impact */
	size_t nvia;
} graph_affected;

typedef struct graph_count {
	const char *key;  /**< owner team or domain; "" when unknown (placeholders) */
	size_t count;
} graph_count;

typedef struct graph_impact_report {
	const char *root;
	graph_affected *affected; /**< breadth-first order; empty with summary_only */
	size_t count;
	graph_count *by_owner;    /**< largest count first, then key order */
	size_t nowners;
	graph_count *by_domain;
	size_t ndomains;
	size_t total;             /**< affected products */
	int truncated;
} graph_impact_report;

/**
 * Downstream closure of a product, port or field.
 * - product: every product reading it, transitively (FEEDS).
 * - port: first the products reading that port, or the whole product with no
 *   port named; then everything downstream of those.
 * - field: only products reading the field (FIELD_READ) or deriving a field
 *   from it (FIELD_FEEDS), transitively through field lineage. Products that
 *   read the whole upstream without a field list are not counted.
 * @return 0; TRIB_ENOTFOUND; TRIB_EINVALID when root is not a product, port or field.
 */
int graph_lineage_impact(graph_impact_report *out, graph_txn *t, trib_arena *a, uint64_t root,
			 const graph_impact_opts *opts);

/* ========================================================= schema change */

/** Compatibility classes; the values equal tributary.v1.ChangeKind. */
typedef enum graph_change_kind {
	GRAPH_CHANGE_FIELD_REMOVED = 1,           /**< breaking */
	GRAPH_CHANGE_TYPE_CHANGED = 2,            /**< breaking */
	GRAPH_CHANGE_TYPE_WIDENED = 3,            /**< compatible (see graph_lineage_type_widens) */
	GRAPH_CHANGE_NULLABILITY_TIGHTENED = 4,   /**< breaking: data already written holds nulls */
	GRAPH_CHANGE_NULLABILITY_RELAXED = 5,     /**< compatible */
	GRAPH_CHANGE_FIELD_ADDED_WITH_DEFAULT = 6,/**< compatible */
	GRAPH_CHANGE_FIELD_ADDED_WITHOUT_DEFAULT = 7, /**< breaking: data already written lacks it */
} graph_change_kind;

/** "field-removed", "type-changed", "type-widened", "nullability-tightened", ... */
const char *graph_lineage_change_kind_name(graph_change_kind k);

/** 1 when a change of this kind breaks backward compatibility. */
int graph_lineage_change_breaking(graph_change_kind k);

/**
 * 1 when a value of type `from` converts to `to` without loss: int -> long,
 * int -> double, float -> double. Lossy promotions that Avro would accept
 * (int/long -> float, long -> double) are type changes here, because a
 * product's consumers would silently lose precision. Type names compare
 * case-insensitively with common aliases (integer/int32 = int, bigint/int64 =
 * long, float32/real = float, float64 = double).
 */
int graph_lineage_type_widens(const char *from, const char *to);

typedef struct graph_schema_change {
	const char *field;
	graph_change_kind kind;
	const char *old_type;    /**< "" for added fields */
	const char *new_type;    /**< "" for removed fields */
	int breaking;
	const char *description; /**< one line for humans */
} graph_schema_change;

/**
 * Compare two field lists (no store needed): every change, in the order of
 * the registered fields, then the added ones in proposed order.
 * @param out array in arena a (NULL when no change)
 * @return 0; TRIB_EINVALID when the proposal names a field twice or has a
 *         field with an invalid name or no type ("fields[3].name: ...").
 */
int graph_lineage_schema_diff(graph_schema_change **out, size_t *count, trib_arena *a,
			      const trib_field *const *old_fields, size_t nold,
			      const trib_field *const *new_fields, size_t nnew);

typedef struct graph_schema_opts {
	unsigned version;     /**< GRAPH_SCHEMA_OPTS_VERSION */
	size_t max_nodes;     /**< total nodes the consumer search may visit; 0 = unlimited */
	int64_t deadline_ms;
} graph_schema_opts;

#define GRAPH_SCHEMA_OPTS_VERSION 1
#define GRAPH_SCHEMA_OPTS_INIT {GRAPH_SCHEMA_OPTS_VERSION, 0, 0}

typedef struct graph_consumer {
	uint64_t id;
	const char *ref, *owner, *domain;
	uint32_t depth;
	const char **fields;  /**< names of the changed port's fields it depends on, sorted */
	size_t nfields;
	const char **path;    /**< root port first, through field refs, this product last */
	size_t path_len;
} graph_consumer;

typedef struct graph_schema_report {
	const char *ref;                /**< the port, "domain/name:port" */
	int compatible;                 /**< no breaking change */
	graph_schema_change *changes;
	size_t nchanges;
	graph_consumer *broken;         /**< read a field with a breaking change, transitively
	                                     through field lineage; depth, then ref order */
	size_t nbroken;
	graph_consumer *possibly_affected; /**< read the whole product/port (no field list) of the
	                                     root or of a product holding a derived field of a
	                                     changed field; not broken */
	size_t npossibly;
	const char *verdict;            /**< one line for humans */
} graph_schema_report;

/**
 * Check a proposed field list for output port `port` (a port node id)
 * against the registered schema.
 * @return 0; TRIB_ENOTFOUND when the port is not in its product's registered
 *         record or has no registered fields; TRIB_EINVALID as for
 *         graph_lineage_schema_diff or when `port` is not a port;
 *         TRIB_ELIMIT when max_nodes or the deadline cut the consumer search.
 */
int graph_lineage_schema_check(graph_schema_report *out, graph_txn *t, trib_arena *a, uint64_t port,
			       const trib_field *const *fields, size_t nfields, const graph_schema_opts *opts);

/* ============================================================= provenance */

/** Composition rules; graph_lineage_rule_id() gives their stable ids. */
typedef enum graph_lineage_rule {
	GRAPH_RULE_CLASSIFICATION = 1, /**< "composition.classification": less restricted than an upstream */
	GRAPH_RULE_RETENTION = 2,      /**< "composition.retention": keeps data longer than an upstream allows */
	GRAPH_RULE_PII_UNDECLARED = 3, /**< "composition.pii-undeclared": PII reaches it undeclared */
	GRAPH_RULE_ERASURE = 4,        /**< "composition.erasure": upstream subject to erasure, it is not */
	GRAPH_RULE_FRESHNESS = 5,      /**< "freshness.infeasible": promises fresher data than an upstream */
} graph_lineage_rule;

const char *graph_lineage_rule_id(graph_lineage_rule r);

typedef struct graph_violation {
	graph_lineage_rule rule;
	const char *rule_id;      /**< graph_lineage_rule_id(rule) */
	const char *message;
	const char *field_path;   /**< e.g. "governance.data_classification" */
	const char *upstream_ref; /**< the upstream product that causes it */
	const char *severity;     /**< "error"; a policy engine may re-rate it */
} graph_violation;

typedef struct graph_pii_field {
	const char *field;   /**< "domain/product#name": where PII arrives at the root */
	const char *origin;  /**< field ref where it was declared PII (nearest declaration upstream) */
	int declared;        /**< the root lists name in governance.pii_fields */
} graph_pii_field;

typedef struct graph_freshness_link {
	const char *ref;             /**< the root first, then upstreams with a stated freshness */
	int64_t freshness_seconds;
	const char *freshness;       /**< original text */
	int feasible;                /**< no slower than the root's own (always 1 when the root states none) */
} graph_freshness_link;

typedef struct graph_provenance_opts {
	unsigned version;     /**< GRAPH_PROVENANCE_OPTS_VERSION */
	uint32_t max_depth;   /**< 0 = unlimited */
	size_t max_nodes;     /**< limit on upstream nodes and on field nodes visited; 0 = unlimited */
	int64_t deadline_ms;
} graph_provenance_opts;

#define GRAPH_PROVENANCE_OPTS_VERSION 1
#define GRAPH_PROVENANCE_OPTS_INIT {GRAPH_PROVENANCE_OPTS_VERSION, 0, 0, 0}

typedef struct graph_provenance_report {
	const char *root;
	graph_lineage_node *upstream;  /**< upstream closure (root excluded), breadth-first */
	size_t nupstream;
	const char **sources;          /**< upstreams with no upstream of their own: products with
	                                    no inputs, external sources, placeholders */
	size_t nsources;
	Tributary__V1__Classification effective_classification; /**< max over the upstreams */
	const char *classification_from; /**< nearest upstream with that classification; "" if none */
	int32_t min_retention_days;      /**< min stated upstream retention; 0 = none stated */
	const char *min_retention_from;
	int erasure_required;            /**< some upstream is subject to erasure */
	const char **erasure_from;       /**< those upstreams */
	size_t nerasure;
	graph_pii_field *pii;            /**< PII reaching the root, by field then origin */
	size_t npii;
	graph_freshness_link *freshness; /**< root first, then upstreams in breadth-first order */
	size_t nfreshness;
	graph_violation *violations;     /**< by rule, then upstream breadth-first order */
	size_t nviolations;
} graph_provenance_report;

/**
 * Provenance of product `product` with composed constraints: the upstream
 * closure down to its sources; effective classification, minimum retention,
 * erasure obligations, PII fields reaching it (PII declared upstream
 * propagates along FIELD_FEEDS; a field the product reads or derives from PII
 * without listing it in its pii_fields is a violation; reading a whole
 * upstream without a field list receives all of its PII); its freshness
 * chain (an upstream fresher-than promise slower than the product's own is
 * infeasible); and every violation naming the upstream that causes it.
 *
 * For a policy engine: call it after graph_product_put() in the same write
 * transaction; the answer reflects the product as just stored (abort the
 * transaction to discard it).
 * @return 0; TRIB_ENOTFOUND; TRIB_EINVALID when not a product;
 *         TRIB_ELIMIT when max_nodes or the deadline cut the closure.
 */
int graph_lineage_provenance(graph_provenance_report *out, graph_txn *t, trib_arena *a, uint64_t product,
			     const graph_provenance_opts *opts);

#endif
