/* Catalog commands: get, list, deprecate, delete, domains, terms, history, search, health. */
#include <string.h>

#include "cmds.h"
#include "json.h"
#include "pager.h"
#include "render.h"
#include "table.h"

#include "grpc/health/v1/health.pb-c.h"
#include "tributary/v1/catalog.pb-c.h"

#define CATALOG(m) "/tributary.v1.Catalog/" m

/* argv strings are never written through; protobuf-c just has no const char* fields. */
#define S(x) ((char *)(x))

int trib_cmd_get(trib_cli *cli)
{
	Tributary__V1__GetProductRequest req = TRIBUTARY__V1__GET_PRODUCT_REQUEST__INIT;
	req.ref = S(cli->args.pos[0]);
	req.revision = trib_cli_uint(cli, "revision", 0);
	ProtobufCMessage *resp;
	int rc = trib_cli_query(cli, CATALOG("GetProduct"), &req.base, &tributary__v1__data_product__descriptor,
				&resp);
	if (!rc && resp)
		trib_render_product(cli->out, &cli->arena, (Tributary__V1__DataProduct *)resp);
	return rc;
}

/* Print the hint for the next page, unless every page was fetched. */
static void next_page_hint(trib_cli *cli, const char *token, const char *cmd)
{
	if (token && *token && !cli->json && !cli->quiet)
		fprintf(cli->out, "next page: trib %s --page-token %s (or --all)\n", cmd,
			trib_text_clean(&cli->arena, token));
}

int trib_cmd_list(trib_cli *cli)
{
	Tributary__V1__ListProductsRequest req = TRIBUTARY__V1__LIST_PRODUCTS_REQUEST__INIT;
	req.domain = S(trib_cli_str(cli, "domain") ? trib_cli_str(cli, "domain") : "");
	req.owner = S(trib_cli_str(cli, "owner") ? trib_cli_str(cli, "owner") : "");
	req.tag = S(trib_cli_str(cli, "tag") ? trib_cli_str(cli, "tag") : "");
	req.page_size = trib_cli_uint(cli, "page-size", 0);
	req.page_token = S(trib_cli_str(cli, "page-token") ? trib_cli_str(cli, "page-token") : "");
	req.include_placeholders = trib_cli_flag(cli, "placeholders") > 0;
	ProtobufCMessage *resp;
	int rc = trib_pager_call(cli, CATALOG("ListProducts"), &req.base,
				 &tributary__v1__list_products_response__descriptor, "products",
				 trib_cli_flag(cli, "all") > 0, &resp);
	if (rc)
		return rc;
	Tributary__V1__ListProductsResponse *r = (Tributary__V1__ListProductsResponse *)resp;
	if (cli->json) {
		trib_json_print(cli->out, resp);
		return 0;
	}
	trib_render_products(cli->out, &cli->arena, r->products, r->n_products);
	next_page_hint(cli, r->next_page_token, "list");
	return 0;
}

int trib_cmd_deprecate(trib_cli *cli)
{
	Tributary__V1__DeprecateProductRequest req = TRIBUTARY__V1__DEPRECATE_PRODUCT_REQUEST__INIT;
	req.ref = S(cli->args.pos[0]);
	req.note = S(trib_cli_str(cli, "note") ? trib_cli_str(cli, "note") : "");
	req.replacement = S(trib_cli_str(cli, "replacement") ? trib_cli_str(cli, "replacement") : "");
	ProtobufCMessage *resp;
	int rc = trib_cli_call(cli, CATALOG("DeprecateProduct"), &req.base,
			       &tributary__v1__data_product__descriptor, &resp, NULL);
	if (rc)
		return rc;
	const Tributary__V1__DataProduct *p = (const Tributary__V1__DataProduct *)resp;
	if (cli->json) {
		trib_json_print(cli->out, resp);
	} else if (!cli->quiet) {
		fprintf(cli->out, "deprecated %s", trib_text_clean(&cli->arena, trib_product_ref(&cli->arena, p)));
		if (p->deprecation && *p->deprecation->replacement)
			fprintf(cli->out, " (use %s)", trib_text_clean(&cli->arena, p->deprecation->replacement));
		fputc('\n', cli->out);
	}
	return 0;
}

int trib_cmd_delete(trib_cli *cli)
{
	Tributary__V1__DeleteProductRequest req = TRIBUTARY__V1__DELETE_PRODUCT_REQUEST__INIT;
	req.ref = S(cli->args.pos[0]);
	ProtobufCMessage *resp;
	int rc = trib_cli_call(cli, CATALOG("DeleteProduct"), &req.base,
			       &tributary__v1__delete_product_response__descriptor, &resp, NULL);
	if (rc)
		return rc;
	const Tributary__V1__DeleteProductResponse *r = (const Tributary__V1__DeleteProductResponse *)resp;
	if (cli->json) {
		trib_json_print(cli->out, resp);
	} else if (!cli->quiet) {
		fprintf(cli->out, "deleted %s (%u edge%s removed)\n",
			trib_text_clean(&cli->arena, *r->ref ? r->ref : cli->args.pos[0]), r->edges_removed,
			r->edges_removed == 1 ? "" : "s");
		if (r->placeholder_left)
			fputs("a placeholder remains: other products still read it\n", cli->out);
	}
	return 0;
}

int trib_cmd_domains_list(trib_cli *cli)
{
	Tributary__V1__ListDomainsRequest req = TRIBUTARY__V1__LIST_DOMAINS_REQUEST__INIT;
	ProtobufCMessage *resp;
	int rc = trib_pager_call(cli, CATALOG("ListDomains"), &req.base,
				 &tributary__v1__list_domains_response__descriptor, "domains", 1, &resp);
	if (rc)
		return rc;
	const Tributary__V1__ListDomainsResponse *r = (const Tributary__V1__ListDomainsResponse *)resp;
	if (cli->json)
		trib_json_print(cli->out, resp);
	else
		trib_render_domains(cli->out, &cli->arena, r->domains, r->n_domains);
	return 0;
}

static const char *opt_or_empty(const trib_cli *cli, const char *name)
{
	const char *s = trib_cli_str(cli, name);
	return s ? s : "";
}

int trib_cmd_domains_upsert(trib_cli *cli)
{
	Tributary__V1__Domain d = TRIBUTARY__V1__DOMAIN__INIT;
	d.name = S(cli->args.pos[0]);
	d.owner_team = S(opt_or_empty(cli, "owner-team"));
	d.oncall = S(opt_or_empty(cli, "oncall"));
	d.description = S(opt_or_empty(cli, "description"));
	d.source_products = (char **)trib_cli_list(cli, "source-product", &d.n_source_products);
	d.consumer_products = (char **)trib_cli_list(cli, "consumer-product", &d.n_consumer_products);
	ProtobufCMessage *resp;
	int rc = trib_cli_call(cli, CATALOG("UpsertDomain"), &d.base, &tributary__v1__domain__descriptor,
			       &resp, NULL);
	if (rc)
		return rc;
	if (cli->json)
		trib_json_print(cli->out, resp);
	else if (!cli->quiet)
		fprintf(cli->out, "upserted domain %s\n",
			trib_text_clean(&cli->arena, ((Tributary__V1__Domain *)resp)->name));
	return 0;
}

int trib_cmd_terms_list(trib_cli *cli)
{
	Tributary__V1__ListGlossaryTermsRequest req = TRIBUTARY__V1__LIST_GLOSSARY_TERMS_REQUEST__INIT;
	ProtobufCMessage *resp;
	int rc = trib_pager_call(cli, CATALOG("ListGlossaryTerms"), &req.base,
				 &tributary__v1__list_glossary_terms_response__descriptor, "terms", 1, &resp);
	if (rc)
		return rc;
	const Tributary__V1__ListGlossaryTermsResponse *r = (const Tributary__V1__ListGlossaryTermsResponse *)resp;
	if (cli->json)
		trib_json_print(cli->out, resp);
	else
		trib_render_terms(cli->out, &cli->arena, r->terms, r->n_terms);
	return 0;
}

int trib_cmd_terms_upsert(trib_cli *cli)
{
	Tributary__V1__GlossaryTerm t = TRIBUTARY__V1__GLOSSARY_TERM__INIT;
	t.name = S(cli->args.pos[0]);
	t.description = S(opt_or_empty(cli, "description"));
	t.related_terms = (char **)trib_cli_list(cli, "related", &t.n_related_terms);
	t.applies_to = (char **)trib_cli_list(cli, "applies-to", &t.n_applies_to);
	ProtobufCMessage *resp;
	int rc = trib_cli_call(cli, CATALOG("UpsertGlossaryTerm"), &t.base,
			       &tributary__v1__glossary_term__descriptor, &resp, NULL);
	if (rc)
		return rc;
	if (cli->json)
		trib_json_print(cli->out, resp);
	else if (!cli->quiet)
		fprintf(cli->out, "upserted term %s\n",
			trib_text_clean(&cli->arena, ((Tributary__V1__GlossaryTerm *)resp)->name));
	return 0;
}

int trib_cmd_history(trib_cli *cli)
{
	Tributary__V1__GetHistoryRequest req = TRIBUTARY__V1__GET_HISTORY_REQUEST__INIT;
	req.ref = S(cli->args.pos[0]);
	req.limit = trib_cli_uint(cli, "limit", 0);
	ProtobufCMessage *resp;
	int rc = trib_cli_query(cli, CATALOG("GetHistory"), &req.base,
			       &tributary__v1__get_history_response__descriptor, &resp);
	if (!rc && resp)
		trib_render_history(cli->out, &cli->arena, (Tributary__V1__GetHistoryResponse *)resp);
	return rc;
}

int trib_cli_kinds(trib_cli *cli, Tributary__V1__NodeKind **kinds, size_t *n)
{
	size_t nk;
	const char **words = trib_cli_list(cli, "kind", &nk);
	*kinds = NULL;
	*n = 0;
	if (!nk)
		return 0;
	*kinds = trib_arena_calloc(&cli->arena, nk, sizeof **kinds);
	if (!*kinds)
		return trib_cli_fail(cli, TRIB_EXIT_ERROR, "out of memory");
	for (size_t i = 0; i < nk; i++) {
		int v = trib_enum_from_word(&tributary__v1__node_kind__descriptor, words[i]);
		if (v <= 0)
			return trib_cli_usage(cli, "unknown kind '%s' (product, port, field, source, team, domain or "
						   "term)", words[i]);
		(*kinds)[i] = (Tributary__V1__NodeKind)v;
	}
	*n = nk;
	return 0;
}

int trib_cmd_search(trib_cli *cli)
{
	Tributary__V1__SearchRequest req = TRIBUTARY__V1__SEARCH_REQUEST__INIT;
	req.query = S(cli->args.pos[0]);
	int rc = trib_cli_kinds(cli, &req.kinds, &req.n_kinds);
	if (rc)
		return rc;
	req.domain = S(opt_or_empty(cli, "domain"));
	req.tags = (char **)trib_cli_list(cli, "tag", &req.n_tags);
	req.page_size = trib_cli_uint(cli, "page-size", 0);
	req.page_token = S(opt_or_empty(cli, "page-token"));
	ProtobufCMessage *resp;
	rc = trib_cli_call(cli, CATALOG("Search"), &req.base, &tributary__v1__search_response__descriptor,
			       &resp, NULL);
	if (rc)
		return rc;
	const Tributary__V1__SearchResponse *r = (const Tributary__V1__SearchResponse *)resp;
	if (cli->json) {
		trib_json_print(cli->out, resp);
		return 0;
	}
	trib_render_search(cli->out, &cli->arena, r);
	if (*r->next_page_token && !cli->quiet)
		fprintf(cli->out, "next page: --page-token %s\n", trib_text_clean(&cli->arena, r->next_page_token));
	return 0;
}

int trib_cmd_health(trib_cli *cli)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	req.service = S(opt_or_empty(cli, "service"));
	ProtobufCMessage *resp;
	int rc = trib_cli_call(cli, "/grpc.health.v1.Health/Check", &req.base,
			       &grpc__health__v1__health_check_response__descriptor, &resp, NULL);
	if (rc)
		return rc;
	const Grpc__Health__V1__HealthCheckResponse *r = (const Grpc__Health__V1__HealthCheckResponse *)resp;
	if (cli->json) {
		trib_json_print(cli->out, resp);
	} else if (!cli->quiet) {
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
			&grpc__health__v1__health_check_response__serving_status__descriptor, (int)r->status);
		fprintf(cli->out, "%s\n", v ? v->name : "UNKNOWN");
	}
	return r->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
		       ? TRIB_EXIT_OK
		       : TRIB_EXIT_UNAVAILABLE;
}
