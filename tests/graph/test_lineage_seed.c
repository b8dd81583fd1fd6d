/*
 * The customer-360 example of the seeds (shared/seeds/004_*.txt): the domain
 * map's products with the input port field lists of the data-product spec,
 * and every lineage query on them with its exact answer. Upstream governance
 * and SLAs, which the seed does not give, are chosen so that each composition
 * rule has something to say.
 */
#include "test_lineage_mesh.h"

#define C_INTERNAL TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_INTERNAL
#define C_CONFIDENTIAL TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_CONFIDENTIAL
#define C_RESTRICTED TRIBUTARY__V1__CLASSIFICATION__CLASSIFICATION_RESTRICTED

static trib_product *customer_360(void)
{
	trib_product *p = fx_product("customer", "customer-360", "customer-platform");
	p->version = "2.1.0";
	fx_tag(p, "pii");
	fx_tag(p, "gdpr-scoped");
	fx_tag(p, "tier-1");
	Tributary__V1__OutputPort *s = fx_output(p, "customer_profile_stream", "customer_id", "tier", "lifetime_value_usd",
						 "last_seen_at", "email_domain", "active_subscriptions",
						 "support_ticket_count_90d", NULL);
	lm_type(s, "lifetime_value_usd", "double", 0);
	lm_type(s, "email_domain", "string", 1);
	lm_type(s, "active_subscriptions", "int", 0);
	lm_type(s, "support_ticket_count_90d", "int", 0);
	lm_port_sla(s, 300, "< 5 minutes");
	Tributary__V1__OutputPort *b = fx_output(p, "customer_snapshot_daily", "customer_id", "tier", "lifetime_value_usd",
						 "last_seen_at", NULL);
	lm_port_sla(b, 7200, "< 2 hours after midnight UTC");
	fx_input(p, "customer/customer-events-v1", NULL, "customer_id", "event_type", "occurred_at", "metadata", NULL);
	fx_input(p, "payments/transaction-events-v1", NULL, "customer_id", "amount_usd", "currency", "status",
		 "processed_at", NULL);
	fx_input(p, "logistics/shipment-events-v2", NULL, "customer_id", "shipment_status", "expected_delivery",
		 "carrier", NULL);
	lm_gov(p, C_RESTRICTED, 730, 1, "email_hash", "phone_hash", "full_name", NULL);
	return p;
}

static void seed(void)
{
	trib_product *ev = fx_product("customer", "customer-events-v1", "customer-platform");
	Tributary__V1__OutputPort *o = fx_output(ev, "events", "customer_id", "event_type", "occurred_at", "metadata",
						 "email", NULL);
	lm_port_sla(o, 60, "< 1 minute");
	lm_gov(ev, C_CONFIDENTIAL, 365, 1, "email", NULL);
	fx_put_ok(ev);

	trib_product *tx = fx_product("payments", "transaction-events-v1", "payments-engineering");
	o = fx_output(tx, "transactions", "customer_id", "amount_usd", "currency", "status", "processed_at",
		      "card_last4", NULL);
	lm_type(o, "amount_usd", "double", 0);
	lm_type(o, "processed_at", "long", 0);
	lm_sla(tx, 120, "< 2 minutes");
	lm_gov(tx, C_RESTRICTED, 2555, 0, "card_last4", NULL);
	fx_put_ok(tx);

	trib_product *sh = fx_product("logistics", "shipment-events-v2", "logistics-data");
	fx_output(sh, "shipments", "customer_id", "shipment_status", "expected_delivery", "carrier", "delivery_address",
		  NULL);
	lm_sla(sh, 900, "< 15 minutes");
	lm_gov(sh, C_INTERNAL, 180, 1, "delivery_address", NULL);
	fx_put_ok(sh);

	fx_put_ok(customer_360());

	/* consumer-aligned products of the domain map */
	trib_product *rev = fx_product("payments", "revenue-daily-summary", "payments-engineering");
	Tributary__V1__InputPort *in =
		fx_input(rev, "payments/transaction-events-v1", "transactions", "amount_usd", "currency", "processed_at",
			 NULL);
	fx_mapping(in, "revenue_usd", "amount_usd", NULL);
	fx_output(rev, "daily", "revenue_usd", "currency", "day", NULL);
	fx_put_ok(rev);
	trib_product *kpi = fx_product("logistics", "fulfillment-kpis", "logistics-data");
	fx_input(kpi, "logistics/shipment-events-v2", NULL, NULL);
	fx_put_ok(kpi);
}

START_TEST(lineage_upstream_of_customer_360)
{
	seed();
	graph_txn *t = lm_read();
	graph_lineage_opts o = GRAPH_LINEAGE_OPTS_INIT;
	o.direction = GRAPH_UP;
	graph_lineage_graph g;
	ck_assert_int_eq(graph_lineage_get(&g, t, &fx_arena, lm_id(t, "customer-360"), &o), 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count),
			 "customer/customer-360@0, customer/customer-events-v1@1<customer/customer-360, "
			 "payments/transaction-events-v1@1<customer/customer-360, "
			 "logistics/shipment-events-v2@1<customer/customer-360");
	ck_assert_str_eq(g.nodes[2].owner, "payments-engineering");
	/* the same at field level: the root's fields, and exactly the 13 fields read */
	o.level = GRAPH_LINEAGE_FIELD;
	o.kinds = GRAPH_KIND_BIT(TRIB_KIND_FIELD);
	const char *doms[] = {"payments"};
	o.domains = doms;
	o.ndomains = 1;
	ck_assert_int_eq(graph_lineage_get(&g, t, &fx_arena, lm_id(t, "customer/customer-360"), &o), 0);
	ck_assert_str_eq(lm_nodes(g.nodes, g.count),
			 "payments/transaction-events-v1#customer_id@1<customer/customer-360, "
			 "payments/transaction-events-v1#amount_usd@1<customer/customer-360, "
			 "payments/transaction-events-v1#currency@1<customer/customer-360, "
			 "payments/transaction-events-v1#status@1<customer/customer-360, "
			 "payments/transaction-events-v1#processed_at@1<customer/customer-360");
	graph_txn_abort(t);
}
END_TEST

static graph_impact_report impact(const char *ref)
{
	graph_txn *t = lm_read();
	graph_impact_opts o = GRAPH_IMPACT_OPTS_INIT;
	graph_impact_report r;
	ck_assert_int_eq(graph_lineage_impact(&r, t, &fx_arena, lm_id(t, ref), &o), 0);
	graph_txn_abort(t);
	return r;
}

START_TEST(impact_of_the_upstreams)
{
	seed();
	graph_impact_report r = impact("logistics/shipment-events-v2");
	ck_assert_str_eq(lm_affected(&r),
			 "customer/customer-360@1 [logistics/shipment-events-v2 > customer/customer-360] "
			 "{logistics/shipment-events-v2#carrier,logistics/shipment-events-v2#customer_id,"
			 "logistics/shipment-events-v2#expected_delivery,logistics/shipment-events-v2#shipment_status}; "
			 "logistics/fulfillment-kpis@1 [logistics/shipment-events-v2 > logistics/fulfillment-kpis] {}");
	ck_assert_str_eq(lm_counts(r.by_owner, r.nowners), "customer-platform=1, logistics-data=1");
	ck_assert_str_eq(lm_counts(r.by_domain, r.ndomains), "customer=1, logistics=1");
	/* a field: only who reads it. customer_id passes through into customer-360. */
	r = impact("payments/transaction-events-v1#customer_id");
	ck_assert_str_eq(lm_affected(&r), "customer/customer-360@1 [payments/transaction-events-v1#customer_id > "
					  "customer/customer-360] {customer/customer-360#customer_id,"
					  "payments/transaction-events-v1#customer_id}");
	r = impact("payments/transaction-events-v1:transactions#amount_usd");
	ck_assert_str_eq(lm_affected(&r),
			 "customer/customer-360@1 [payments/transaction-events-v1#amount_usd > customer/customer-360] "
			 "{payments/transaction-events-v1#amount_usd}; "
			 "payments/revenue-daily-summary@1 [payments/transaction-events-v1#amount_usd > "
			 "payments/revenue-daily-summary] {payments/revenue-daily-summary#revenue_usd,"
			 "payments/transaction-events-v1#amount_usd}");
	/* nobody reads the card digits */
	r = impact("payments/transaction-events-v1#card_last4");
	ck_assert_uint_eq(r.total, 0);
}
END_TEST

START_TEST(renaming_amount_usd_breaks_both_readers)
{
	seed();
	size_t n;
	trib_field **p = lm_fields(&n, "customer_id:string", "amount_cents:long", "currency:string", "status:string",
				   "processed_at:long", "card_last4:string", NULL);
	graph_txn *t = lm_read();
	graph_schema_opts o = GRAPH_SCHEMA_OPTS_INIT;
	graph_schema_report r;
	ck_assert_int_eq(graph_lineage_schema_check(&r, t, &fx_arena,
						    lm_id(t, "payments/transaction-events-v1:transactions"),
						    (const trib_field *const *)p, n, &o),
			 0);
	graph_txn_abort(t);
	ck_assert_str_eq(lm_changes(r.changes, r.nchanges),
			 "amount_usd:field-removed!, amount_cents:field-added-without-default!");
	ck_assert_str_eq(lm_consumers(r.broken, r.nbroken),
			 "customer/customer-360@1 {amount_usd} [payments/transaction-events-v1:transactions > "
			 "payments/transaction-events-v1#amount_usd > customer/customer-360]; "
			 "payments/revenue-daily-summary@1 {amount_usd} [payments/transaction-events-v1:transactions > "
			 "payments/transaction-events-v1#amount_usd > payments/revenue-daily-summary]");
	ck_assert_uint_eq(r.npossibly, 0);
	ck_assert_str_eq(r.verdict, "incompatible: 2 breaking changes of 2; breaks 2 consumers, 0 possibly affected");
}
END_TEST

START_TEST(provenance_of_customer_360)
{
	seed();
	graph_txn *t = lm_read();
	graph_provenance_opts o = GRAPH_PROVENANCE_OPTS_INIT;
	graph_provenance_report r;
	ck_assert_int_eq(graph_lineage_provenance(&r, t, &fx_arena, lm_id(t, "customer/customer-360"), &o), 0);
	graph_txn_abort(t);
	ck_assert_str_eq(lm_strv(r.sources, r.nsources, ", "),
			 "customer/customer-events-v1, payments/transaction-events-v1, logistics/shipment-events-v2");
	ck_assert_int_eq(r.effective_classification, C_RESTRICTED);
	ck_assert_str_eq(r.classification_from, "payments/transaction-events-v1");
	ck_assert_int_eq(r.min_retention_days, 180);
	ck_assert_str_eq(r.min_retention_from, "logistics/shipment-events-v2");
	ck_assert_int_eq(r.erasure_required, 1);
	ck_assert_str_eq(lm_strv(r.erasure_from, r.nerasure, ", "),
			 "customer/customer-events-v1, logistics/shipment-events-v2");
	/* The field lists read no email, card digits or address: no PII arrives. */
	ck_assert_uint_eq(r.npii, 0);
	ck_assert_str_eq(lm_freshness(r.freshness, r.nfreshness),
			 "customer/customer-360=300, customer/customer-events-v1=60, payments/transaction-events-v1=120, "
			 "logistics/shipment-events-v2=900!");
	ck_assert_str_eq(lm_violations(r.violations, r.nviolations),
			 "composition.retention<customer/customer-events-v1, "
			 "composition.retention<logistics/shipment-events-v2, "
			 "freshness.infeasible<logistics/shipment-events-v2");
	ck_assert_str_eq(r.violations[2].message,
			 "customer/customer-360 promises data within 300 s (< 5 minutes) but upstream "
			 "logistics/shipment-events-v2 is only fresh within 900 s (< 15 minutes)");
}
END_TEST

START_TEST(deriving_email_hash_from_email_is_declared_pii)
{
	seed();
	/* customer-360 2.2: also read email and hash it, as its pii_fields promise */
	trib_product *p = customer_360();
	p->version = "2.2.0";
	Tributary__V1__InputPort *in = p->input_ports[0];
	in->fields[in->n_fields - 1] = "email"; /* metadata no longer read */
	fx_mapping(in, "email_hash", "email", NULL);
	graph_txn *t;
	ck_assert_int_eq(graph_write_begin(&t, fx_store), 0);
	graph_put_opts po = GRAPH_PUT_OPTS_INIT;
	graph_put_result put;
	ck_assert_int_eq(graph_product_put(&put, t, &fx_arena, p, &po), 0);
	graph_provenance_opts o = GRAPH_PROVENANCE_OPTS_INIT;
	graph_provenance_report r;
	ck_assert_int_eq(graph_lineage_provenance(&r, t, &fx_arena, put.id, &o), 0);
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "customer/customer-360#email_hash<customer/customer-events-v1#email");
	/* dropping the declaration is a violation naming the origin */
	p->governance->n_pii_fields = 0;
	ck_assert_int_eq(graph_product_put(&put, t, &fx_arena, p, &po), 0);
	ck_assert_int_eq(graph_lineage_provenance(&r, t, &fx_arena, put.id, &o), 0);
	ck_assert_str_eq(lm_pii(r.pii, r.npii), "customer/customer-360#email_hash<customer/customer-events-v1#email!");
	ck_assert_ptr_nonnull(strstr(lm_violations(r.violations, r.nviolations),
				     "composition.pii-undeclared<customer/customer-events-v1"));
	graph_txn_abort(t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("lineage-seed");
	TCase *tc = lm_tcase(s, "customer-360");
	tcase_add_test(tc, lineage_upstream_of_customer_360);
	tcase_add_test(tc, impact_of_the_upstreams);
	tcase_add_test(tc, renaming_amount_usd_breaks_both_readers);
	tcase_add_test(tc, provenance_of_customer_360);
	tcase_add_test(tc, deriving_email_hash_from_email_is_declared_pii);
	return s;
}

int main(void)
{
	return lm_run(suite());
}
