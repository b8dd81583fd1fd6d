/**
 * @file ingest.h
 * @brief Turn the YAML files domain teams keep into tributary.v1 messages.
 *
 * ingest/ reads data-product specs, domain boundary maps, glossaries and Avro
 * schemas, and produces Tributary__V1__DataProduct, __Domain and __GlossaryTerm
 * messages in a caller's arena, plus a list of diagnostics
 * (`file:line:column: error: message (at spec.outputPorts[1].sla.freshness)`).
 * It knows nothing of LMDB or gRPC. Every output (messages, strings, arrays,
 * diagnostics) lives in the arena given to the call and dies with it.
 *
 * ## Accepted documents (several per file, separated by `---`)
 *
 * 1. **Spec form** (`apiVersion: data-mesh/v1`):
 *    @code
 *    apiVersion: data-mesh/v1
 *    kind: DataProduct
 *    metadata: {name: customer-360, version: "2.1.0", owner: customer-platform,
 *               domain: customer, tags: [pii]}                 # name, owner, domain required
 *    spec:
 *      description: ...
 *      sla: {freshness: 1h, uptime: 99.9%, completeness: 99%}   # product-level, optional
 *      outputPorts:
 *        - name: customer_profile_stream      # required
 *          type: stream                       # stream | batch | api | table
 *          format: avro
 *          schema: ./schemas/profile.avsc     # or schema-registry://... (kept as a reference)
 *          topic: ... / location: ... / partitioning: ... / description: ...
 *          sla: {freshness: "< 5 minutes", uptime: "99.9%", completeness: 99.5}
 *          fields: [...]                      # inline schema, see below
 *      inputPorts:
 *        - sourceProduct: customer/customer-events-v1   # domain/name, bare name, or domain/name:port
 *          port: events                                 # optional
 *          fields: [customer_id, event_type]            # fields read; absent = the whole product
 *          mappings: ...                                # field-level lineage, see below
 *        - source: orders-db                            # an external source...
 *          type: postgres-cdc                           # ...with its type
 *      qualityChecks: [{rule: "customer_id IS NOT NULL", severity: warning}]  # error (default) | warning
 *      governance: {pii_fields: [email_hash], data_classification: restricted,
 *                   retention_days: 730, gdpr_subject_to_erasure: true, access_policy: "opa://..."}
 *      glossaryTerms: [CustomerProfile]
 *    @endcode
 *    Also `kind: Domain` (metadata.name + spec with the domain keys below),
 *    `kind: DomainMap` (`domains:` at the top or under `spec:`),
 *    `kind: Glossary` (`terms:` at the top or under `spec:`) and
 *    `kind: GlossaryTerm` (metadata.name + spec with the term keys below).
 *    camelCase keys also accept their snake_case spelling (output_ports, source_product, ...).
 *
 * 2. **Flat form** (data-product.yaml): name, domain, owner (required), version,
 *    description, tags, inputs (`source`, `type`: `data-product` (default) or
 *    an external type such as `postgres-cdc`, which makes the source
 *    `source:NAME`; plus port, fields, mappings), outputs (the output port keys),
 *    sla, governance, quality_checks, glossary_terms.
 *
 * 3. **Domain map**: `domains:` maps a domain name to owner_team, oncall (or
 *    oncall_pagerduty), description, source_products, consumer_products; a
 *    list of mappings with `name:` works too.
 *
 * 4. **Glossary**: `glossary:` or `terms:`, a list of {name, description,
 *    related (or related_terms), applies_to (product or field references)}, or a
 *    mapping from term name to the same keys.
 *
 * A document without apiVersion is recognised by its keys: `domains:` (domain
 * map), `glossary:`/`terms:` (glossary; both may share a document), otherwise a
 * flat product.
 *
 * ## Schemas
 *
 * An output port's `fields:` is a list whose items are a field name, a long
 * form `{name, type, nullable, default, doc}`, or a short form `customer_id: string`
 * (`customer_id: {type: string, nullable: true}`). A type may be an Avro union
 * (`[null, string]`: nullable string) or an Avro type object, so nested
 * records work inline too. `schema:` is a path to an Avro schema (JSON, read
 * relative to the YAML file; nested records flatten to dotted leaf names such as
 * `payload.customer_id`; a union with null makes a field nullable; defaults are
 * kept as JSON text; arrays and maps are leaves typed `array<T>` / `map<T>`;
 * logical types give their name, e.g. `timestamp-millis`, `decimal(10,2)`), an
 * Avro record written inline in YAML, or a URL (`schema-registry://`, `http(s)://`)
 * that is kept in schema_ref with a warning when no inline fields accompany it.
 *
 * ## Field-level lineage: `mappings:` on an input port
 *
 * Each mapping says which fields of this input port one output field is
 * derived from; each becomes a Tributary__V1__FieldMapping of the port:
 * @code
 *    inputPorts:
 *      - sourceProduct: customer/customer-profiles
 *        fields: [customer_id, email, phone]
 *        mappings:                          # list form
 *          - output: email_hash             # a field of this product (required)
 *            inputs: [email]                # fields of the input port (required; a single name works)
 *            transform: sha256              # free text, optional
 *      - sourceProduct: payments/transaction-events-v1
 *        mappings:                          # compact form: output: input(s)
 *          customer_id: customer_id
 *          lifetime_value_usd: [amount_usd, currency]
 *          refund_total: {inputs: [amount_usd], transform: sum}
 * @endcode
 * A mapping input missing from a non-empty `fields:` list is added to it with a
 * warning (the port reads it); a mapping output that is not a field of any output
 * port with a known schema is a warning.
 *
 * ## Values
 *
 * Durations (`freshness`) give freshness_seconds and keep the text: see
 * ing_duration_parse(). Percentages (`uptime`, `completeness`): see
 * ing_percent_parse(); a bare number is a percentage (0.95 means 0.95 %, with a
 * warning). YAML numbers work for both. Classifications: public, internal,
 * confidential, restricted. Names follow the naming rules of ref.h.
 *
 * ## Problems and limits
 *
 * Errors: YAML syntax (tabs, truncation, ... with libyaml's position), wrong
 * types, missing required keys, bad values, duplicate keys, unknown kind or
 * apiVersion, unreadable schemas. Warnings: unknown keys (errors with
 * ING_STRICT), unresolved schema references. A file with any error contributes
 * no messages to the result, only its diagnostics. Bounds per file: size
 * (ing_opts.max_file_size, default 16 MiB), nesting depth (max_depth, default 64),
 * 4 Mi YAML nodes, 100 stored errors (then the file is abandoned), 10000
 * flattened fields per port. Anchors, aliases and `<<` merge keys are supported;
 * their expansion is bounded (1 Mi conversion steps beyond the node count).
 *
 * Memory: the caller's arena receives messages, the strings they point to and
 * diagnostics (about 3 times the YAML size for typical specs); each document's
 * tree lives in scratch memory freed as soon as the document is converted.
 * Functions are reentrant: no global state besides trib_error's thread-local slot.
 */
#ifndef TRIBUTARY_INGEST_H
#define TRIBUTARY_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "tributary/arena.h"
#include "tributary/v1/types.pb-c.h"

/** Severity of a diagnostic. */
typedef enum ing_severity {
	ING_ERROR = 0,
	ING_WARNING = 1,
} ing_severity;

/** One problem found in an input file. Strings live in the call's arena. */
typedef struct ing_diag {
	const char *file;      /**< path as given (an .avsc for problems inside a schema file) */
	unsigned line, column; /**< 1-based; 0 when the problem has no position (unreadable file) */
	ing_severity severity;
	const char *path;      /**< field path, e.g. "spec.inputPorts[0].fields"; "" when none */
	const char *message;   /**< what is wrong, without file or position */
} ing_diag;

/** ing_opts.flags */
enum {
	ING_STRICT = 1u << 0, /**< unknown keys are errors, not warnings */
};

#define ING_OPTS_VERSION 1
#define ING_DEFAULT_MAX_FILE_SIZE (16u * 1024u * 1024u)
#define ING_DEFAULT_MAX_DEPTH 64u

/** Options of a parse; NULL means all defaults. */
typedef struct ing_opts {
	unsigned version;     /**< ING_OPTS_VERSION */
	size_t max_file_size; /**< bytes per file (YAML or schema); 0 = ING_DEFAULT_MAX_FILE_SIZE; at most 1 GiB */
	unsigned max_depth;   /**< nesting of collections; 0 = ING_DEFAULT_MAX_DEPTH */
	unsigned flags;       /**< ING_STRICT */
	const char *base_dir; /**< where relative schema paths resolve; NULL = the YAML file's directory */
} ing_opts;

#define ING_OPTS_INIT {ING_OPTS_VERSION, 0, 0, 0, NULL}

/**
 * What one or more parses produced. Arrays grow as files are parsed into it;
 * read the public members, leave the `cap_` ones alone. Everything is owned by
 * the arena of the calls that filled it.
 */
typedef struct ing_result {
	Tributary__V1__DataProduct **products; /**< in file and document order; source_file set */
	size_t n_products;
	Tributary__V1__Domain **domains;
	size_t n_domains;
	Tributary__V1__GlossaryTerm **terms;
	size_t n_terms;
	ing_diag *diags; /**< per file sorted by position */
	size_t n_diags;
	size_t n_errors;   /**< errors seen (all stored, up to 100 per file + one "too many") */
	size_t n_warnings; /**< warnings seen (some may not be stored, see ING_MAX_FILE_WARNINGS) */
	size_t n_files, n_failed_files;
	size_t cap_products, cap_domains, cap_terms, cap_diags;
} ing_result;

/** Prepare an empty result (no allocation). */
void ing_result_init(ing_result *r);

/**
 * Parse every document of a YAML file and append its products, domains and
 * glossary terms to `out` — or, when the file has any error, only its diagnostics.
 * @param out   result to append to (ing_result_init first)
 * @param a     arena that owns everything appended
 * @param path  file to read; diagnostics and DataProduct.source_file name it as given
 * @param opts  NULL for defaults
 * @return 0 when the file had no error (warnings allowed);
 *         TRIB_EINVALID when it had errors (see out->diags);
 *         TRIB_EIO when it could not be read, TRIB_ELIMIT when too large (both also as a diagnostic);
 *         TRIB_ENOMEM / TRIB_ELIMIT when the arena failed (trib_error_last() says which).
 */
int ing_parse_file(ing_result *out, trib_arena *a, const char *path, const ing_opts *opts);

/**
 * Same as ing_parse_file() for bytes in memory (need not be NUL-terminated).
 * @param name  the name diagnostics and source_file use ("<stdin>", a path, ...);
 *              relative schema paths resolve against opts->base_dir, else name's directory, else "."
 */
int ing_parse_buffer(ing_result *out, trib_arena *a, const char *name, const char *data, size_t len,
		     const ing_opts *opts);

/**
 * A proposed schema for `trib check-schema`: an Avro schema (.avsc/.json, a
 * JSON object) or a YAML file that is an inline field list, a mapping with
 * `fields:`, or an Avro record. Problems go to out->diags as in ing_parse_file().
 * @param fields    set to an arena array of flattened fields (NULL when none)
 * @param n_fields  its length
 * @return 0, TRIB_EINVALID (errors in out->diags), TRIB_EIO, TRIB_ELIMIT or TRIB_ENOMEM
 */
int ing_parse_schema_file(Tributary__V1__Field ***fields, size_t *n_fields, ing_result *out, trib_arena *a,
			  const char *path, const ing_opts *opts);

/**
 * The files `trib register` should read for its arguments: a file argument as
 * is; a directory gives every regular file below it named *.yaml or *.yml,
 * sorted by path (byte order), skipping names that start with '.' and not
 * following symbolic links to directories. Arguments keep their order.
 * @param files    set to an arena array of paths
 * @param n_files  its length
 * @return 0; TRIB_ENOTFOUND / TRIB_EIO with a message naming the path;
 *         TRIB_ELIMIT beyond 100000 files or 32 directory levels; TRIB_ENOMEM.
 */
int ing_collect(const char ***files, size_t *n_files, trib_arena *a, const char *const *paths, size_t n_paths);

/**
 * Format a diagnostic as `file:line:column: error: message (at path)`
 * (`file: error: message` without a position; no "(at ...)" without a path).
 * @return the length of the full line like snprintf (the output is cut to n-1 bytes).
 */
int ing_diag_format(char *buf, size_t n, const ing_diag *d);

/**
 * Parse a duration into seconds. Accepts `90s`, `15m`, `1h`, `1h30m`, `1.5 hours`,
 * `30 minutes`, `2 days`, `1w`, ISO 8601 (`PT1H`, `P1D`), the words `hourly`,
 * `daily`, `weekly`, an optional leading `<`, `<=`, `within`, `under` or `every`,
 * and a daily anchor: `< 2 hours after midnight UTC` means delivered by 02:00
 * each day, so data may be up to a day plus two hours old: 93600 (likewise
 * `after the hour` adds an hour). Case-insensitive.
 * @return 0, or TRIB_EINVALID with a message (unknown unit, less than a second,
 *         more than ten years, anchor offset beyond its period, ...).
 */
int ing_duration_parse(int64_t *seconds, const char *text);

/**
 * Parse a percentage: `99.5%`, `99.5 %` or `99.5`, 0 to 100.
 * @return 0, or TRIB_EINVALID with a message.
 */
int ing_percent_parse(double *percent, const char *text);

#endif
