/* Human output of lineage replies: trees, tables, Graphviz dot, Mermaid. */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "render.h"
#include "table.h"

/* A tree deeper than this keeps its indentation and shows the depth instead:
 * a 1000-hop chain would otherwise print megabytes of box drawing. */
#define MAX_INDENT 32

/* ref -> node index, open addressing; sized for the reply, in the arena. */
typedef struct ref_index {
	const char **keys;
	size_t *vals;
	size_t cap;
} ref_index;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int index_init(ref_index *ix, trib_arena *a, size_t n)
{
	size_t cap = 16;
	while (cap < n * 2 + 1)
		cap *= 2;
	ix->keys = trib_arena_calloc(a, cap, sizeof *ix->keys);
	ix->vals = trib_arena_calloc(a, cap, sizeof *ix->vals);
	ix->cap = cap;
	return ix->keys && ix->vals ? 0 : -1;
}

static void index_put(ref_index *ix, const char *key, size_t val)
{
	size_t i = hash_str(key) & (ix->cap - 1);
	while (ix->keys[i]) {
		if (strcmp(ix->keys[i], key) == 0)
			return; /* first occurrence wins */
		i = (i + 1) & (ix->cap - 1);
	}
	ix->keys[i] = key;
	ix->vals[i] = val;
}

static int index_get(const ref_index *ix, const char *key, size_t *val)
{
	size_t i = hash_str(key) & (ix->cap - 1);
	while (ix->keys[i]) {
		if (strcmp(ix->keys[i], key) == 0) {
			*val = ix->vals[i];
			return 1;
		}
		i = (i + 1) & (ix->cap - 1);
	}
	return 0;
}

static const char *kind_word(trib_arena *a, int kind)
{
	return trib_enum_word(a, &tributary__v1__node_kind__descriptor, kind);
}

/* "(port, team-a, placeholder)": what a tree line says besides the ref. */
static char *node_notes(trib_arena *a, const Tributary__V1__LineageNode *n)
{
	char *parts[4];
	size_t k = 0;
	if (n->kind != TRIBUTARY__V1__NODE_KIND__NODE_KIND_PRODUCT)
		parts[k++] = (char *)kind_word(a, (int)n->kind);
	if (*n->owner)
		parts[k++] = n->owner;
	if (n->placeholder)
		parts[k++] = (char *)"placeholder";
	if (n->deprecated)
		parts[k++] = (char *)"deprecated";
	if (!k)
		return (char *)"";
	return trib_arena_printf(a, "  (%s)", trib_text_join(a, parts, k, ", "));
}

static void render_tree(FILE *out, trib_arena *a, const Tributary__V1__LineageGraph *g)
{
	size_t n = g->n_nodes;
	ref_index ix;
	/* children as linked lists in BFS order: first[i], next[i]; parent[i] */
	size_t *first = trib_arena_calloc(a, n + 1, sizeof *first);
	size_t *last = trib_arena_calloc(a, n + 1, sizeof *last);
	size_t *next = trib_arena_calloc(a, n + 1, sizeof *next);
	size_t *stack = trib_arena_calloc(a, n + 1, sizeof *stack);
	/* bit 1: an edge node -> root (upstream of it); bit 2: root -> node */
	unsigned char *side = trib_arena_calloc(a, n + 1, 1);
	char *prefix = trib_arena_alloc(a, MAX_INDENT * 4 + 1);
	if (index_init(&ix, a, n) || !first || !last || !next || !stack || !side || !prefix)
		return;
	for (size_t i = 0; i < n; i++)
		index_put(&ix, g->nodes[i]->ref, i);
	unsigned sides = 0;
	for (size_t e = 0; e < g->n_edges; e++) {
		size_t k;
		if (strcmp(g->edges[e]->to, g->root) == 0 && index_get(&ix, g->edges[e]->from, &k))
			side[k] |= 1;
		if (strcmp(g->edges[e]->from, g->root) == 0 && index_get(&ix, g->edges[e]->to, &k))
			side[k] |= 2;
	}
	for (size_t i = 0; i < n; i++)
		sides |= side[i];

	/* Index 0..n-1 are nodes (stored +1 so 0 means none); roots: no
	 * predecessor in this reply (the root, or nodes whose predecessor was
	 * filtered out or lies on another page). */
	size_t nroots = 0;
	size_t *roots = trib_arena_calloc(a, n + 1, sizeof *roots);
	if (!roots)
		return;
	for (size_t i = 0; i < n; i++) {
		size_t p;
		const Tributary__V1__LineageNode *node = g->nodes[i];
		if (*node->predecessor && index_get(&ix, node->predecessor, &p) && p != i) {
			if (last[p])
				next[last[p] - 1] = i + 1;
			else
				first[p] = i + 1;
			last[p] = i + 1;
		} else {
			roots[nroots++] = i;
		}
	}

	for (size_t r = 0; r < nroots; r++) {
		const Tributary__V1__LineageNode *rn = g->nodes[roots[r]];
		fprintf(out, "%s%s", trib_text_clean(a, rn->ref), trib_text_clean(a, node_notes(a, rn)));
		if (rn->depth && *rn->predecessor)
			fprintf(out, "  [depth %" PRIu32 ", via %s]", rn->depth, trib_text_clean(a, rn->predecessor));
		else if (rn->depth)
			fprintf(out, "  [depth %" PRIu32 "]", rn->depth);
		fputc('\n', out);
		/* Iterative depth-first walk: stack holds the next sibling to print per level. */
		size_t sp = 0;
		if (first[roots[r]])
			stack[sp++] = first[roots[r]];
		while (sp) {
			size_t cur = stack[sp - 1];
			if (!cur) {
				sp--;
				continue;
			}
			size_t i = cur - 1;
			stack[sp - 1] = next[i];
			size_t depth = sp; /* 1 for the root's children */
			size_t shown = depth > MAX_INDENT ? MAX_INDENT : depth;
			/* Guides for the ancestors: a bar where that level has more siblings. */
			size_t len = 0;
			for (size_t d = 0; d + 1 < shown; d++) {
				const char *guide = stack[d] ? "\xe2\x94\x82   " : "    ";
				size_t gl = strlen(guide);
				memcpy(prefix + len, guide, gl);
				len += gl;
			}
			prefix[len] = '\0';
			const Tributary__V1__LineageNode *node = g->nodes[i];
			const char *arrow = "";
			if (sides == 3 && depth == 1 && side[i] == 1)
				arrow = "\xe2\x86\x91 "; /* an upstream neighbour in a two-way tree */
			fprintf(out, "%s%s%s%s%s", prefix, next[i] ? "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 "
								   : "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 ",
				arrow, trib_text_clean(a, node->ref), trib_text_clean(a, node_notes(a, node)));
			if (depth > MAX_INDENT)
				fprintf(out, "  [depth %zu]", depth);
			fputc('\n', out);
			if (first[i])
				stack[sp++] = first[i];
		}
	}
}

static void render_table(FILE *out, trib_arena *a, const Tributary__V1__LineageGraph *g)
{
	trib_table t;
	trib_table_init(&t, a, 7, "DEPTH", "REF", "KIND", "OWNER", "DOMAIN", "STATUS", "VIA");
	trib_table_right(&t, 0);
	for (size_t i = 0; i < g->n_nodes; i++) {
		const Tributary__V1__LineageNode *n = g->nodes[i];
		const char *status = n->placeholder ? "placeholder" : n->deprecated ? "deprecated" : "";
		trib_table_row(&t, trib_text_u64(a, n->depth), n->ref, kind_word(a, (int)n->kind), n->owner,
			       n->domain, status, n->predecessor);
	}
	trib_table_print(out, &t, 1);
}

/* A double-quoted DOT ID. */
static void dot_id(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if ((unsigned char)*s < 0x20)
			fputc(' ', out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void render_dot(FILE *out, const Tributary__V1__LineageGraph *g)
{
	fputs("digraph lineage {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n",
	      out);
	for (size_t i = 0; i < g->n_nodes; i++) {
		const Tributary__V1__LineageNode *n = g->nodes[i];
		fputs("  ", out);
		dot_id(out, n->ref);
		const char *style = strcmp(n->ref, g->root) == 0 ? "rounded,bold"
				    : n->placeholder                ? "rounded,dashed"
				    : n->deprecated                 ? "rounded,dotted"
								    : NULL;
		const char *shape = n->kind == TRIBUTARY__V1__NODE_KIND__NODE_KIND_SOURCE  ? "cylinder"
				    : n->kind == TRIBUTARY__V1__NODE_KIND__NODE_KIND_FIELD ? "plain"
				    : n->kind == TRIBUTARY__V1__NODE_KIND__NODE_KIND_PORT  ? "cds"
										 : NULL;
		if (style || shape) {
			fputs(" [", out);
			if (style)
				fprintf(out, "style=\"%s\"", style);
			if (shape)
				fprintf(out, "%sshape=%s", style ? ", " : "", shape);
			fputc(']', out);
		}
		fputs(";\n", out);
	}
	for (size_t i = 0; i < g->n_edges; i++) {
		const Tributary__V1__LineageEdge *e = g->edges[i];
		fputs("  ", out);
		dot_id(out, e->from);
		fputs(" -> ", out);
		dot_id(out, e->to);
		if (*e->kind && strcmp(e->kind, "feeds") != 0) {
			fputs(" [label=", out);
			dot_id(out, e->kind);
			fputc(']', out);
		}
		fputs(";\n", out);
	}
	fputs("}\n", out);
}

/* A Mermaid label: quotes become #quot; so any ref fits inside ["..."]. */
static void mermaid_label(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputs("#quot;", out);
		else if ((unsigned char)*s < 0x20)
			fputc(' ', out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void render_mermaid(FILE *out, trib_arena *a, const Tributary__V1__LineageGraph *g)
{
	size_t n = g->n_nodes;
	ref_index ix;
	/* Edges may name nodes of another page: they get ids after the nodes. */
	if (index_init(&ix, a, n + g->n_edges * 2))
		return;
	fputs("flowchart LR\n", out);
	for (size_t i = 0; i < n; i++) {
		index_put(&ix, g->nodes[i]->ref, i);
		fprintf(out, "  n%zu[", i);
		mermaid_label(out, g->nodes[i]->ref);
		fputs("]\n", out);
	}
	size_t extra = n;
	for (size_t i = 0; i < g->n_edges; i++) {
		const char *ends[2] = {g->edges[i]->from, g->edges[i]->to};
		size_t id[2];
		for (int k = 0; k < 2; k++)
			if (!index_get(&ix, ends[k], &id[k])) {
				id[k] = extra++;
				index_put(&ix, ends[k], id[k]);
				fprintf(out, "  n%zu[", id[k]);
				mermaid_label(out, ends[k]);
				fputs("]\n", out);
			}
		const char *kind = g->edges[i]->kind;
		if (*kind && strcmp(kind, "feeds") != 0) {
			fprintf(out, "  n%zu -->|", id[0]);
			mermaid_label(out, kind);
			fprintf(out, "| n%zu\n", id[1]);
		} else {
			fprintf(out, "  n%zu --> n%zu\n", id[0], id[1]);
		}
	}
	int any_ph = 0, any_dep = 0;
	for (size_t i = 0; i < n; i++) {
		any_ph |= g->nodes[i]->placeholder;
		any_dep |= g->nodes[i]->deprecated;
	}
	fputs("  classDef root stroke-width:3px\n", out);
	if (any_ph)
		fputs("  classDef placeholder stroke-dasharray:5 5\n", out);
	if (any_dep)
		fputs("  classDef deprecated fill:#eee,color:#777\n", out);
	for (size_t i = 0; i < n; i++) {
		const Tributary__V1__LineageNode *node = g->nodes[i];
		if (strcmp(node->ref, g->root) == 0)
			fprintf(out, "  class n%zu root\n", i);
		else if (node->placeholder)
			fprintf(out, "  class n%zu placeholder\n", i);
		else if (node->deprecated)
			fprintf(out, "  class n%zu deprecated\n", i);
	}
}

void trib_render_lineage(FILE *out, trib_arena *a, const Tributary__V1__LineageGraph *g, int format)
{
	switch (format) {
	case TRIB_FMT_DOT:
		render_dot(out, g);
		return;
	case TRIB_FMT_MERMAID:
		render_mermaid(out, a, g);
		return;
	case TRIB_FMT_TABLE:
		render_table(out, a, g);
		break;
	default:
		render_tree(out, a, g);
		break;
	}
	fprintf(out, "%zu node%s, %zu edge%s", g->n_nodes, g->n_nodes == 1 ? "" : "s", g->n_edges,
		g->n_edges == 1 ? "" : "s");
	if (g->total_nodes > g->n_nodes)
		fprintf(out, " (of %" PRIu32 " in all pages)", g->total_nodes);
	fputc('\n', out);
	if (g->truncated)
		fputs("truncated: a node limit or the deadline cut the traversal (see --max-nodes, --depth)\n",
		      out);
	if (*g->next_page_token)
		fprintf(out, "next page: --page-token %s\n", trib_text_clean(a, g->next_page_token));
}

static char *counts_text(trib_arena *a, Tributary__V1__Count *const *c, size_t n)
{
	if (!n)
		return (char *)"-";
	char **parts = trib_arena_calloc(a, n, sizeof *parts);
	if (!parts)
		return (char *)"";
	for (size_t i = 0; i < n; i++)
		parts[i] = trib_arena_printf(a, "%s %" PRIu32, *c[i]->key ? c[i]->key : "(unknown)", c[i]->count);
	return trib_text_join(a, parts, n, ", ");
}

/* Field refs grouped by their product: "a/b#x,y, c/d#z" reads better than
 * repeating the product before every field. */
static char *via_text(trib_arena *a, char *const *refs, size_t n)
{
	char *text = (char *)"";
	const char *group = NULL;
	size_t group_len = 0;
	for (size_t i = 0; i < n; i++) {
		const char *hash = strchr(refs[i], '#');
		size_t plen = hash ? (size_t)(hash - refs[i]) : 0;
		if (hash && group && plen == group_len && strncmp(refs[i], group, plen) == 0)
			text = trib_arena_printf(a, "%s,%s", text, hash + 1);
		else
			text = trib_arena_printf(a, "%s%s%s", text, i ? ", " : "", refs[i]);
		if (!text)
			return (char *)"";
		group = hash ? refs[i] : NULL;
		group_len = plen;
	}
	return text;
}

void trib_render_impact(FILE *out, trib_arena *a, const Tributary__V1__ImpactReport *r)
{
	fprintf(out, "impact of %s: %" PRIu32 " product%s downstream%s\n", trib_text_clean(a, r->root), r->total,
		r->total == 1 ? "" : "s", r->truncated ? " (truncated: more exist)" : "");
	if (r->n_affected) {
		trib_table t;
		trib_table_init(&t, a, 6, "DEPTH", "PRODUCT", "OWNER", "DOMAIN", "VIA FIELDS", "PATH");
		trib_table_right(&t, 0);
		for (size_t i = 0; i < r->n_affected; i++) {
			const Tributary__V1__AffectedProduct *p = r->affected[i];
			char *ref = p->placeholder ? trib_arena_printf(a, "%s (placeholder)", p->ref) : p->ref;
			trib_table_row(&t, trib_text_u64(a, p->depth), ref, p->owner, p->domain,
				       via_text(a, p->via_fields, p->n_via_fields),
				       trib_text_join(a, p->path, p->n_path, " -> "));
		}
		trib_table_print(out, &t, 1);
	}
	fprintf(out, "by owner: %s\n", trib_text_clean(a, counts_text(a, r->by_owner, r->n_by_owner)));
	fprintf(out, "by domain: %s\n", trib_text_clean(a, counts_text(a, r->by_domain, r->n_by_domain)));
}

static void consumers(FILE *out, trib_arena *a, const char *title, Tributary__V1__ConsumerImpact *const *c,
		      size_t n)
{
	if (!n)
		return;
	fprintf(out, "\n%s\n", title);
	trib_table t;
	trib_table_init(&t, a, 6, "DEPTH", "PRODUCT", "OWNER", "DOMAIN", "FIELDS", "PATH");
	trib_table_right(&t, 0);
	t.indent = "  ";
	for (size_t i = 0; i < n; i++)
		trib_table_row(&t, trib_text_u64(a, c[i]->depth), c[i]->ref, c[i]->owner, c[i]->domain,
			       trib_text_join(a, c[i]->fields, c[i]->n_fields, ", "),
			       trib_text_join(a, c[i]->path, c[i]->n_path, " -> "));
	trib_table_print(out, &t, 1);
}

void trib_render_schema_change(FILE *out, trib_arena *a, const Tributary__V1__SchemaChangeReport *r)
{
	fprintf(out, "%s: %s\n", trib_text_clean(a, r->ref),
		*r->verdict ? trib_text_clean(a, r->verdict)
			    : r->compatible ? "backward compatible" : "breaking");
	if (r->n_changes) {
		fputs("\nchanges\n", out);
		trib_table t;
		trib_table_init(&t, a, 5, "FIELD", "CHANGE", "OLD TYPE", "NEW TYPE", "BREAKING");
		t.indent = "  ";
		for (size_t i = 0; i < r->n_changes; i++) {
			const Tributary__V1__SchemaChange *c = r->changes[i];
			trib_table_row(&t, c->field, trib_enum_word(a, &tributary__v1__change_kind__descriptor, (int)c->kind),
				       c->old_type, c->new_type, c->breaking ? "yes" : "no");
		}
		trib_table_print(out, &t, 1);
	} else {
		fputs("no changes\n", out);
	}
	consumers(out, a, "broken consumers", r->broken, r->n_broken);
	consumers(out, a, "possibly affected (read the whole product)", r->possibly_affected,
		  r->n_possibly_affected);
}

void trib_render_provenance(FILE *out, trib_arena *a, const Tributary__V1__ProvenanceReport *r)
{
	fprintf(out, "provenance of %s\n", trib_text_clean(a, r->root));
	const char *cls = r->effective_classification
				  ? trib_enum_word(a, &tributary__v1__classification__descriptor,
						   (int)r->effective_classification)
				  : "unspecified";
	fprintf(out, "  %-16s %s", "classification", cls);
	if (*r->classification_from)
		fprintf(out, " (from %s)", trib_text_clean(a, r->classification_from));
	fputc('\n', out);
	if (r->min_retention_days) {
		fprintf(out, "  %-16s %" PRId32 " days", "min retention", r->min_retention_days);
		if (*r->min_retention_from)
			fprintf(out, " (from %s)", trib_text_clean(a, r->min_retention_from));
		fputc('\n', out);
	} else {
		fprintf(out, "  %-16s %s\n", "min retention", "not stated upstream");
	}
	fprintf(out, "  %-16s %s", "erasure", r->erasure_required ? "required" : "not required");
	if (r->n_erasure_from)
		fprintf(out, " (from %s)",
			trib_text_clean(a, trib_text_join(a, r->erasure_from, r->n_erasure_from, ", ")));
	fputc('\n', out);
	fprintf(out, "  %-16s %s\n", "sources",
		r->n_sources ? trib_text_clean(a, trib_text_join(a, r->sources, r->n_sources, ", ")) : "-");

	if (r->n_upstream) {
		fputs("\nupstream\n", out);
		trib_table t;
		trib_table_init(&t, a, 5, "DEPTH", "REF", "KIND", "OWNER", "DOMAIN");
		trib_table_right(&t, 0);
		t.indent = "  ";
		for (size_t i = 0; i < r->n_upstream; i++) {
			const Tributary__V1__LineageNode *n = r->upstream[i];
			char *ref = n->placeholder ? trib_arena_printf(a, "%s (placeholder)", n->ref) : n->ref;
			trib_table_row(&t, trib_text_u64(a, n->depth), ref, kind_word(a, (int)n->kind), n->owner,
				       n->domain);
		}
		trib_table_print(out, &t, 1);
	}
	if (r->n_pii_fields) {
		fputs("\npii fields\n", out);
		trib_table t;
		trib_table_init(&t, a, 3, "FIELD", "ORIGIN", "DECLARED");
		t.indent = "  ";
		for (size_t i = 0; i < r->n_pii_fields; i++)
			trib_table_row(&t, r->pii_fields[i]->field, r->pii_fields[i]->origin,
				       r->pii_fields[i]->declared ? "yes" : "no");
		trib_table_print(out, &t, 1);
	}
	if (r->n_freshness_chain) {
		fputs("\nfreshness chain\n", out);
		trib_table t;
		trib_table_init(&t, a, 3, "REF", "FRESHNESS", "FEASIBLE");
		t.indent = "  ";
		for (size_t i = 0; i < r->n_freshness_chain; i++) {
			const Tributary__V1__FreshnessLink *l = r->freshness_chain[i];
			trib_table_row(&t, l->ref, *l->freshness ? l->freshness : "", l->feasible ? "yes" : "no");
		}
		trib_table_print(out, &t, 1);
	}
	if (r->n_violations) {
		fputs("\nviolations\n", out);
		for (size_t i = 0; i < r->n_violations; i++) {
			fputs("  ", out);
			trib_render_violation(out, a, "violation", r->violations[i]);
		}
	}
}
