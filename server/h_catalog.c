/* tributary.v1.Catalog: reading, deprecating and deleting products; domains, terms, history. */
#include "srv.h"

#include <string.h>

#define PRODUCT_TOKEN 'P'
#define DOMAIN_TOKEN 'D'
#define TERM_TOKEN 'T'

static uint64_t be64_get(const unsigned char *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void be64_put(unsigned char *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
}

int srv_token_id(uint64_t *id, const char *token, char kind)
{
	unsigned char b[8];
	size_t n = 0;
	*id = 0;
	int rc = srv_token_decode(&n, b, sizeof b, token, kind);
	if (rc)
		return rc;
	if (n == 0 && token && *token)
		return trib_error_set(TRIB_EINVALID, "page_token: not a token issued by this listing");
	if (n == 0)
		return 0;
	if (n != 8 || be64_get(b) == 0)
		return trib_error_set(TRIB_EINVALID, "page_token: not a token issued by this listing");
	*id = be64_get(b);
	return 0;
}

char *srv_token_of_id(trib_arena *a, char kind, uint64_t id)
{
	unsigned char b[8];
	be64_put(b, id);
	return srv_token_encode(a, kind, b, sizeof b);
}

int srv_resolve_product(uint64_t *id, graph_node *node, srv_ctx *c, const char *field, const char *ref)
{
	if (!ref || !*ref)
		return trib_error_set(TRIB_EINVALID, "%s: required (\"domain/name\" or a unique product name)", field);
	if (strlen(ref) > TRIB_REF_MAX)
		return trib_error_set(TRIB_EINVALID, "%s: longer than %d bytes", field, TRIB_REF_MAX);
	int rc = graph_resolve(id, c->txn, ref);
	if (rc == TRIB_EINVALID)
		return srv_error_at(rc, field);
	if (rc)
		return rc;
	if ((rc = graph_node_get(node, c->txn, c->arena, *id)))
		return rc;
	if (node->kind != TRIB_KIND_PRODUCT)
		return trib_error_set(TRIB_EINVALID, "%s: '%s' is a %s, not a data product", field, ref,
				      trib_kind_name(node->kind));
	return 0;
}

/* ---------------------------------------------------------------- products */

int srv_catalog_get_product(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__GetProductRequest *r = (const void *)req;
	uint64_t id;
	graph_node node;
	int rc = srv_resolve_product(&id, &node, c, "ref", r->ref);
	if (rc)
		return rc;
	trib_product *p;
	rc = graph_product_get(&p, c->txn, c->arena, id, r->revision);
	if (rc == TRIB_ENOTFOUND && r->revision)
		return trib_error_set(rc, "revision: %s has no revision %llu", node.ref,
				      (unsigned long long)r->revision);
	if (rc)
		return rc;
	*resp = &p->base;
	return 0;
}

/* A filter value must obey the naming rules of what it names. */
static int check_filter(const char *field, trib_kind kind, const char *value)
{
	if (!value || !*value)
		return 0;
	return trib_name_check(kind, value) ? srv_error_at(TRIB_EINVALID, field) : 0;
}

int srv_catalog_list_products(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__ListProductsRequest *r = (const void *)req;
	int rc;
	if ((rc = check_filter("domain", TRIB_KIND_DOMAIN, r->domain)) ||
	    (rc = check_filter("owner", TRIB_KIND_TEAM, r->owner)))
		return rc;
	if (r->tag && strlen(r->tag) > TRIB_NAME_MAX)
		return trib_error_set(TRIB_EINVALID, "tag: longer than %d characters", TRIB_NAME_MAX);
	graph_list_opts o = GRAPH_LIST_OPTS_INIT;
	if ((rc = srv_token_id(&o.after_id, r->page_token, PRODUCT_TOKEN)))
		return rc;
	o.domain = r->domain;
	o.owner = r->owner;
	o.tag = r->tag;
	o.include_placeholders = r->include_placeholders;
	o.limit = srv_page_size(r->page_size);
	graph_product_page page;
	if ((rc = graph_product_list(&page, c->txn, c->arena, &o)))
		return rc;
	Tributary__V1__ListProductsResponse *out =
		srv_msg_new(c->arena, &tributary__v1__list_products_response__descriptor);
	if (!out)
		return trib_error_last_code();
	out->products = page.items;
	out->n_products = page.count;
	if (page.next_after && !(out->next_page_token = srv_token_of_id(c->arena, PRODUCT_TOKEN, page.next_after)))
		return trib_error_last_code();
	*resp = &out->base;
	return 0;
}

static graph_put_opts put_opts(const srv_ctx *c)
{
	graph_put_opts o = GRAPH_PUT_OPTS_INIT;
	o.actor = c->actor;
	return o;
}

int srv_catalog_deprecate_product(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__DeprecateProductRequest *r = (const void *)req;
	uint64_t id;
	graph_node node;
	int rc = srv_resolve_product(&id, &node, c, "ref", r->ref);
	if (rc)
		return rc;
	if (r->note && strlen(r->note) > 4096)
		return trib_error_set(TRIB_EINVALID, "note: longer than 4096 bytes");
	graph_put_opts o = put_opts(c);
	trib_product *p;
	if ((rc = graph_product_deprecate(&p, c->txn, c->arena, id, r->note, r->replacement, &o)))
		return rc;
	*resp = &p->base;
	return 0;
}

int srv_catalog_delete_product(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__DeleteProductRequest *r = (const void *)req;
	uint64_t id;
	graph_node node;
	int rc = srv_resolve_product(&id, &node, c, "ref", r->ref);
	if (rc)
		return rc;
	graph_put_opts o = put_opts(c);
	graph_delete_result del;
	if ((rc = graph_product_delete(&del, c->txn, id, &o)))
		return rc;
	Tributary__V1__DeleteProductResponse *out =
		srv_msg_new(c->arena, &tributary__v1__delete_product_response__descriptor);
	if (!out)
		return trib_error_last_code();
	out->ref = (char *)node.ref;
	out->placeholder_left = del.placeholder_left;
	out->edges_removed = del.edges_removed;
	*resp = &out->base;
	return 0;
}

int srv_catalog_get_history(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__GetHistoryRequest *r = (const void *)req;
	uint64_t id;
	graph_node node;
	int rc = srv_resolve_product(&id, &node, c, "ref", r->ref);
	if (rc)
		return rc;
	Tributary__V1__GetHistoryResponse *out =
		srv_msg_new(c->arena, &tributary__v1__get_history_response__descriptor);
	if (!out)
		return trib_error_last_code();
	if ((rc = graph_history(&out->revisions, &out->n_revisions, &out->audit, &out->n_audit, c->txn, c->arena,
				id, r->limit)))
		return rc;
	out->ref = (char *)node.ref;
	*resp = &out->base;
	return 0;
}

/* ------------------------------------------------------- domains and terms */

int srv_catalog_upsert_domain(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const trib_domain *d = (const void *)req;
	graph_put_opts o = put_opts(c);
	int rc = graph_domain_put(c->txn, d, &o);
	trib_domain *stored;
	if (rc || (rc = graph_domain_get(&stored, c->txn, c->arena, d->name)))
		return rc;
	*resp = &stored->base;
	return 0;
}

int srv_catalog_upsert_glossary_term(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const trib_term *term = (const void *)req;
	graph_put_opts o = put_opts(c);
	int rc = graph_term_put(c->txn, term, &o);
	trib_term *stored;
	if (rc || (rc = graph_term_get(&stored, c->txn, c->arena, term->name)))
		return rc;
	*resp = &stored->base;
	return 0;
}

/* Domains and terms page by name: the token carries the last name returned. */
static int name_after(char *buf, size_t cap, const char *token, char kind)
{
	size_t n = 0;
	int rc = srv_token_decode(&n, buf, cap - 1, token, kind);
	if (rc)
		return rc;
	buf[n] = '\0';
	if (strlen(buf) != n || (token && *token && n == 0))
		return trib_error_set(TRIB_EINVALID, "page_token: not a token issued by this listing");
	return 0;
}

int srv_catalog_list_domains(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__ListDomainsRequest *r = (const void *)req;
	char after[TRIB_NAME_MAX + 2];
	int rc = name_after(after, sizeof after, r->page_token, DOMAIN_TOKEN);
	if (rc)
		return rc;
	Tributary__V1__ListDomainsResponse *out =
		srv_msg_new(c->arena, &tributary__v1__list_domains_response__descriptor);
	if (!out)
		return trib_error_last_code();
	const char *next = NULL;
	if ((rc = graph_domain_list(&out->domains, &out->n_domains, &next, c->txn, c->arena, after,
				    srv_page_size(r->page_size))))
		return rc;
	if (next && !(out->next_page_token = srv_token_encode(c->arena, DOMAIN_TOKEN, next, strlen(next))))
		return trib_error_last_code();
	*resp = &out->base;
	return 0;
}

int srv_catalog_list_glossary_terms(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__ListGlossaryTermsRequest *r = (const void *)req;
	char after[TRIB_NAME_MAX + 2];
	int rc = name_after(after, sizeof after, r->page_token, TERM_TOKEN);
	if (rc)
		return rc;
	Tributary__V1__ListGlossaryTermsResponse *out =
		srv_msg_new(c->arena, &tributary__v1__list_glossary_terms_response__descriptor);
	if (!out)
		return trib_error_last_code();
	const char *next = NULL;
	if ((rc = graph_term_list(&out->terms, &out->n_terms, &next, c->txn, c->arena, after,
				  srv_page_size(r->page_size))))
		return rc;
	if (next && !(out->next_page_token = srv_token_encode(c->arena, TERM_TOKEN, next, strlen(next))))
		return trib_error_last_code();
	*resp = &out->base;
	return 0;
}
