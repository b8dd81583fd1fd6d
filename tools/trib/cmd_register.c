/* trib register, trib policy check: files -> ingest -> RegisterProduct, UpsertDomain, UpsertGlossaryTerm. */
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
#include "tributary/v1/catalog.pb-c.h"

#define CATALOG(m) "/tributary.v1.Catalog/" m

enum reg_mode {
	MODE_REGISTER,  /* write */
	MODE_DRY_RUN,   /* register --dry-run: what would happen */
	MODE_VERDICT,   /* policy check: pass / fail per product */
};

typedef struct reg_run {
	trib_cli *cli;
	enum reg_mode mode;
	int keep_going;
	int exit_code;  /* of the first failure */
	int stopped;    /* the server went away: no further calls */
	size_t ok, failed;
	/* --json: one verdict per product, and every error as a line */
	Tributary__V1__ProductVerdict **verdicts;
	size_t n_verdicts, cap_verdicts;
	char **errors;
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

static Tributary__V1__ProductVerdict *new_verdict(reg_run *run, const char *ref)
{
	trib_arena *a = &run->cli->arena;
	if (run->n_verdicts == run->cap_verdicts) {
		size_t cap = run->cap_verdicts ? run->cap_verdicts * 2 : 16;
		Tributary__V1__ProductVerdict **grown =
			trib_arena_realloc(a, run->verdicts, run->cap_verdicts * sizeof *grown, cap * sizeof *grown);
		if (!grown)
			return NULL;
		run->verdicts = grown;
		run->cap_verdicts = cap;
	}
	Tributary__V1__ProductVerdict *v = trib_arena_alloc(a, sizeof *v);
	if (!v)
		return NULL;
	tributary__v1__product_verdict__init(v);
	v->ref = trib_arena_strdup(a, ref);
	run->verdicts[run->n_verdicts++] = v;
	return v;
}

static int printing(const reg_run *run)
{
	return !run->cli->json;
}

static void print_violations(reg_run *run, const char *word, Tributary__V1__Violation **v, size_t n)
{
	if (!printing(run))
		return;
	for (size_t i = 0; i < n; i++)
		trib_render_violation(run->cli->out, &run->cli->arena, word, v[i]);
}

static char *plural(trib_arena *a, size_t n, const char *what)
{
	return trib_arena_printf(a, "%zu %s%s", n, what, n == 1 ? "" : "s");
}

/* Warnings the ingest step found in a product's file count for the product
 * when the file holds only that product (diagnostics carry no document index). */
static size_t file_warnings(const ing_result *r)
{
	return r->n_products == 1 ? r->n_warnings : 0;
}

static void register_product(reg_run *run, const ing_result *file, Tributary__V1__DataProduct *p)
{
	trib_cli *cli = run->cli;
	trib_arena *a = &cli->arena;
	char *ref = trib_product_ref(a, p);
	Tributary__V1__ProductVerdict *v = new_verdict(run, ref);
	Tributary__V1__RegisterProductRequest req = TRIBUTARY__V1__REGISTER_PRODUCT_REQUEST__INIT;
	req.product = p;
	req.dry_run = run->mode != MODE_REGISTER;
	trib_rpc *rpc = trib_cli_rpc(cli);
	if (!rpc) {
		run->stopped = 1;
		fail_with(run, TRIB_EXIT_USAGE);
		return;
	}
	ProtobufCMessage *msg;
	trib_rpc_status st;
	int err = trib_rpc_unary(rpc, CATALOG("RegisterProduct"), &req.base,
				 &tributary__v1__register_product_response__descriptor, a, &msg, &st);
	const char *clean_ref = trib_text_clean(a, ref);
	if (err) {
		run->failed++;
		if (v) {
			v->code = st.code;
			v->error = trib_arena_strdup(a, st.message);
		}
		push_error(run, "%s: %s", ref, st.message);
		fail_with(run, trib_rpc_exit_code(st.code));
		if (st.code == TRIB_RPC_UNAVAILABLE || st.code == TRIB_RPC_DEADLINE_EXCEEDED) {
			run->stopped = 1;
			return; /* reported once by the caller */
		}
		if (printing(run)) {
			const char *word = st.code == TRIB_RPC_FAILED_PRECONDITION
						   ? (run->mode == MODE_VERDICT ? "fail" : "refused")
						   : "failed";
			fprintf(cli->out, "%s %s: %s\n", word, clean_ref, trib_text_clean(a, st.message));
		}
		return;
	}
	const Tributary__V1__RegisterProductResponse *r = (const Tributary__V1__RegisterProductResponse *)msg;
	uint64_t revision = r->product ? r->product->revision : 0;
	size_t warnings = r->n_warnings + file_warnings(file);
	if (v) {
		v->created = r->created;
		v->revision = revision;
		v->violations = r->violations;
		v->n_violations = r->n_violations;
		v->warnings = r->warnings;
		v->n_warnings = r->n_warnings;
	}
	if (r->n_violations) {
		/* A verdict with violations is a refusal even when the server
		 * reports it in the reply instead of the status. */
		run->failed++;
		if (v) {
			v->code = TRIB_RPC_FAILED_PRECONDITION;
			v->error = plural(a, r->n_violations, "policy violation");
		}
		push_error(run, "%s: %s", ref, plural(a, r->n_violations, "policy violation"));
		fail_with(run, TRIB_EXIT_POLICY);
		if (printing(run))
			fprintf(cli->out, "%s %s: %s\n", run->mode == MODE_VERDICT ? "fail" : "refused", clean_ref,
				plural(a, r->n_violations, "policy violation"));
		print_violations(run, "violation", r->violations, r->n_violations);
		if (!cli->quiet)
			print_violations(run, "warning", r->warnings, r->n_warnings);
		return;
	}
	run->ok++;
	if (v)
		v->ok = 1;
	if (!printing(run) || cli->quiet)
		return;
	char *tail = warnings ? trib_arena_printf(a, " (%s)", plural(a, warnings, "warning")) : (char *)"";
	switch (run->mode) {
	case MODE_REGISTER:
		fprintf(cli->out, "%s %s revision %" PRIu64 "%s\n", r->created ? "created" : "updated", clean_ref,
			revision, tail);
		break;
	case MODE_DRY_RUN:
		fprintf(cli->out, "would %s %s revision %" PRIu64 "%s\n", r->created ? "create" : "update",
			clean_ref, revision, tail);
		break;
	case MODE_VERDICT:
		fprintf(cli->out, "pass %s%s\n", clean_ref, tail);
		break;
	}
	print_violations(run, "warning", r->warnings, r->n_warnings);
}

/* UpsertDomain / UpsertGlossaryTerm: no dry-run form, so skipped when not writing. */
static void upsert(reg_run *run, const char *method, const ProtobufCMessage *msg,
		   const ProtobufCMessageDescriptor *resp_desc, const char *what, const char *name)
{
	trib_cli *cli = run->cli;
	if (run->mode != MODE_REGISTER)
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
		if (st.code == TRIB_RPC_UNAVAILABLE || st.code == TRIB_RPC_DEADLINE_EXCEEDED)
			run->stopped = 1;
		else if (printing(run))
			fprintf(cli->out, "failed %s %s: %s\n", what, trib_text_clean(&cli->arena, name),
				trib_text_clean(&cli->arena, st.message));
		return;
	}
	if (printing(run) && !cli->quiet)
		fprintf(cli->out, "upserted %s %s\n", what, trib_text_clean(&cli->arena, name));
}

static int keep_registering(const reg_run *run)
{
	/* A check (dry run, verdict) always looks at everything; a registration
	 * stops at the first failure unless told to keep going. */
	return !run->stopped && (run->mode != MODE_REGISTER || run->keep_going || !run->exit_code);
}

static int run_files(trib_cli *cli, enum reg_mode mode, int keep_going)
{
	trib_arena *a = &cli->arena;
	reg_run run = {.cli = cli, .mode = mode, .keep_going = keep_going};
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
	size_t bad_files = 0;
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
	}
	if (bad_files && !keep_going) {
		if (cli->json) {
			Tributary__V1__RegisterProductsSummary sum = TRIBUTARY__V1__REGISTER_PRODUCTS_SUMMARY__INIT;
			sum.errors = run.errors;
			sum.n_errors = run.n_errors;
			trib_json_print(cli->out, &sum.base);
		}
		return trib_cli_fail(cli, TRIB_EXIT_INVALID,
				     "%s with errors; nothing %s (--keep-going registers the others)",
				     plural(a, bad_files, "file"), mode == MODE_REGISTER ? "registered" : "checked");
	}

	/* Domains first (policy may check owners against the domain map), then
	 * products, then glossary terms, which name products they apply to. */
	for (size_t i = 0; i < n_files && keep_registering(&run); i++)
		for (size_t k = 0; k < results[i].n_domains && keep_registering(&run); k++)
			upsert(&run, CATALOG("UpsertDomain"), &results[i].domains[k]->base,
			       &tributary__v1__domain__descriptor, "domain", results[i].domains[k]->name);
	for (size_t i = 0; i < n_files && keep_registering(&run); i++)
		for (size_t k = 0; k < results[i].n_products && keep_registering(&run); k++)
			register_product(&run, &results[i], results[i].products[k]);
	for (size_t i = 0; i < n_files && keep_registering(&run); i++)
		for (size_t k = 0; k < results[i].n_terms && keep_registering(&run); k++)
			upsert(&run, CATALOG("UpsertGlossaryTerm"), &results[i].terms[k]->base,
			       &tributary__v1__glossary_term__descriptor, "term", results[i].terms[k]->name);

	if (cli->json) {
		Tributary__V1__RegisterProductsSummary sum = TRIBUTARY__V1__REGISTER_PRODUCTS_SUMMARY__INIT;
		sum.registered = (uint32_t)run.ok;
		sum.failed = (uint32_t)run.failed;
		sum.errors = run.errors;
		sum.n_errors = run.n_errors;
		sum.results = run.verdicts;
		sum.n_results = run.n_verdicts;
		trib_json_print(cli->out, &sum.base);
	}
	if (run.stopped && run.n_errors)
		return trib_cli_fail(cli, run.exit_code, "%s", run.errors[run.n_errors - 1]);
	if (!run.exit_code)
		return 0;
	size_t total = 0;
	for (size_t i = 0; i < n_files; i++)
		total += results[i].n_products;
	char *skipped = bad_files ? trib_arena_printf(a, "; %s with errors skipped", plural(a, bad_files, "file"))
				  : (char *)"";
	if (total > run.ok)
		return trib_cli_fail(cli, run.exit_code, "%zu of %s %s%s", total - run.ok, plural(a, total, "product"),
				     mode == MODE_VERDICT   ? "failed the policy check"
				     : mode == MODE_DRY_RUN ? "would not register"
							    : "not registered",
				     skipped);
	if (bad_files)
		return trib_cli_fail(cli, run.exit_code, "%s", skipped + 2);
	return trib_cli_fail(cli, run.exit_code, "%s", run.n_errors ? run.errors[run.n_errors - 1] : "failed");
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
