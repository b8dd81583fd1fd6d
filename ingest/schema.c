/* Output port schemas: inline field lists and Avro schemas (files or inline),
 * flattened to dotted leaf fields. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ing_int.h"
#include "tributary/error.h"
#include "tributary/ref.h"

typedef Tributary__V1__Field Field;

#define MAX_RECORD_NESTING 32

static const char *const primitives[] = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"};

typedef struct named_type {
	const char *fullname;
	const char *name; /* short name */
	const ynode *def; /* the defining object */
	const char *kind; /* record, enum, fixed */
	const char *ns;   /* namespace for names used inside it */
} named_type;

typedef struct avro {
	cx *c;
	pvec *out;
	pvec named;                        /* named_type */
	const ynode *open[MAX_RECORD_NESTING]; /* records being flattened (recursion guard) */
	size_t nopen;
	int lenient; /* inline YAML lists: unknown type names are kept verbatim */
	int full;    /* field limit reached (reported once) */
} avro;

static int is_primitive(const char *s)
{
	for (size_t i = 0; i < sizeof primitives / sizeof primitives[0]; i++)
		if (strcmp(primitives[i], s) == 0)
			return 1;
	return 0;
}

static const char *str_attr(const ynode *m, const char *key)
{
	const ynode *v = map_get(m, key);
	return v && v->type == Y_STR ? v->s : NULL;
}

/* ------------------------------------------------------------------ named types */

static named_type *find_named(avro *A, const char *name, const char *ns)
{
	const char *qualified = NULL;
	if (!strchr(name, '.') && ns && *ns)
		qualified = tmp_printf(A->c, "%s.%s", ns, name);
	named_type *short_match = NULL;
	size_t short_count = 0;
	for (size_t i = 0; i < A->named.n; i++) {
		named_type *t = A->named.v[i];
		if (strcmp(t->fullname, name) == 0 || (qualified && strcmp(t->fullname, qualified) == 0))
			return t;
		if (strcmp(t->name, name) == 0) {
			short_match = t;
			short_count++;
		}
	}
	return short_count == 1 ? short_match : NULL;
}

/* Register the named type defined by object def; returns it (or NULL, reported). */
static named_type *define(avro *A, const ynode *def, const char *kind, const char *ns)
{
	cx *c = A->c;
	const char *name = str_attr(def, "name");
	if (!name) {
		if (A->lenient && strcmp(kind, "record") == 0)
			name = "record"; /* an inline YAML record may go unnamed */
		else {
			diag(c, ING_ERROR, def, "an Avro %s needs a 'name'", kind);
			return NULL;
		}
	}
	const char *own_ns = str_attr(def, "namespace");
	const char *full, *short_name = name, *inner_ns;
	const char *dot = strrchr(name, '.');
	if (dot) {
		full = name;
		short_name = dot + 1;
		inner_ns = tmp_printf(c, "%.*s", (int)(dot - name), name);
	} else {
		inner_ns = own_ns ? own_ns : ns;
		full = inner_ns && *inner_ns ? tmp_printf(c, "%s.%s", inner_ns, name) : name;
	}
	if (!full || !inner_ns)
		inner_ns = "";
	for (size_t i = 0; i < A->named.n; i++) {
		named_type *t = A->named.v[i];
		if (full && strcmp(t->fullname, full) == 0) {
			if (t->def != def)
				diag(c, ING_ERROR, def, "Avro type '%s' is defined twice (first at line %u)", full, t->def->line);
			return t;
		}
	}
	named_type *t = tmp_alloc(c, sizeof *t);
	if (!t || !full)
		return NULL;
	t->fullname = full;
	t->name = short_name;
	t->def = def;
	t->kind = kind;
	t->ns = inner_ns;
	pvec_push(c, &A->named, t);
	return t;
}

/* ------------------------------------------------------------------ leaves */

static void leaf(avro *A, const char *name, const char *type, int nullable, const ynode *dflt, const ynode *doc)
{
	cx *c = A->c;
	if (A->full)
		return;
	if (A->out->n >= ING_MAX_SCHEMA_FIELDS) {
		diag(c, ING_ERROR, NULL, "the schema flattens to more than %u fields", ING_MAX_SCHEMA_FIELDS);
		A->full = 1;
		return;
	}
	Field *f = msg_new(c, &tributary__v1__field__descriptor);
	if (!f)
		return;
	f->name = (char *)name;
	f->type = (char *)type;
	f->nullable = nullable;
	if (dflt) {
		f->default_value = node_to_json(c, dflt);
		f->has_default = f->default_value != NULL;
		if (!f->default_value)
			f->default_value = "";
	}
	if (doc && doc->type == Y_STR)
		f->doc = (char *)doc->s;
	pvec_push(c, A->out, f);
}

static void flatten_record(avro *A, const ynode *rec, named_type *t, const char *prefix, int nullable);

/* A short label for a type used inside array<>, map<> and union<>. Defines
 * named types met on the way so that later references resolve. */
static const char *label(avro *A, const ynode *type, const char *ns, unsigned depth)
{
	cx *c = A->c;
	if (depth > 16)
		return "?";
	if (type->type == Y_STR) {
		if (is_primitive(type->s))
			return type->s;
		named_type *t = find_named(A, type->s, ns);
		if (t)
			return t->name;
		if (!A->lenient)
			diag(c, ING_ERROR, type, "unknown Avro type '%s'", type->s);
		return type->s;
	}
	if (type->type == Y_SEQ) {
		const char *acc = NULL;
		for (size_t i = 0; i < type->n; i++) {
			const char *l = label(A, type->items[i], ns, depth + 1);
			acc = acc ? cx_printf(c, "%s,%s", acc, l) : l;
		}
		return cx_printf(c, "union<%s>", acc ? acc : "");
	}
	if (type->type != Y_MAP) {
		diag(c, ING_ERROR, type, "expected an Avro type (a name, a union list or a type object), got %s",
		     ytype_name(type->type));
		return "?";
	}
	const char *k = str_attr(type, "type");
	const char *logical = str_attr(type, "logicalType");
	if (!k) {
		const ynode *inner = map_get(type, "type");
		if (inner && (inner->type == Y_MAP || inner->type == Y_SEQ))
			return label(A, inner, ns, depth + 1);
		diag(c, ING_ERROR, type, "an Avro type object needs a 'type'");
		return "?";
	}
	if (strcmp(k, "record") == 0 || strcmp(k, "error") == 0 || strcmp(k, "enum") == 0 || strcmp(k, "fixed") == 0) {
		named_type *t = define(A, type, strcmp(k, "error") == 0 ? "record" : k, ns);
		if (logical && strcmp(logical, "decimal") == 0)
			goto logical_type;
		if (!t)
			return "?";
		return strcmp(k, "record") == 0 || strcmp(k, "error") == 0 ? t->name
									   : cx_printf(c, "%s<%s>", k, t->name);
	}
	if (strcmp(k, "array") == 0 || strcmp(k, "map") == 0) {
		const ynode *inner = map_get(type, strcmp(k, "array") == 0 ? "items" : "values");
		if (!inner) {
			diag(c, ING_ERROR, type, "an Avro %s needs '%s'", k, strcmp(k, "array") == 0 ? "items" : "values");
			return "?";
		}
		return cx_printf(c, "%s<%s>", k, label(A, inner, ns, depth + 1));
	}
	if (logical)
		goto logical_type;
	if (is_primitive(k))
		return k;
	return label(A, map_get(type, "type"), ns, depth + 1);
logical_type:
	if (strcmp(logical, "decimal") == 0) {
		const ynode *p = map_get(type, "precision"), *s = map_get(type, "scale");
		if (p && p->type == Y_INT)
			return cx_printf(c, "decimal(%s,%s)", p->s, s && s->type == Y_INT ? s->s : "0");
	}
	return logical;
}

/* Emit the field `name` of Avro type `type`: leaves, or a flattened record. */
static void emit(avro *A, const char *name, const ynode *type, const char *ns, int nullable, const ynode *dflt,
		 const ynode *doc, unsigned depth)
{
	cx *c = A->c;
	if (depth > 16 || c->stop) {
		diag(c, ING_ERROR, type, "Avro type nested too deeply");
		return;
	}
	if (type->type == Y_STR) {
		if (is_primitive(type->s)) {
			leaf(A, name, type->s, nullable || strcmp(type->s, "null") == 0, dflt, doc);
			return;
		}
		named_type *t = find_named(A, type->s, ns);
		if (!t) {
			if (!A->lenient)
				diag(c, ING_ERROR, type, "unknown Avro type '%s'", type->s);
			leaf(A, name, type->s, nullable, dflt, doc);
			return;
		}
		if (strcmp(t->kind, "record") == 0)
			flatten_record(A, t->def, t, name, nullable);
		else
			leaf(A, name, cx_printf(c, "%s<%s>", t->kind, t->name), nullable, dflt, doc);
		return;
	}
	if (type->type == Y_SEQ) { /* a union */
		const ynode *only = NULL;
		size_t nonnull = 0;
		int has_null = 0;
		for (size_t i = 0; i < type->n; i++) {
			const ynode *m = type->items[i];
			/* A YAML `[null, string]` has a real null; JSON has the string "null". */
			if (m->type == Y_NULL || (m->type == Y_STR && strcmp(m->s, "null") == 0)) {
				has_null = 1;
			} else {
				only = m;
				nonnull++;
			}
		}
		if (nonnull == 1) {
			emit(A, name, only, ns, nullable || has_null, dflt, doc, depth + 1);
		} else if (nonnull == 0) {
			leaf(A, name, "null", 1, dflt, doc);
		} else {
			const char *acc = NULL;
			for (size_t i = 0; i < type->n; i++) {
				const ynode *m = type->items[i];
				if (m->type == Y_NULL || (m->type == Y_STR && strcmp(m->s, "null") == 0))
					continue;
				const char *l = label(A, m, ns, depth + 1);
				acc = acc ? cx_printf(c, "%s,%s", acc, l) : l;
			}
			leaf(A, name, cx_printf(c, "union<%s>", acc), nullable || has_null, dflt, doc);
		}
		return;
	}
	if (type->type != Y_MAP) {
		diag(c, ING_ERROR, type, "expected an Avro type (a name, a union list or a type object), got %s",
		     ytype_name(type->type));
		return;
	}
	const char *k = str_attr(type, "type");
	if (k && (strcmp(k, "record") == 0 || strcmp(k, "error") == 0) && !str_attr(type, "logicalType")) {
		named_type *t = define(A, type, "record", ns);
		if (t)
			flatten_record(A, type, t, name, nullable);
		return;
	}
	if (!k && map_get(type, "type") && map_get(type, "type")->type != Y_NULL) {
		emit(A, name, map_get(type, "type"), ns, nullable, dflt, doc, depth + 1);
		return;
	}
	leaf(A, name, label(A, type, ns, depth + 1), nullable, dflt, doc);
}

static const char *const field_attrs[] = {"name", "type", "default", "doc", "order", "aliases", "logicalType"};

static void flatten_record(avro *A, const ynode *rec, named_type *t, const char *prefix, int nullable)
{
	cx *c = A->c;
	for (size_t i = 0; i < A->nopen; i++)
		if (A->open[i] == rec) {
			/* A recursive type (a linked list): the field is a leaf of that type. */
			leaf(A, prefix, t->name, 1, NULL, NULL);
			return;
		}
	if (A->nopen == MAX_RECORD_NESTING) {
		diag(c, ING_ERROR, rec, "records nested more than %d deep", MAX_RECORD_NESTING);
		return;
	}
	const ynode *fields = map_get(rec, "fields");
	if (!fields || fields->type != Y_SEQ) {
		diag(c, ING_ERROR, rec, "an Avro record needs a 'fields' list");
		return;
	}
	A->open[A->nopen++] = rec;
	for (size_t i = 0; i < fields->n && !c->stop && !A->full; i++) {
		const ynode *f = fields->items[i];
		if (!cx_visit(c, f))
			break;
		if (f->type != Y_MAP) {
			diag(c, ING_ERROR, f, "an Avro field must be an object, got %s", ytype_name(f->type));
			continue;
		}
		const char *name = str_attr(f, "name");
		const ynode *type = map_get(f, "type");
		if (!name || !type) {
			diag(c, ING_ERROR, f, "an Avro field needs 'name' and 'type'");
			continue;
		}
		if (A->lenient)
			for (size_t j = 0; j < f->n; j++) {
				const ynode *key = f->items[2 * j];
				size_t k;
				for (k = 0; k < sizeof field_attrs / sizeof field_attrs[0]; k++)
					if (strcmp(field_attrs[k], key->s) == 0)
						break;
				if (k == sizeof field_attrs / sizeof field_attrs[0])
					unknown_key(c, key, field_attrs, sizeof field_attrs / sizeof field_attrs[0]);
			}
		const char *full = prefix && *prefix ? cx_printf(c, "%s.%s", prefix, name) : name;
		if (!full)
			break;
		if (trib_name_check(TRIB_KIND_FIELD, full) != 0) {
			diag(c, ING_ERROR, map_get(f, "name"), "%s", trib_error_last());
			continue;
		}
		emit(A, full, type, t->ns, nullable, map_get(f, "default"), map_get(f, "doc"), 0);
	}
	A->nopen--;
}

void avro_flatten(cx *c, const ynode *record, pvec *out)
{
	avro A = {.c = c, .out = out};
	const char *k = str_attr(record, "type");
	if (record->type != Y_MAP || !k || (strcmp(k, "record") != 0 && strcmp(k, "error") != 0)) {
		diag(c, ING_ERROR, record, "an Avro schema for a port must be a record (\"type\": \"record\")");
		return;
	}
	named_type *t = define(&A, record, "record", "");
	if (t)
		flatten_record(&A, record, t, "", 0);
}

/* ------------------------------------------------------------------ inline lists */

typedef struct field_build {
	const ynode *name, *type, *nullable, *dflt, *doc;
} field_build;

static const keyspec field_keys[] = {
	{"name", NULL, conv_capture, offsetof(field_build, name), 0, NULL, K_REQUIRED},
	{"type", NULL, conv_capture, offsetof(field_build, type), 0, NULL, 0},
	{"nullable", NULL, conv_capture, offsetof(field_build, nullable), 0, NULL, 0},
	{"default", NULL, conv_capture, offsetof(field_build, dflt), 0, NULL, K_NULL_OK},
	{"doc", "description", conv_capture, offsetof(field_build, doc), 0, NULL, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};

/* Keys of the short form's value: `customer_id: {type: string, nullable: true}`. */
static const keyspec short_keys[] = {
	{"type", NULL, conv_capture, offsetof(field_build, type), 0, NULL, 0},
	{"nullable", NULL, conv_capture, offsetof(field_build, nullable), 0, NULL, 0},
	{"default", NULL, conv_capture, offsetof(field_build, dflt), 0, NULL, K_NULL_OK},
	{"doc", "description", conv_capture, offsetof(field_build, doc), 0, NULL, 0},
	{NULL, NULL, NULL, 0, 0, NULL, 0},
};

/* `- {type: int}` is a long form missing its name, not a field called "type". */
static int is_field_attr(const char *key)
{
	for (const keyspec *k = field_keys; k->key; k++)
		if (strcmp(k->key, key) == 0 || (k->alt && strcmp(k->alt, key) == 0))
			return 1;
	return 0;
}

static void inline_field(avro *A, const ynode *item)
{
	cx *c = A->c;
	field_build fb = {0};
	const ynode *name_at = item;
	int short_form = 0;
	if (item->type == Y_STR || item->type == Y_INT) {
		fb.name = item; /* - customer_id */
	} else if (item->type == Y_MAP && item->n == 1 && !is_field_attr(item->items[0]->s)) {
		/* - customer_id: string */
		const ynode *key = item->items[0], *val = item->items[1];
		fb.name = name_at = key;
		short_form = 1;
		size_t pl = path_key(c, key->s);
		if (val->type == Y_MAP)
			walk_map(c, val, short_keys, &fb);
		else if (val->type != Y_NULL)
			fb.type = val;
		path_pop(c, pl);
	} else if (item->type == Y_MAP) {
		if (walk_map(c, item, field_keys, &fb) != 0 || !fb.name)
			return;
		name_at = fb.name;
	} else {
		diag(c, ING_ERROR, item, "expected a field (a name, 'name: type' or a mapping with 'name'), got %s",
		     ytype_name(item->type));
		return;
	}
	if (!want_scalar(c, fb.name, "a field name"))
		return;
	if (trib_name_check(TRIB_KIND_FIELD, fb.name->s) != 0) {
		diag(c, ING_ERROR, name_at, "%s", trib_error_last());
		return;
	}
	int nullable = 0;
	if (fb.nullable) {
		if (fb.nullable->type != Y_BOOL)
			diag(c, ING_ERROR, fb.nullable, "expected true or false for 'nullable', got %s",
			     ytype_name(fb.nullable->type));
		else
			nullable = fb.nullable->boolean;
	}
	if (fb.doc && !want_scalar(c, fb.doc, "a description"))
		fb.doc = NULL;
	/* The short form's name is a mapping key, which is scratch. */
	const char *name = short_form ? str_keep(c, fb.name->s, fb.name->len) : fb.name->s;
	if (!name)
		return;
	if (!fb.type)
		leaf(A, name, "", nullable, fb.dflt, fb.doc);
	else
		emit(A, name, fb.type, "", nullable, fb.dflt, fb.doc, 0);
}

void inline_fields(cx *c, const ynode *list, pvec *out)
{
	avro A = {.c = c, .out = out, .lenient = 1};
	if (!want_seq(c, list))
		return;
	for (size_t i = 0; i < list->n && !c->stop && !A.full; i++) {
		size_t pl = path_index(c, i);
		if (cx_visit(c, list->items[i]))
			inline_field(&A, list->items[i]);
		path_pop(c, pl);
	}
}

/* ------------------------------------------------------------------ ports */

/* "scheme://..." other than file:// is a remote reference. */
static int is_remote(const char *s)
{
	const char *p = strstr(s, "://");
	if (!p || p == s)
		return 0;
	for (const char *q = s; q < p; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '+' ||
		      *q == '-' || *q == '.'))
			return 0;
	return strncmp(s, "file://", 7) != 0;
}

/* Read and flatten an Avro schema file; problems inside it name that file. */
static void load_schema_file(cx *c, const ynode *at, const char *text, pvec *out)
{
	const char *rel = strncmp(text, "file://", 7) == 0 ? text + 7 : text;
	const char *full = rel[0] == '/' || !c->dir || !*c->dir ? rel : cx_printf(c, "%s/%s", c->dir, rel);
	if (!full)
		return;
	char *data = NULL;
	size_t len = 0;
	int rc = read_file_bounded(full, c->opts.max_file_size, &data, &len);
	if (rc != 0) {
		diag(c, ING_ERROR, at, "schema '%s': %s", text, trib_error_last());
		return;
	}
	const char *saved = c->file;
	c->file = full;
	ynode *root = NULL;
	if (tree_parse_json(c, &root, data, len) == 0 && root)
		avro_flatten(c, root, out);
	c->file = saved;
	free(data);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void schema_resolve(cx *c, Tributary__V1__OutputPort *port, const ynode *schema, const ynode *fields)
{
	pvec out = {0};
	if (schema) {
		size_t pl = path_key(c, "schema");
		if (schema->type == Y_STR) {
			port->schema_ref = (char *)schema->s;
			if (is_remote(schema->s)) {
				if (!fields)
					diag(c, ING_WARNING, schema,
					     "schema '%s' is not resolved locally; kept as a reference without fields", schema->s);
			} else if (fields) {
				diag(c, ING_ERROR, schema, "give a schema file or inline 'fields', not both");
			} else {
				load_schema_file(c, schema, schema->s, &out);
			}
		} else if (schema->type == Y_MAP) {
			const ynode *inner = map_get(schema, "fields");
			if (fields) {
				diag(c, ING_ERROR, schema, "give an inline schema or inline 'fields', not both");
			} else if (map_get(schema, "type")) {
				avro_flatten(c, schema, &out);
			} else if (inner && schema->n == 1) {
				size_t pf = path_key(c, "fields");
				inline_fields(c, inner, &out);
				path_pop(c, pf);
			} else {
				diag(c, ING_ERROR, schema, "an inline schema needs 'type: record' (Avro) or only 'fields:'");
			}
		} else {
			diag(c, ING_ERROR, schema, "expected a schema file path, a URL or an inline schema, got %s",
			     ytype_name(schema->type));
		}
		path_pop(c, pl);
	}
	if (fields) {
		size_t pl = path_key(c, "fields");
		inline_fields(c, fields, &out);
		path_pop(c, pl);
	}
	/* Flattening can meet the same dotted name twice (a field "a.b" and a record a with b). */
	if (out.n > 1) {
		const char **names = malloc(out.n * sizeof *names);
		if (names) {
			for (size_t i = 0; i < out.n; i++)
				names[i] = ((Field *)out.v[i])->name;
			qsort(names, out.n, sizeof *names, cmp_str);
			for (size_t i = 1; i < out.n; i++)
				if (strcmp(names[i], names[i - 1]) == 0 && (i == 1 || strcmp(names[i], names[i - 2]) != 0))
					diag(c, ING_ERROR, fields ? fields : schema, "field '%s' appears twice in port '%s'",
					     names[i], port->name);
			free(names);
		}
	}
	port->fields = (Field **)pvec_finish(c, &out);
	port->n_fields = out.n;
}
