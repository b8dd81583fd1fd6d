/* trib register, trib policy check: files -> ingest -> RegisterProducts, UpsertDomain, UpsertGlossaryTerm. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "json.h"
#include "render.h"
#include "report.h"
#include "table.h"

#include "tributary/error.h"
#include "tributary/ingest.h"
#include "tributary/ref.h"
#include "tributary/v1/catalog.pb-c.h"

#define CATALOG(m) "/tributary.v1.Catalog/" m

enum reg_mode {
	MODE_REGISTER,  /* write */
	MODE_DRY_RUN,   /* register --dry-run: what would happen */
	MODE_VERDICT,   /* policy check: pass / fail per product */
};

/* One product to send, with the file it came from. */
typedef struct reg_item {
	Tributary__V1__DataProduct *product;
	const ing_result *file;
} reg_item;

typedef struct reg_run {
	trib_cli *cli;
	enum reg_mode mode;
	int exit_code;  /* of the first failure */
	int stopped;    /* the server went away or the stream broke: no further calls */
	size_t upserts_failed;
	char **errors;  /* every error as one line, for --json */
	size_t n_errors, cap_errors;
} reg_run;

static void fail_with(reg_run *run, int exit_code)
{
	if (!run->exit_code)
		run->exit_code = exit_code;
}

static void push_error(reg_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void push_error(reg_run *run, const char *fmt, ...)
{
	trib_arena *a = &run->cli->arena;
	if (run->n_errors == run->cap_errors) {
		size_t cap = run->cap_errors ? run->cap_errors * 2 : 16;
		char **grown = trib_arena_realloc(a, run->errors, run->cap_errors * sizeof *grown, cap * sizeof *grown);
		if (!grown)
			return;
		run->errors = grown;
		run->cap_errors = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char buf[2048];
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	run->errors[run->n_errors++] = trib_arena_strdup(a, buf);
}

static char *plural(trib_arena *a, size_t n, const char *what)
{
	return trib_arena_printf(a, "%zu %s%s", n, what, n == 1 ? "" : "s");
}

static int human(const reg_run *run)
{
	return !run->cli->json;
}

static void print_violations(reg_run *run, const char *word, Tributary__V1__Violation **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		trib_render_violation(run->cli->out, &run->cli->arena, word, v[i]);
}

/* Warnings the ingest step found in a product's file count for the product
 * when the file holds only that product (diagnostics carry no document index). */
static size_t file_warnings(const ing_result *r)
{
	return r && r->n_products == 1 ? r->n_warnings : 0;
}

/* One product's outcome: the summary line, then its violations and warnings. */
static void report_verdict(reg_run *run, const Tributary__V1__ProductVerdict *v, const ing_result *file)
{
	trib_cli *cli = run->cli;
	trib_arena *a = &cli->arena;
	const char *ref = trib_text_clean(a, v->ref);
	if (!v->ok) {
		int policy = v->code == TRIB_RPC_FAILED_PRECONDITION || v->n_violations;
		fail_with(run, policy ? TRIB_EXIT_POLICY : trib_rpc_exit_code(v->code));
		push_error(run, "%s", v->error && *v->error ? v->error : v->ref);
		if (!human(run))
			return;
		if (policy && v->n_violations)
			fprintf(cli->out, "%s %s: %s\n", run->mode == MODE_VERDICT ? "fail" : "refused", ref,
				plural(a, v->n_violations, "policy violation"));
		else
			fprintf(cli->out, "%s %s: %s\n", policy ? (run->mode == MODE_VERDICT ? "fail" : "refused") : "failed",
				ref, trib_text_clean(a, v->error));
		print_violations(run, "violation", v->violations, v->n_violations);
		if (!cli->quiet)
			print_violations(run, "warning", v->warnings, v->n_warnings);
		return;
	}
	if (!human(run) || cli->quiet)
		return;
	size_t warnings = v->n_warnings + file_warnings(file);
	char *tail = warnings ? trib_arena_printf(a, " (%s)", plural(a, warnings, "warning")) : (char *)"";
	switch (run->mode) {
	case MODE_REGISTER:
		fprintf(cli->out, "%s %s revision %" PRIu64 "%s\n", v->created ? "created" : "updated", ref, v->revision,
			tail);
		break;
	case MODE_DRY_RUN:
		fprintf(cli->out, "would %s %s%s\n", v->created ? "create" : "update", ref, tail);
		break;
	case MODE_VERDICT:
		fprintf(cli->out, "pass %s%s\n", ref, tail);
		break;
	}
	print_violations(run, "warning", v->warnings, v->n_warnings);
}

/*
 * Every product in one RegisterProducts stream: the server commits them in
 * batches (one fsync each) and answers with a verdict per product, policy
 * violations itemised. With dry_run set on each request nothing is written.
 */
static const Tributary__V1__RegisterProductsSummary *send_products(reg_run *run, const reg_item *items,
								   size_t n)
{
	trib_cli *cli = run->cli;
	trib_rpc *rpc = trib_cli_rpc(cli);
	if (!rpc) {
		run->stopped = 1;
		fail_with(run, TRIB_EXIT_USAGE);
		return NULL;
	}
	trib_rpc_stream *s;
	trib_rpc_status st;
	if (trib_rpc_stream_open(&s, rpc, CATALOG("RegisterProducts"), &st) == 0) {
		for (size_t i = 0; i < n; i++) {
			Tributary__V1__RegisterProductRequest req = TRIBUTARY__V1__REGISTER_PRODUCT_REQUEST__INIT;
			req.product = items[i].product;
			req.dry_run = run->mode != MODE_REGISTER;
			if (trib_rpc_stream_send(s, &req.base) != 0)
				break; /* the call is over; finish says why */
		}
		ProtobufCMessage *resp;
		if (trib_rpc_stream_finish(s, &tributary__v1__register_products_summary__descriptor, &cli->arena, &resp,
					   &st) == 0)
			return (const Tributary__V1__RegisterProductsSummary *)resp;
	}
	run->stopped = 1;
	fail_with(run, trib_rpc_exit_code(st.code));
	push_error(run, "%s", st.message);
	return NULL;
}

static const Tributary__V1__RegisterProductsSummary *register_products(reg_run *run, const reg_item *items,
									size_t n)
{
	const Tributary__V1__RegisterProductsSummary *sum = send_products(run, items, n);
	if (!sum)
		return NULL;
	/* Verdicts come in stream order; a huge stream itemises only failures
	 * past the server's limit, and then files cannot be matched by position. */
	int positional = sum->n_results == n;
	for (size_t i = 0; i < sum->n_results; i++)
		report_verdict(run, sum->results[i], positional ? items[i].file : NULL);
	size_t itemised_ok = 0;
	for (size_t i = 0; i < sum->n_results; i++)
		itemised_ok += sum->results[i]->ok;
	size_t ok = run->mode == MODE_REGISTER ? sum->registered : n - sum->failed;
	if (ok > itemised_ok && human(run) && !run->cli->quiet)
		fprintf(run->cli->out, "%s more %s (not itemised by the server)\n",
			plural(&run->cli->arena, ok - itemised_ok, "product"),
			run->mode == MODE_REGISTER ? "registered" : "passed");
	if (sum->failed)
		fail_with(run, TRIB_EXIT_ERROR);
	return sum;
}

/* UpsertDomain / UpsertGlossaryTerm: no dry-run form, so skipped when not writing. */
static void upsert(reg_run *run, const char *method, const ProtobufCMessage *msg,
		   const ProtobufCMessageDescriptor *resp_desc, const char *what, const char *name)
{
	trib_cli *cli = run->cli;
	if (run->mode != MODE_REGISTER || run->stopped)
		return;
	trib_rpc *rpc = trib_cli_rpc(cli);
	if (!rpc) {
		run->stopped = 1;
		fail_with(run, TRIB_EXIT_USAGE);
		return;
	}
	ProtobufCMessage *resp;
	trib_rpc_status st;
	if (trib_rpc_unary(rpc, method, msg, resp_desc, &cli->arena, &resp, &st) != 0) {
		push_error(run, "%s %s: %s", what, name, st.message);
		fail_with(run, trib_rpc_exit_code(st.code));
		run->upserts_failed++;
		if (st.code == TRIB_RPC_UNAVAILABLE || st.code == TRIB_RPC_DEADLINE_EXCEEDED)
			run->stopped = 1;
		else if (human(run))
			fprintf(cli->out, "failed %s %s: %s\n", what, trib_text_clean(&cli->arena, name),
				trib_text_clean(&cli->arena, st.message));
		return;
	}
	if (human(run) && !cli->quiet)
		fprintf(cli->out, "upserted %s %s\n", what, trib_text_clean(&cli->arena, name));
}

/*
 * A bare upstream name (`source: customer-profiles` in the flat form) can only
 * be resolved by the server once that product is registered, so files given in
 * any order would fail. When exactly one product of this run has that name,
 * the input port is written as domain/name, which the server accepts before
 * the upstream exists (a placeholder). Ambiguous or unknown names go as typed.
 */
static void resolve_bare_sources(trib_arena *a, reg_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		Tributary__V1__DataProduct *p = items[i].product;
		for (size_t j = 0; j < p->n_input_ports; j++) {
			Tributary__V1__InputPort *in = p->input_ports[j];
			trib_ref ref;
			if (trib_ref_parse(&ref, in->source) != 0 || ref.kind != TRIB_KIND_BARE)
				continue;
			const Tributary__V1__DataProduct *match = NULL;
			size_t matches = 0;
			for (size_t k = 0; k < n; k++)
				if (strcmp(items[k].product->name, ref.name) == 0) {
					match = items[k].product;
					matches++;
				}
			char *full;
			if (matches == 1 && (full = trib_product_ref(a, match)))
				in->source = full;
		}
	}
}

static void print_json(reg_run *run, const Tributary__V1__RegisterProductsSummary *server)
{
	Tributary__V1__RegisterProductsSummary sum = TRIBUTARY__V1__REGISTER_PRODUCTS_SUMMARY__INIT;
	if (server) {
		sum.registered = server->registered;
		sum.failed = server->failed;
		sum.results = server->results;
		sum.n_results = server->n_results;
	}
	sum.errors = run->errors;
	sum.n_errors = run->n_errors;
	trib_json_print(run->cli->out, &sum.base);
}

/* A registration of thousands of products is one long call, not a query. */
#define REGISTER_TIMEOUT_MS (10 * 60 * 1000)

static int run_files(trib_cli *cli, enum reg_mode mode, int keep_going)
{
	trib_arena *a = &cli->arena;
	if (!cli->timeout_given)
		cli->timeout_ms = REGISTER_TIMEOUT_MS;
	reg_run run = {.cli = cli, .mode = mode};
	const char **files;
	size_t n_files;
	int err = ing_collect(&files, &n_files, a, cli->args.pos, (size_t)cli->args.n_pos);
	if (err)
		return trib_cli_fail(cli, trib_exit_for_err(err), "%s", trib_error_last());
	if (n_files == 0)
		return trib_cli_fail(cli, TRIB_EXIT_INVALID, "no *.yaml or *.yml files in %s%s", cli->args.pos[0],
				     cli->args.n_pos > 1 ? " ..." : "");

	/* Parse everything before the first call: CI sees every problem at once,
	 * and without --keep-going one broken file stops the whole registration. */
	ing_result *results = trib_arena_calloc(a, n_files, sizeof *results);
	if (!results)
		return trib_cli_fail(cli, TRIB_EXIT_ERROR, "%s", trib_error_last());
	size_t bad_files = 0, n_items = 0;
	for (size_t i = 0; i < n_files; i++) {
		ing_result_init(&results[i]);
		err = ing_parse_file(&results[i], a, files[i], NULL);
		trib_report_diags(cli, &results[i], 0);
		for (size_t d = 0; d < results[i].n_diags; d++) {
			if (results[i].diags[d].severity != ING_ERROR)
				continue;
			char line[2048];
			ing_diag_format(line, sizeof line, &results[i].diags[d]);
			push_error(&run, "%s", line);
		}
		if (err == TRIB_ENOMEM)
			return trib_cli_fail(cli, TRIB_EXIT_ERROR, "%s", trib_error_last());
		if (err) {
			bad_files++;
			fail_with(&run, TRIB_EXIT_INVALID);
		}
		n_items += results[i].n_products;
	}
	if (bad_files && !keep_going) {
		if (cli->json)
			print_json(&run, NULL);
		return trib_cli_fail(cli, TRIB_EXIT_INVALID,
				     "%s with errors; nothing %s (--keep-going goes on with the others)",
				     plural(a, bad_files, "file"), mode == MODE_REGISTER ? "registered" : "checked");
	}
	reg_item *items = trib_arena_calloc(a, n_items ? n_items : 1, sizeof *items);
	if (!items)
		return trib_cli_fail(cli, TRIB_EXIT_ERROR, "%s", trib_error_last());
	n_items = 0;
	for (size_t i = 0; i < n_files; i++)
		for (size_t k = 0; k < results[i].n_products; k++)
			items[n_items++] = (reg_item){results[i].products[k], &results[i]};
	resolve_bare_sources(a, items, n_items);

	/* Domains first (policy may check owners against the domain map), then
	 * products, then glossary terms, which name products they apply to. */
	for (size_t i = 0; i < n_files; i++)
		for (size_t k = 0; k < results[i].n_domains; k++)
			upsert(&run, CATALOG("UpsertDomain"), &results[i].domains[k]->base,
			       &tributary__v1__domain__descriptor, "domain", results[i].domains[k]->name);
	const Tributary__V1__RegisterProductsSummary *sum = NULL;
	if (n_items && !run.stopped)
		sum = register_products(&run, items, n_items);
	for (size_t i = 0; i < n_files; i++)
		for (size_t k = 0; k < results[i].n_terms; k++)
			upsert(&run, CATALOG("UpsertGlossaryTerm"), &results[i].terms[k]->base,
			       &tributary__v1__glossary_term__descriptor, "term", results[i].terms[k]->name);

	if (cli->json)
		print_json(&run, sum);
	if (!run.exit_code)
		return 0;
	if (run.stopped)
		return trib_cli_fail(cli, run.exit_code, "%s", run.n_errors ? run.errors[run.n_errors - 1] : "stopped");
	/* One line that adds it all up; the details are above. */
	char *parts[3];
	size_t np = 0;
	if (sum && sum->failed)
		parts[np++] = trib_arena_printf(a, "%" PRIu32 " of %s %s", sum->failed, plural(a, n_items, "product"),
						mode == MODE_VERDICT   ? "failed the policy check"
						: mode == MODE_DRY_RUN ? "would not register"
								       : "not registered");
	if (bad_files)
		parts[np++] = trib_arena_printf(a, "%s with errors skipped", plural(a, bad_files, "file"));
	if (run.upserts_failed)
		parts[np++] = trib_arena_printf(a, "%s of domains or terms failed",
						plural(a, run.upserts_failed, "upsert"));
	return trib_cli_fail(cli, run.exit_code, "%s", np ? trib_text_join(a, parts, np, "; ") : "failed");
}

int trib_cmd_register(trib_cli *cli)
{
	return run_files(cli, trib_cli_flag(cli, "dry-run") ? MODE_DRY_RUN : MODE_REGISTER,
			 trib_cli_flag(cli, "keep-going") > 0);
}

int trib_cmd_policy_check(trib_cli *cli)
{
	return run_files(cli, MODE_VERDICT, trib_cli_flag(cli, "keep-going") > 0);
}
