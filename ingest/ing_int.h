/* Private to ingest/: the document tree, the conversion context and the
 * table-driven walker shared by the format converters.
 *
 * Flow of one file: bytes -> tree (tree.c: libyaml events, json.c: JSON) ->
 * messages (product.c, catalog.c, schema.c through walk.c) -> staged per file
 * in `cx` -> appended to the caller's ing_result only when the file had no error.
 */
#ifndef TRIB_INGEST_INT_H
#define TRIB_INGEST_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "tributary/arena.h"
#include "tributary/ingest.h"

/* Memory: a document's tree (nodes, keys, arrays) and conversion scratch live
 * in cx.tmp, cleared after each document; value strings (which messages point
 * to), messages, diagnostics and the per-file staging lists live in the
 * caller's arena. */

/* Hard limits that are not options: they bound work per file whatever the input. */
#define ING_MAX_NODES (4u * 1024u * 1024u)   /* tree nodes per file, merged pairs included */
#define ING_MAX_ALIAS_VISITS (1024u * 1024u) /* conversion steps beyond the node count (aliases revisit) */
#define ING_MAX_FILE_ERRORS 100              /* then "too many errors" and the file is abandoned */
#define ING_MAX_FILE_WARNINGS 100            /* further warnings are counted, not stored */
#define ING_MAX_SCHEMA_FIELDS 10000          /* flattened fields per port */
#define ING_MAX_JSON_TEXT (64u * 1024u)      /* a default value rendered as JSON */
#define ING_PATH_MAX 512                     /* field path text; longer paths are cut */

/* ------------------------------------------------------------------ tree */

typedef enum ytype { Y_NULL, Y_BOOL, Y_INT, Y_FLOAT, Y_STR, Y_SEQ, Y_MAP } ytype;

/* One node of a parsed document. Scalars keep their text exactly as written
 * (s is NUL-terminated, len excludes the NUL); plain scalars are resolved to
 * null/bool/int/float by the YAML 1.2 core schema, quoted ones are Y_STR.
 * A map's items are key, value, key, value... (n pairs, 2n items). Aliases
 * point at the anchored node, so a tree may share subtrees (never cycles). */
typedef struct ynode {
	const char *s;         /* scalars */
	struct ynode **items;
	uint32_t len;          /* scalars: bytes; files are capped well below 4 GiB */
	uint32_t n;            /* Y_SEQ: items; Y_MAP: pairs */
	uint32_t line, col;    /* 1-based start position */
	unsigned char type;    /* ytype */
	unsigned char quoted;  /* scalar written quoted or block (never resolved, never a `<<` merge key) */
	unsigned char boolean; /* Y_BOOL */
} ynode;

typedef struct cx cx;

/* Called with each document's root as soon as it is complete (NULL for an
 * empty document); the tree is freed when it returns. */
typedef void (*doc_fn)(cx *c, const ynode *root, void *arg);

/* Parse a YAML stream document by document. Problems become diagnostics on c;
 * returns 0 when the stream parsed, -1 on a syntax error (documents before it
 * were handed to fn), or a negative TRIB_E* code when memory failed (c->fatal set). */
int tree_parse_yaml(cx *c, const char *data, size_t len, doc_fn fn, void *arg);

/* Finish a mapping from its raw pairs (2*npairs items): keys must be scalars,
 * duplicates are errors (the first wins), `<<` merges are applied. 0 or TRIB_E*. */
int tree_map_finish(cx *c, ynode *m, ynode **items, size_t npairs);

/* Parse one JSON text (RFC 8259, strict) into a tree; *out NULL on error. */
int tree_parse_json(cx *c, ynode **out, const char *data, size_t len);

/* Name of a node type for messages ("a string", "a list", ...). */
const char *ytype_name(ytype t);

/* The value of `key` in map m (NULL when absent or m is not a map). */
const ynode *map_get(const ynode *m, const char *key);

/* ------------------------------------------------------------------ context */

/* A growable array of pointers in the scratch arena (pvec_finish copies it out). */
typedef struct pvec {
	void **v;
	size_t n, cap;
} pvec;

struct cx {
	trib_arena *a;         /* the caller's: messages, value strings, diagnostics */
	trib_arena tmp;        /* the current document's tree and scratch */
	ynode *slab;           /* nodes are carved from slabs: no per-node alignment padding */
	size_t slab_left;
	char *spool;           /* value strings are packed into pool chunks of the caller's arena */
	size_t spool_left;
	ing_result *res;
	ing_opts opts;         /* defaults filled in */
	const char *file;      /* the file diagnostics name (the YAML, or an .avsc being read) */
	const char *yaml_file; /* the file being ingested (source_file of products) */
	const char *dir;       /* where relative schema paths resolve */
	char path[ING_PATH_MAX];
	size_t plen;
	size_t errors, warnings; /* in this file */
	size_t nodes, visits;
	size_t first_diag;     /* index of this file's first diagnostic in res */
	int stop;              /* give up on this file (too many errors or fatal) */
	int fatal;             /* a TRIB_E* code that ends the whole call (arena failure) */
	pvec products, domains, terms; /* staged until the file is known to be error-free */
};

/* Record a diagnostic at node `at` (or line/col 0 when NULL) under the current path. */
void diag(cx *c, ing_severity sev, const ynode *at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same at an explicit position. */
void diag_at(cx *c, ing_severity sev, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Arena allocation that stops the file (and the call) on failure:
 * cx_* in the caller's arena, tmp_* in this file's scratch arena. */
void *cx_alloc(cx *c, size_t size);
void *tmp_alloc(cx *c, size_t size);
char *tmp_printf(cx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
ynode *node_alloc(cx *c);
/* A copy of s[0..len) in the caller's arena, packed (for strings messages keep). */
char *str_keep(cx *c, const char *s, size_t len);
char *cx_strdup(cx *c, const char *s);
char *cx_printf(cx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pvec_push(cx *c, pvec *v, void *p);
/* Push onto a list that outlives the document (staged products, ...): caller's arena. */
int pvec_stage(cx *c, pvec *v, void *p);
/* Clear the scratch arena between documents. */
void cx_clear_tmp(cx *c);
/* Copy of v's pointers as an exact-size array in the caller's arena (NULL when empty). */
void **pvec_finish(cx *c, const pvec *v);

/* Count one conversion step; false once the budget is spent (an error is reported once). */
int cx_visit(cx *c, const ynode *n);

/* Field path: push returns the old length for path_pop. */
size_t path_key(cx *c, const char *key);
size_t path_index(cx *c, size_t i);
void path_pop(cx *c, size_t len);

/* ------------------------------------------------------------------ walker */

typedef struct keyspec keyspec;
/* Convert value v of key k into the object at base. Report problems as diagnostics. */
typedef void (*conv_fn)(cx *c, const ynode *v, void *base, const keyspec *k);

enum {
	K_REQUIRED = 1, /* missing or null is an error */
	K_NULL_OK = 2,  /* null is a value (a field default), passed to the converter */
};

struct keyspec {
	const char *key;
	const char *alt;  /* a second accepted spelling (snake_case / camelCase), or NULL */
	conv_fn fn;
	size_t off, off2; /* where in base the value goes (off2: count, number, ...) */
	const void *arg;  /* converter-specific */
	unsigned flags;
};

/* Walk a mapping with a key table. Unknown keys warn (error with ING_STRICT);
 * a key given under both spellings is an error; missing required keys are
 * errors at the mapping. Returns 0 if v was a mapping, -1 otherwise (reported). */
int walk_map(cx *c, const ynode *v, const keyspec *keys, void *base);

/* Report an unknown key, suggesting the nearest known one from `known` (NULL-terminated). */
void unknown_key(cx *c, const ynode *key, const char *const *known, size_t nknown);

/* Type check helpers: report "expected X, got Y" and return 0 when wrong. */
int want_scalar(cx *c, const ynode *v, const char *what);
int want_seq(cx *c, const ynode *v);

/* Generic converters (arg as noted). */
void conv_str(cx *c, const ynode *v, void *base, const keyspec *k);      /* char* at off */
void conv_name(cx *c, const ynode *v, void *base, const keyspec *k);     /* char* at off; arg = trib_kind */
void conv_strlist(cx *c, const ynode *v, void *base, const keyspec *k);  /* n at off2, char** at off; arg = trib_kind or NULL */
void conv_bool(cx *c, const ynode *v, void *base, const keyspec *k);     /* protobuf_c_boolean at off */
void conv_days(cx *c, const ynode *v, void *base, const keyspec *k);     /* int32 at off, > 0 */
void conv_duration(cx *c, const ynode *v, void *base, const keyspec *k); /* text at off, int64 at off2 */
void conv_percent(cx *c, const ynode *v, void *base, const keyspec *k);  /* text at off, double at off2 */

/* Enum converter: arg points at an ing_enum_table. Matching ignores case. */
typedef struct ing_enum_entry {
	const char *name;
	int value;
} ing_enum_entry;
typedef struct ing_enum_table {
	const char *what; /* "port type" */
	const ing_enum_entry *e; /* NULL-name terminated */
} ing_enum_table;
void conv_enum(cx *c, const ynode *v, void *base, const keyspec *k);      /* int at off */

/* A sub-message: arg points at a msgspec; the message pointer goes at off. */
typedef struct msgspec {
	const ProtobufCMessageDescriptor *desc;
	const keyspec *keys;
} msgspec;
void conv_msg(cx *c, const ynode *v, void *base, const keyspec *k);

/* A list of messages: arg is an elem_fn; the array at off, its count at off2. */
typedef void *(*elem_fn)(cx *c, const ynode *v);
void conv_list(cx *c, const ynode *v, void *base, const keyspec *k);

/* Keep the node itself (const ynode* at off) for a converter that needs several keys. */
void conv_capture(cx *c, const ynode *v, void *base, const keyspec *k);

/* Accept any key without a warning (for metadata blocks of kinds that ignore it). */
void conv_ignore(cx *c, const ynode *v, void *base, const keyspec *k);

/* A fresh message of descriptor d in the arena, defaults set. */
void *msg_new(cx *c, const ProtobufCMessageDescriptor *d);

/* Text of a scalar (NULL for null or non-scalars). */
const char *scalar_text(const ynode *v);

/* Render a node as JSON text in the arena (defaults of fields). NULL on error (reported). */
char *node_to_json(cx *c, const ynode *v);

/* ------------------------------------------------------------------ formats */

/* Each converter stages what it builds in c->products / domains / terms. */
void conv_product_spec(cx *c, const ynode *doc);  /* kind: DataProduct */
void conv_product_flat(cx *c, const ynode *doc);  /* flat data-product.yaml */
void conv_domain_kind(cx *c, const ynode *doc);   /* kind: Domain */
void conv_domain_map(cx *c, const ynode *map);    /* value of `domains:` */
void conv_term_kind(cx *c, const ynode *doc);     /* kind: GlossaryTerm */
void conv_glossary(cx *c, const ynode *list);     /* value of `glossary:` / `terms:` */

/* Check a data product reference (domain/name or a bare name; with port != NULL
 * also domain/name:port, split into *product and *port). 0 when bad (reported). */
int check_product_ref(cx *c, const ynode *at, const char *text, const char **product, const char **port);

/* Schema of an output port from its `schema:` and/or `fields:` nodes (either
 * may be NULL); called with the path at the port (schema.c). */
void schema_resolve(cx *c, Tributary__V1__OutputPort *port, const ynode *schema, const ynode *fields);

/* Flatten an Avro record schema given as a tree (from JSON or YAML); appends
 * Field messages to out. */
void avro_flatten(cx *c, const ynode *record, pvec *out);

/* An inline field list (`fields:` of an output port) into Field messages. */
void inline_fields(cx *c, const ynode *list, pvec *out);

/* Read a whole file, at most max bytes (error beyond). *data is malloc'd. */
#define ING_MAX_FILE_SIZE_CAP (1024u * 1024u * 1024u) /* max_file_size is clamped to 1 GiB */
int read_file_bounded(const char *path, size_t max, char **data, size_t *len);

#endif
