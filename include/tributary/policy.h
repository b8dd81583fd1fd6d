/**
 * @file policy.h
 * @brief Governance policy as code: load a policy file, evaluate products against it.
 *
 * A policy is an immutable, reference-counted set of rules loaded from YAML
 * (see server/default-policy.yaml for the format and the shipped default).
 * Evaluation reads the graph inside the caller's transaction and returns
 * violations as tributary.v1.Violation messages in the caller's arena.
 *
 * Rule types: naming, required-fields, pii-classification, retention-bounds,
 * composition, freshness-feasibility, breaking-change-major-bump,
 * upstream-lifecycle, owner-in-domain-map. Where a rule needs the lineage
 * engine it uses it, so the policy and the Lineage RPCs never disagree:
 * composition and freshness-feasibility read graph_lineage_provenance() of
 * the product as stored (one violation per offending upstream; a closure over
 * params.max_upstream is a warning "not checked", never a silent pass);
 * breaking-change-major-bump classifies changes with
 * graph_lineage_schema_diff(), port by port against the previous registered
 * revision. upstream-lifecycle calls an upstream "deleted" when it is a
 * placeholder whose history holds a registered revision or a delete entry
 * (a product deleted while still read); a placeholder never registered is
 * "unregistered" (off by default: registration order is arbitrary).
 *
 * ## How the server calls it (integration note; server/h_register.c does this)
 *
 * RegisterProduct, in its write transaction `t` and call arena `a`:
 *
 *     graph_put_result put;
 *     int rc = graph_product_put(&put, t, a, req->product, &popts);
 *     if (rc) return rc;                          // dispatcher aborts
 *     pol_policy *pol = pol_global_get();         // snapshot for this call
 *     pol_result res;
 *     rc = pol_evaluate_put(&res, pol, t, a, &put);
 *     pol_unref(pol);                             // violations live in a, not in pol
 *     if (rc) return rc;
 *     resp->violations = res.items;   resp->n_violations = res.nerrors;
 *     resp->warnings = res.items + res.nerrors; resp->n_warnings = res.count - res.nerrors;
 *     if (res.nerrors) return pol_refusal(&res, put.stored);  // TRIB_EPOLICY: abort
 *     return req->dry_run ? SRV_DRY_RUN : 0;      // abort, or commit
 *
 * A refused registration changes nothing because the whole transaction
 * (revision, placeholders, edges) is aborted. RegisterProducts does the same
 * per product. The refusal's status message lists the errors up to ~900
 * bytes and counts the rest; a dry run's response lists them all.
 *
 * ## Lifecycle
 *
 * tributaryd calls pol_global_init(path or NULL) once at start (NULL = the
 * shipped default policy, embedded from server/default-policy.yaml), and
 * pol_global_reload() on SIGHUP; a reload that fails keeps the old policy and
 * leaves a message saying why in trib_error_last(). Calls in flight keep the
 * snapshot they took with pol_global_get().
 *
 * Threads: a pol_policy is immutable and may be shared by any number of
 * threads; pol_ref/pol_unref are atomic. A pol_holder is thread-safe.
 */
#ifndef TRIBUTARY_POLICY_H
#define TRIBUTARY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "tributary/arena.h"
#include "tributary/graph.h"
#include "tributary/v1/governance.pb-c.h"
#include "tributary/v1/types.pb-c.h"

typedef Tributary__V1__Violation trib_violation;
typedef struct pol_policy pol_policy;

/** Upper bound on a policy file, in bytes. */
#define POL_FILE_MAX (4u * 1024u * 1024u)

/* ---------------------------------------------------------------- loading */

/**
 * Parse a policy from memory.
 * @param out receives a policy with one reference; release with pol_unref().
 * @param source file name used in messages and reported by GetPolicy ("" = built-in).
 * @return 0; TRIB_EINVALID with the problems found as
 *         "SOURCE:LINE:COLUMN: error: ..." lines (see pol_load_diagnostics()).
 */
int pol_load_buffer(pol_policy **out, const char *source, const char *data, size_t len);

/**
 * Every problem found by the last failed load in this thread, one
 * "SOURCE:LINE:COLUMN: error: ..." line each ("" after a success). The error
 * slot (trib_error_last) holds 1 KiB, so it gets the first lines and a count
 * of the rest: log this text instead. Valid until the next load in this thread.
 */
const char *pol_load_diagnostics(void);

/** Read and parse a policy file. TRIB_EIO when unreadable; else as pol_load_buffer(). */
int pol_load_file(pol_policy **out, const char *path);

/** The shipped default policy (server/default-policy.yaml, embedded at build time). */
int pol_load_default(pol_policy **out);

/** Take another reference. Returns p. */
pol_policy *pol_ref(pol_policy *p);

/** Drop a reference; the last one frees the policy. pol_unref(NULL) is a no-op. */
void pol_unref(pol_policy *p);

/** File the policy came from, "" for the built-in default. Valid while p is. */
const char *pol_source(const pol_policy *p);

/** Hex SHA-256 of the policy text (64 characters). Valid while p is. */
const char *pol_digest(const pol_policy *p);

/** Wall-clock time the policy was loaded, ms since the epoch. */
int64_t pol_loaded_at_ms(const pol_policy *p);

/** Number of rules. */
size_t pol_rule_count(const pol_policy *p);

/**
 * The policy as a tributary.v1.Policy message (rules with their effective
 * parameters, defaults included, as JSON text), built in arena a.
 */
Tributary__V1__Policy *pol_describe(const pol_policy *p, trib_arena *a);

/* ----------------------------------------------------------------- holder */

/** A slot holding the policy in force, swapped atomically on reload. */
typedef struct pol_holder pol_holder;

/** New holder holding `initial` (the holder takes over that reference). */
int pol_holder_new(pol_holder **out, pol_policy *initial);

/** Free a holder and drop its reference. pol_holder_free(NULL) is a no-op. */
void pol_holder_free(pol_holder *h);

/** The current policy with a new reference for the caller (pol_unref when done). Never NULL. */
pol_policy *pol_holder_get(pol_holder *h);

/** Replace the policy (the holder takes over the reference); calls in flight keep theirs. */
void pol_holder_set(pol_holder *h, pol_policy *p);

/**
 * Load `path` (NULL = the default policy) and install it. On failure the old
 * policy stays and the error (with file:line:column) is returned.
 */
int pol_holder_load(pol_holder *h, const char *path);

/** The process-wide holder used by the server; holds the default policy until init. */
pol_holder *pol_global(void);

/**
 * Install the server's policy: the file at `path`, or the shipped default
 * when NULL. Remembers the path for pol_global_reload().
 * @return 0; TRIB_EIO / TRIB_EINVALID (message names file:line:column).
 */
int pol_global_init(const char *path);

/** Re-read the path given to pol_global_init(); on failure the old policy stays. */
int pol_global_reload(void);

/** pol_holder_get(pol_global()). */
pol_policy *pol_global_get(void);

/* ------------------------------------------------------------- evaluation */

/** Violations of one product, errors first, then in rule order (arena). */
typedef struct pol_result {
	trib_violation **items; /**< items[0..nerrors) are errors, the rest warnings */
	size_t count;
	size_t nerrors;
} pol_result;

/**
 * Evaluate product `p` (node `id`, as stored in transaction t) against the
 * policy. `previous` is its prior registered revision, or NULL for a first
 * registration (breaking-change-major-bump then has nothing to compare).
 * Reads upstream products, domains and history through t.
 *
 * Only the result is allocated in `a`. Working memory (provenance of the
 * whole upstream closure, ~1 KiB per upstream; histories; schema diffs) is
 * the call's own and freed before it returns, limited to a->limit bytes
 * (256 MiB when a has no limit), so evaluating many products costs the
 * deepest one, not their sum.
 * @return 0 (violations are results, not errors); TRIB_ELIMIT when the
 *         working memory limit is met (the message names the rule and the
 *         product); TRIB_ENOMEM; store errors unchanged.
 */
int pol_evaluate(pol_result *out, const pol_policy *pol, graph_txn *t, trib_arena *a,
		 uint64_t id, const trib_product *p, const trib_product *previous);

/**
 * Evaluate what graph_product_put just stored in t (put->id, put->stored),
 * finding the previous registered revision in the product's history; as
 * pol_evaluate().
 */
int pol_evaluate_put(pol_result *out, const pol_policy *pol, graph_txn *t, trib_arena *a,
		     const graph_put_result *put);

/** Evaluate the latest registered revision of product node `id` (against its previous one); as pol_evaluate(). */
int pol_evaluate_stored(pol_result *out, const pol_policy *pol, graph_txn *t, trib_arena *a,
			uint64_t id);

/**
 * Record the refusal of product p for result r (which must have errors) in
 * the thread's error slot and return TRIB_EPOLICY. The message lists every
 * error: "policy refused domain/name: [rule] message (field) ; ...".
 */
int pol_refusal(const pol_result *r, const trib_product *p);

/**
 * Every registered product (placeholders excluded) of `domain` (NULL/"" =
 * all) evaluated in read transaction t. Products are read in pages with a
 * scratch arena so memory stays bounded by the violations found (and a->limit).
 * A product whose evaluation meets its memory limit is listed with one
 * error, "not evaluated: ...", and the audit goes on.
 * @param out report in arena a: products_checked, and every product with at
 *        least one violation (error or warning), in product-id order.
 * @param deadline_ms CLOCK_MONOTONIC ms (0 = none); past it: TRIB_ELIMIT.
 */
int pol_audit(Tributary__V1__PolicyAuditReport **out, const pol_policy *pol, graph_txn *t,
	      trib_arena *a, const char *domain, int64_t deadline_ms);

#endif
