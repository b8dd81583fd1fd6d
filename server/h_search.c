/*
 * tributary.v1.Catalog/Search: case-insensitive substring search over product
 * names, descriptions, tags, output ports and schema fields, then domains and
 * glossary terms. A scan, bounded per call: results come in id order (stable
 * paging), and a call that examined SCAN_BUDGET products returns what it found
 * with a token to continue, even if the page is not full.
 */
#include "srv.h"

#include <ctype.h>
#include <string.h>

#define SEARCH_TOKEN 'S'
#define SCAN_BUDGET 20000
#define SCAN_PAGE 128
#define QUERY_MAX 256
#define SNIPPET_MAX 120

enum { PH_PRODUCTS = 1, PH_DOMAINS = 2, PH_TERMS = 3, PH_DONE = 4 };

typedef struct search {
	srv_ctx *c;
	const Tributary__V1__SearchRequest *r;
	unsigned kinds;            /* bit per NodeKind wanted */
	size_t page;
	Tributary__V1__SearchHit **hits;
	size_t n, cap;
} search;

#define KIND_BIT(k) (1u << (k))

static const char *S(const char *s)
{
	return s ? s : "";
}

/* A window of text around the match, for display. */
static char *snippet(trib_arena *a, const char *text, const char *match, size_t qlen)
{
	size_t len = strlen(text);
	if (len <= SNIPPET_MAX)
		return trib_arena_strdup(a, text);
	size_t at = (size_t)(match - text);
	size_t start = at > (SNIPPET_MAX - qlen) / 2 ? at - (SNIPPET_MAX - qlen) / 2 : 0;
	if (start + SNIPPET_MAX > len)
		start = len - SNIPPET_MAX;
	return trib_arena_printf(a, "%s%.*s%s", start ? "..." : "", SNIPPET_MAX, text + start,
				 start + SNIPPET_MAX < len ? "..." : "");
}

static int add_hit(search *s, trib_kind kind, const char *ref, const char *domain, const char *owner,
		   const char *text, const char *match, double score)
{
	trib_arena *a = s->c->arena;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 32;
		void *p = trib_arena_realloc(a, s->hits, s->cap * sizeof *s->hits, ncap * sizeof *s->hits);
		if (!p)
			return trib_error_last_code();
		s->hits = p;
		s->cap = ncap;
	}
	Tributary__V1__SearchHit *h = srv_msg_new(a, &tributary__v1__search_hit__descriptor);
	if (!h || !(h->ref = trib_arena_strdup(a, ref)) || !(h->domain = trib_arena_strdup(a, S(domain))) ||
	    !(h->owner = trib_arena_strdup(a, S(owner))) ||
	    !(h->snippet = snippet(a, text, match, strlen(s->r->query))))
		return trib_error_last_code();
	h->kind = (Tributary__V1__NodeKind)kind;
	h->score = score;
	s->hits[s->n++] = h;
	return 0;
}

static int has_all_tags(const trib_product *p, const Tributary__V1__SearchRequest *r)
{
	for (size_t i = 0; i < r->n_tags; i++) {
		size_t k = 0;
		while (k < p->n_tags && strcmp(S(p->tags[k]), r->tags[i]) != 0)
			k++;
		if (k == p->n_tags)
			return 0;
	}
	return 1;
}

/* Hits of one product: itself, its output ports, its schema fields. */
static int product_hits(search *s, const trib_product *p)
{
	const char *q = s->r->query;
	char *ref = trib_arena_printf(s->c->arena, "%s/%s", S(p->domain), S(p->name));
	int rc;
	if (!ref)
		return trib_error_last_code();
	if (s->kinds & KIND_BIT(TRIB_KIND_PRODUCT)) {
		const char *m;
		if ((m = strcasestr(S(p->name), q))) {
			double score = strcasecmp(S(p->name), q) == 0 ? 10 : 5;
			return add_hit(s, TRIB_KIND_PRODUCT, ref, p->domain, p->owner, S(p->name), m, score);
		}
		for (size_t i = 0; i < p->n_tags; i++)
			if ((m = strcasestr(S(p->tags[i]), q)))
				return add_hit(s, TRIB_KIND_PRODUCT, ref, p->domain, p->owner, p->tags[i], m, 3);
		if ((m = strcasestr(S(p->description), q)) &&
		    (rc = add_hit(s, TRIB_KIND_PRODUCT, ref, p->domain, p->owner, p->description, m, 1)))
			return rc;
	}
	for (size_t i = 0; i < p->n_output_ports; i++) {
		const Tributary__V1__OutputPort *port = p->output_ports[i];
		const char *m;
		char *pref = trib_arena_printf(s->c->arena, "%s:%s", ref, S(port->name));
		if (!pref)
			return trib_error_last_code();
		if (s->kinds & KIND_BIT(TRIB_KIND_PORT)) {
			const char *text = S(port->name);
			if (!(m = strcasestr(text, q)))
				m = strcasestr(text = S(port->description), q);
			if (m && (rc = add_hit(s, TRIB_KIND_PORT, pref, p->domain, p->owner, text, m, 2)))
				return rc;
		}
		if (!(s->kinds & KIND_BIT(TRIB_KIND_FIELD)))
			continue;
		for (size_t f = 0; f < port->n_fields; f++) {
			const char *fname = S(port->fields[f]->name);
			if (!(m = strcasestr(fname, q)))
				continue;
			char *fref = trib_arena_printf(s->c->arena, "%s#%s", pref, fname);
			if (!fref)
				return trib_error_last_code();
			if ((rc = add_hit(s, TRIB_KIND_FIELD, fref, p->domain, p->owner, fname, m,
					  strcasecmp(fname, q) == 0 ? 4 : 2)))
				return rc;
		}
	}
	return 0;
}

static char *phase_token(trib_arena *a, int phase, const void *data, size_t len)
{
	unsigned char buf[1 + TRIB_NAME_MAX + 8];
	buf[0] = (unsigned char)phase;
	memcpy(buf + 1, data, len);
	return srv_token_encode(a, SEARCH_TOKEN, buf, 1 + len);
}

static char *product_token(trib_arena *a, uint64_t id)
{
	unsigned char b[8];
	for (int i = 7; i >= 0; i--, id >>= 8)
		b[i] = (unsigned char)id;
	return phase_token(a, PH_PRODUCTS, b, 8);
}

/* Scan products after *after; sets *token when the page filled or the budget ran out. */
static int scan_products(search *s, uint64_t after, char **token)
{
	graph_list_opts o = GRAPH_LIST_OPTS_INIT;
	o.domain = s->r->domain;
	o.tag = s->r->n_tags ? s->r->tags[0] : NULL;
	o.limit = SCAN_PAGE;
	size_t scanned = 0;
	trib_arena *a = s->c->arena;
	for (;;) {
		o.after_id = after;
		graph_product_page page;
		int rc = graph_product_list(&page, s->c->txn, a, &o);
		if (rc)
			return rc;
		for (size_t i = 0; i < page.count; i++) {
			if (!has_all_tags(page.items[i], s->r)) {
				after = page.ids[i];
				continue;
			}
			size_t before = s->n;
			if ((rc = product_hits(s, page.items[i])))
				return rc;
			if (s->n > s->page && before > 0) {
				/* This product's hits do not fit: it starts the next page. */
				s->n = before;
				*token = product_token(a, after);
				return *token ? 0 : trib_error_last_code();
			}
			after = page.ids[i];
			if (s->n >= s->page) {
				*token = product_token(a, after);
				return *token ? 0 : trib_error_last_code();
			}
		}
		scanned += page.count;
		if (!page.next_after)
			return 0;
		if (scanned >= SCAN_BUDGET || (rc = srv_ctx_check_deadline(s->c))) {
			*token = product_token(a, after);
			return *token ? 0 : trib_error_last_code();
		}
	}
}

/* Domains or terms by name after `after`. */
static int scan_names(search *s, int phase, const char *after, char **token)
{
	const char *q = s->r->query;
	trib_arena *a = s->c->arena;
	char cur[TRIB_NAME_MAX + 1];
	snprintf(cur, sizeof cur, "%s", after);
	for (;;) {
		size_t count = 0;
		const char *next = NULL;
		trib_domain **doms = NULL;
		trib_term **terms = NULL;
		int rc = phase == PH_DOMAINS
				 ? graph_domain_list(&doms, &count, &next, s->c->txn, a, cur, SCAN_PAGE)
				 : graph_term_list(&terms, &count, &next, s->c->txn, a, cur, SCAN_PAGE);
		if (rc)
			return rc;
		for (size_t i = 0; i < count; i++) {
			const char *name = phase == PH_DOMAINS ? doms[i]->name : terms[i]->name;
			const char *desc = phase == PH_DOMAINS ? doms[i]->description : terms[i]->description;
			const char *m;
			const char *text = name;
			double score = 5;
			if (!(m = strcasestr(S(name), q))) {
				text = desc;
				score = 1;
				m = strcasestr(S(desc), q);
			}
			if (m && !(phase == PH_DOMAINS && s->r->domain[0] && strcmp(name, s->r->domain) != 0)) {
				if (s->n >= s->page) {
					*token = phase_token(a, phase, cur, strlen(cur));
					return *token ? 0 : trib_error_last_code();
				}
				char ref[TRIB_NAME_MAX + 8];
				snprintf(ref, sizeof ref, phase == PH_DOMAINS ? "%s" : "term:%s", name);
				if (strcasecmp(name, q) == 0)
					score = 10;
				if ((rc = add_hit(s, phase == PH_DOMAINS ? TRIB_KIND_DOMAIN : TRIB_KIND_TERM, ref,
						  phase == PH_DOMAINS ? name : "",
						  phase == PH_DOMAINS ? doms[i]->owner_team : "", text, m, score)))
					return rc;
			}
			snprintf(cur, sizeof cur, "%s", name);
		}
		if (!next)
			return 0;
		if ((rc = srv_ctx_check_deadline(s->c))) {
			*token = phase_token(a, phase, cur, strlen(cur));
			return *token ? 0 : trib_error_last_code();
		}
	}
}

static int parse_kinds(unsigned *kinds, const Tributary__V1__SearchRequest *r)
{
	const unsigned supported = KIND_BIT(TRIB_KIND_PRODUCT) | KIND_BIT(TRIB_KIND_PORT) |
				   KIND_BIT(TRIB_KIND_FIELD) | KIND_BIT(TRIB_KIND_DOMAIN) | KIND_BIT(TRIB_KIND_TERM);
	*kinds = r->n_kinds ? 0 : supported;
	for (size_t i = 0; i < r->n_kinds; i++) {
		unsigned k = (unsigned)r->kinds[i];
		if (k >= 32 || !(supported & KIND_BIT(k)))
			return trib_error_set(TRIB_EINVALID,
					      "kinds[%zu]: searching %s nodes is not supported (product, port, field, "
					      "domain, term are)",
					      i, trib_kind_name((trib_kind)k));
		*kinds |= KIND_BIT(k);
	}
	return 0;
}

int srv_catalog_search(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__SearchRequest *r = (const void *)req;
	size_t qlen = strlen(S(r->query));
	if (qlen == 0)
		return trib_error_set(TRIB_EINVALID, "query: required");
	if (qlen > QUERY_MAX)
		return trib_error_set(TRIB_EINVALID, "query: longer than %d bytes", QUERY_MAX);
	if (r->domain[0] && trib_name_check(TRIB_KIND_DOMAIN, r->domain))
		return srv_error_at(TRIB_EINVALID, "domain");
	for (size_t i = 0; i < r->n_tags; i++)
		if (!r->tags[i][0] || strlen(r->tags[i]) > TRIB_NAME_MAX)
			return trib_error_set(TRIB_EINVALID, "tags[%zu]: a tag is 1-%d characters", i, TRIB_NAME_MAX);
	search s = {.c = c, .r = r, .page = srv_page_size(r->page_size)};
	int rc = parse_kinds(&s.kinds, r);
	if (rc)
		return rc;

	unsigned char tok[1 + TRIB_NAME_MAX + 8];
	size_t tlen = 0;
	if ((rc = srv_token_decode(&tlen, tok, sizeof tok - 1, r->page_token, SEARCH_TOKEN)))
		return rc;
	int phase = PH_PRODUCTS;
	uint64_t after_id = 0;
	char after_name[TRIB_NAME_MAX + 1] = "";
	if (tlen) {
		phase = tok[0];
		if (phase == PH_PRODUCTS && tlen == 9) {
			for (int i = 1; i <= 8; i++)
				after_id = after_id << 8 | tok[i];
		} else if ((phase == PH_DOMAINS || phase == PH_TERMS) && tlen - 1 <= TRIB_NAME_MAX) {
			memcpy(after_name, tok + 1, tlen - 1);
			after_name[tlen - 1] = '\0';
			if (strlen(after_name) != tlen - 1)
				phase = 0;
		} else {
			phase = 0;
		}
		if (!phase)
			return trib_error_set(TRIB_EINVALID, "page_token: not a token issued by Search");
	}
	/* Domains and terms have no tags, terms no domain: filters exclude them. */
	int want_products = (s.kinds & (KIND_BIT(TRIB_KIND_PRODUCT) | KIND_BIT(TRIB_KIND_PORT) |
					KIND_BIT(TRIB_KIND_FIELD))) != 0;
	int want_domains = (s.kinds & KIND_BIT(TRIB_KIND_DOMAIN)) && r->n_tags == 0;
	int want_terms = (s.kinds & KIND_BIT(TRIB_KIND_TERM)) && r->n_tags == 0 && !r->domain[0];
	char *token = NULL;
	if (phase == PH_PRODUCTS) {
		if (want_products && (rc = scan_products(&s, after_id, &token)))
			return rc;
		phase = PH_DOMAINS;
		after_name[0] = '\0';
	}
	if (!token && phase == PH_DOMAINS) {
		if (want_domains && (rc = scan_names(&s, PH_DOMAINS, after_name, &token)))
			return rc;
		phase = PH_TERMS;
		after_name[0] = '\0';
	}
	if (!token && phase == PH_TERMS && want_terms && (rc = scan_names(&s, PH_TERMS, after_name, &token)))
		return rc;

	Tributary__V1__SearchResponse *out = srv_msg_new(c->arena, &tributary__v1__search_response__descriptor);
	if (!out)
		return trib_error_last_code();
	out->hits = s.hits;
	out->n_hits = s.n;
	if (token)
		out->next_page_token = token;
	*resp = &out->base;
	return 0;
}
