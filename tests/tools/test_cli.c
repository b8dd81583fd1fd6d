/* trib's argument parser, help, exit codes and error lines (tools/trib/cli.c, rpc.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/trib/cli.h"
#include "../../tools/trib/rpc.h"
#include "capture.h"
#include "tributary/error.h"

/* Parse argv into a context whose outputs are captured. */
typedef struct parsed {
	trib_cli cli;
	capture out, err;
	int rc;
} parsed;

static void parse(parsed *p, const char *env_addr, int argc, const char **argv)
{
	capture_open(&p->out);
	capture_open(&p->err);
	trib_cli_init(&p->cli, p->out.f, p->err.f, env_addr);
	p->rc = trib_cli_parse(&p->cli, argc, (char **)argv);
}

static void parsed_free(parsed *p)
{
	trib_cli_dispose(&p->cli);
	capture_free(&p->out);
	capture_free(&p->err);
}

#define ARGV(...) ((const char *[]){"trib", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((const char *[]){"trib", __VA_ARGS__}) / sizeof(const char *)))
#define PARSE(p, env, ...) parse(p, env, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

START_TEST(get_takes_ref_and_revision)
{
	parsed p;
	PARSE(&p, NULL, "get", "customer/customer-360", "--revision", "3");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.cli.cmd->name, "get");
	ck_assert_int_eq(p.cli.args.n_pos, 1);
	ck_assert_str_eq(p.cli.args.pos[0], "customer/customer-360");
	ck_assert_uint_eq(trib_cli_uint(&p.cli, "revision", 0), 3);
	ck_assert_str_eq(p.cli.addr, TRIB_RPC_DEFAULT_ADDR);
	ck_assert_int_eq(p.cli.timeout_ms, 10000);
	ck_assert_str_eq(capture_text(&p.err), "");
	parsed_free(&p);
}
END_TEST

START_TEST(global_options_go_anywhere)
{
	parsed p;
	PARSE(&p, "env:1", "--json", "list", "--domain=sales", "--addr", "host:9", "-q", "--timeout", "500ms",
	      "--all");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.cli.cmd->name, "list");
	ck_assert_int_eq(p.cli.json, 1);
	ck_assert_int_eq(p.cli.quiet, 1);
	ck_assert_str_eq(p.cli.addr, "host:9");
	ck_assert_int_eq(p.cli.timeout_ms, 500);
	ck_assert_str_eq(trib_cli_str(&p.cli, "domain"), "sales");
	ck_assert_int_eq(trib_cli_flag(&p.cli, "all"), 1);
	ck_assert_ptr_null(trib_cli_str(&p.cli, "owner"));
	ck_assert_uint_eq(trib_cli_uint(&p.cli, "page-size", 77), 77);
	parsed_free(&p);
}
END_TEST

START_TEST(env_addr_is_the_default)
{
	parsed p;
	PARSE(&p, "10.0.0.1:7000", "health");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.cli.addr, "10.0.0.1:7000");
	parsed_free(&p);
	PARSE(&p, "", "health");
	ck_assert_str_eq(p.cli.addr, TRIB_RPC_DEFAULT_ADDR);
	parsed_free(&p);
}
END_TEST

START_TEST(repeatable_options_keep_every_value)
{
	parsed p;
	PARSE(&p, NULL, "domains", "upsert", "customer", "--owner-team", "cust-team", "--source-product", "a/b",
	      "--source-product=c/d", "--oncall", "pager");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.cli.cmd->name, "domains upsert");
	ck_assert_str_eq(p.cli.args.pos[0], "customer");
	size_t n;
	const char **v = trib_cli_list(&p.cli, "source-product", &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0], "a/b");
	ck_assert_str_eq(v[1], "c/d");
	trib_cli_list(&p.cli, "consumer-product", &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(trib_cli_str(&p.cli, "owner-team"), "cust-team");
	parsed_free(&p);
}
END_TEST

START_TEST(group_alone_runs_its_default)
{
	parsed p;
	PARSE(&p, NULL, "domains");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.cli.cmd->name, "domains list");
	parsed_free(&p);
	PARSE(&p, NULL, "terms", "--json");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.cli.cmd->name, "terms list");
	parsed_free(&p);
	PARSE(&p, NULL, "policy", "check", "a.yaml", "b.yaml");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.cli.cmd->name, "policy check");
	ck_assert_int_eq(p.cli.args.n_pos, 2);
	parsed_free(&p);
}
END_TEST

START_TEST(policy_needs_a_sub_command)
{
	parsed p;
	PARSE(&p, NULL, "policy");
	ck_assert_int_eq(p.rc, TRIB_EXIT_USAGE);
	ck_assert_str_eq(capture_text(&p.err),
			 "trib: error: 'policy' needs a sub-command (one of: show, check, audit) (see 'trib --help')\n");
	parsed_free(&p);
	PARSE(&p, NULL, "policy", "frob");
	ck_assert_int_eq(p.rc, TRIB_EXIT_USAGE);
	ck_assert_str_eq(capture_text(&p.err), "trib: error: unknown sub-command 'policy frob' "
					       "(one of: show, check, audit) (see 'trib --help')\n");
	parsed_free(&p);
}
END_TEST

START_TEST(usage_errors_name_the_problem)
{
	static const struct {
		const char *argv[6];
		const char *err;
	} cases[] = {
		{{"frob"}, "trib: error: unknown command 'frob' (see 'trib --help')\n"},
		{{"get"}, "trib: error: get: missing REF (see 'trib get --help')\n"},
		{{"get", "a/b", "c/d"}, "trib: error: get: unexpected argument 'c/d' (see 'trib get --help')\n"},
		{{"get", "a/b", "--revision"},
		 "trib: error: get: --revision needs a value (N) (see 'trib get --help')\n"},
		{{"get", "a/b", "--revision", "-1"},
		 "trib: error: get: --revision wants a whole number from 0 to 4294967295, not '-1' "
		 "(see 'trib get --help')\n"},
		{{"get", "a/b", "--revision", "99999999999"},
		 "trib: error: get: --revision wants a whole number from 0 to 4294967295, not '99999999999' "
		 "(see 'trib get --help')\n"},
		{{"list", "--page-size", "20000"},
		 "trib: error: list: --page-size wants a whole number from 0 to 10000, not '20000' "
		 "(see 'trib list --help')\n"},
		{{"get", "a/b", "--bogus"}, "trib: error: get: unknown option '--bogus' (see 'trib get --help')\n"},
		{{"list", "--all=yes"}, "trib: error: list: --all takes no value (see 'trib list --help')\n"},
		{{"--timeout", "soon", "health"},
		 "trib: error: --timeout: invalid duration 'soon' (see 'trib --help')\n"},
		{{"-x"}, "trib: error: unknown option '-x' (see 'trib --help')\n"},
		{{"--revision", "3", "get", "a/b"}, "trib: error: unknown option '--revision' (see 'trib --help')\n"},
		{{NULL}, "trib: error: no command given (see 'trib --help')\n"},
		{{"check-schema", "a/b:p"}, "trib: error: check-schema: missing REF FILE (see 'trib check-schema --help')\n"},
		{{"register"}, "trib: error: register: missing FILE|DIR... (see 'trib register --help')\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *argv[8] = {"trib"};
		int argc = 1;
		for (int k = 0; k < 6 && cases[i].argv[k]; k++)
			argv[argc++] = cases[i].argv[k];
		argv[argc] = NULL;
		parsed p;
		parse(&p, NULL, argc, argv);
		ck_assert_msg(p.rc == TRIB_EXIT_USAGE, "case %zu: rc %d", i, p.rc);
		ck_assert_str_eq(capture_text(&p.err), cases[i].err);
		ck_assert_str_eq(capture_text(&p.out), "");
		parsed_free(&p);
	}
}
END_TEST

START_TEST(double_dash_ends_options)
{
	parsed p;
	PARSE(&p, NULL, "get", "--", "--odd-ref");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.cli.args.pos[0], "--odd-ref");
	parsed_free(&p);
}
END_TEST

START_TEST(help_and_version_print_and_succeed)
{
	trib_run r = run_trib(NULL, "get", "--help", NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_msg(strncmp(r.out, "usage: trib get REF [options]\n\nshow one data product.\n", 53) == 0, "%s",
		      r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "  --revision N       an earlier revision (0 = latest)\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "global options:\n  --addr HOST:PORT"));
	trib_run_free(&r);

	r = run_trib(NULL, "--help", NULL);
	ck_assert_int_eq(r.code, 0);
	/* Every command is listed in the overview. */
	for (const trib_cmd *c = trib_commands; c->name; c++) {
		char line[128];
		snprintf(line, sizeof line, "\n  %s", c->name);
		ck_assert_msg(strstr(r.out, line) != NULL, "%s missing from --help", c->name);
	}
	ck_assert_ptr_nonnull(strstr(r.out, "exit status: 0 ok, 1 other error, 2 usage, 3 not found"));
	trib_run_free(&r);

	r = run_trib(NULL, "policy", "--help", NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.out, "usage: trib policy SUB-COMMAND ...\n\nsub-commands:\n"
				"  policy show                the policy the server enforces\n"
				"  policy check FILE...       evaluate spec files against the policy without registering\n"
				"  policy audit               every registered product that now violates the policy\n");
	trib_run_free(&r);

	r = run_trib(NULL, "--version", NULL);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.out, "trib " TRIB_CLI_VERSION "\n");
	trib_run_free(&r);
}
END_TEST

START_TEST(every_command_has_help)
{
	for (const trib_cmd *c = trib_commands; c->name; c++) {
		char name[64];
		snprintf(name, sizeof name, "%s", c->name);
		char *sub = strchr(name, ' ');
		trib_run r;
		if (sub) {
			*sub++ = '\0';
			r = run_trib(NULL, name, sub, "--help", NULL);
		} else {
			r = run_trib(NULL, name, "--help", NULL);
		}
		ck_assert_msg(r.code == 0, "%s --help: %d", c->name, r.code);
		char want[128];
		snprintf(want, sizeof want, "usage: trib %s", c->name);
		ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
		ck_assert_str_eq(r.err, "");
		trib_run_free(&r);
	}
}
END_TEST

START_TEST(durations_parse_to_milliseconds)
{
	static const struct {
		const char *text;
		int64_t ms;
	} ok[] = {{"30", 30000}, {"1.5", 1500}, {"500ms", 500}, {"10s", 10000}, {"2m", 120000}, {"0", 0}};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int64_t ms = -1;
		ck_assert_int_eq(trib_parse_duration_ms(&ms, ok[i].text), 0);
		ck_assert_int_eq(ms, ok[i].ms);
	}
	static const char *bad[] = {"", "soon", "-1", "+1", "5h", "1e99", "nan", "10 s", "100000m"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ms;
		ck_assert_msg(trib_parse_duration_ms(&ms, bad[i]) == TRIB_EINVALID, "'%s' accepted", bad[i]);
	}
}
END_TEST

START_TEST(status_codes_map_to_exit_codes)
{
	ck_assert_int_eq(trib_rpc_exit_code(TRIB_RPC_OK), 0);
	ck_assert_int_eq(trib_rpc_exit_code(TRIB_RPC_NOT_FOUND), 3);
	ck_assert_int_eq(trib_rpc_exit_code(TRIB_RPC_INVALID_ARGUMENT), 4);
	ck_assert_int_eq(trib_rpc_exit_code(TRIB_RPC_UNAVAILABLE), 5);
	ck_assert_int_eq(trib_rpc_exit_code(TRIB_RPC_DEADLINE_EXCEEDED), 5);
	ck_assert_int_eq(trib_rpc_exit_code(TRIB_RPC_FAILED_PRECONDITION), 6);
	ck_assert_int_eq(trib_rpc_exit_code(TRIB_RPC_INTERNAL), 1);
	ck_assert_int_eq(trib_rpc_exit_code(TRIB_RPC_UNIMPLEMENTED), 1);
	ck_assert_int_eq(trib_rpc_exit_code(99), 1);
	ck_assert_str_eq(trib_rpc_code_name(TRIB_RPC_FAILED_PRECONDITION), "FAILED_PRECONDITION");
	ck_assert_str_eq(trib_rpc_code_name(42), "UNKNOWN");
	ck_assert_int_eq(trib_rpc_errcode(TRIB_RPC_NOT_FOUND), TRIB_ENOTFOUND);
	ck_assert_int_eq(trib_rpc_errcode(TRIB_RPC_OK), 0);
}
END_TEST

START_TEST(unreachable_server_exits_5_with_one_line)
{
	/* Port 1 on loopback: nothing listens there, the connection is refused at once. */
	trib_run r = run_trib(NULL, "--addr", "127.0.0.1:1", "--timeout", "5s", "get", "a/b", NULL);
	ck_assert_int_eq(r.code, TRIB_EXIT_UNAVAILABLE);
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strncmp(r.err, "trib: error: 127.0.0.1:1 (UNAVAILABLE): ", 40) == 0, "%s", r.err);
	ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
	trib_run_free(&r);
}
END_TEST

START_TEST(bad_address_is_a_usage_error)
{
	trib_run r = run_trib(NULL, "--addr", "has space:1", "health", NULL);
	ck_assert_int_eq(r.code, TRIB_EXIT_USAGE);
	ck_assert_str_eq(r.err, "trib: error: invalid server address 'has space:1'\n");
	trib_run_free(&r);
}
END_TEST

START_TEST(argument_checks_come_before_any_call)
{
	/* Nothing listens on port 1, so reaching the network would exit 5, not 2. */
	static const char *cases[][8] = {
		{"lineage", "a/b", "--up", "--down"},
		{"lineage", "a/b", "--level", "table"},
		{"lineage", "a/b", "--format", "svg"},
		{"lineage", "a/b", "--kind", "galaxy"},
		{"lineage", "a/b", "--format", "dot", "--json"},
		{"search", "x", "--kind", "planet"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *argv[12] = {"trib", "--addr", "127.0.0.1:1"};
		int argc = 3;
		for (int k = 0; k < 8 && cases[i][k]; k++)
			argv[argc++] = cases[i][k];
		argv[argc] = NULL;
		capture out, err;
		capture_open(&out);
		capture_open(&err);
		trib_cli cli;
		trib_cli_init(&cli, out.f, err.f, NULL);
		int rc = trib_cli_run(&cli, argc, (char **)argv);
		trib_cli_dispose(&cli);
		const char *e = capture_text(&err);
		ck_assert_msg(rc == TRIB_EXIT_USAGE, "case %zu: %d %s", i, rc, e);
		ck_assert_msg(strncmp(e, "trib: error: ", 13) == 0 && strstr(e, "(see 'trib ") != NULL, "%s", e);
		capture_free(&out);
		capture_free(&err);
	}
	trib_run r = run_trib(NULL, "lineage", "a/b", "--up", "--both", NULL);
	ck_assert_str_eq(r.err, "trib: error: lineage: --up, --down and --both exclude each other "
				"(see 'trib lineage --help')\n");
	trib_run_free(&r);
}
END_TEST

START_TEST(every_command_is_reachable_by_name)
{
	for (const trib_cmd *c = trib_commands; c->name; c++) {
		ck_assert_ptr_eq(trib_cli_find(c->name), c);
		ck_assert_ptr_nonnull(c->run);
		ck_assert_ptr_nonnull(c->summary);
		if (c->opts)
			for (const trib_opt *o = c->opts; o->name; o++)
				ck_assert_msg(o->help && o->type >= TRIB_OPT_FLAG && o->type <= TRIB_OPT_LIST, "%s --%s",
					      c->name, o->name);
	}
	ck_assert_ptr_null(trib_cli_find("nope"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, get_takes_ref_and_revision);
	tcase_add_test(tc, global_options_go_anywhere);
	tcase_add_test(tc, env_addr_is_the_default);
	tcase_add_test(tc, repeatable_options_keep_every_value);
	tcase_add_test(tc, group_alone_runs_its_default);
	tcase_add_test(tc, policy_needs_a_sub_command);
	tcase_add_test(tc, usage_errors_name_the_problem);
	tcase_add_test(tc, double_dash_ends_options);
	tcase_add_test(tc, durations_parse_to_milliseconds);
	tcase_add_test(tc, every_command_is_reachable_by_name);
	suite_add_tcase(s, tc);
	tc = tcase_create("run");
	tcase_add_test(tc, help_and_version_print_and_succeed);
	tcase_add_test(tc, every_command_has_help);
	tcase_add_test(tc, status_codes_map_to_exit_codes);
	tcase_add_test(tc, unreachable_server_exits_5_with_one_line);
	tcase_add_test(tc, bad_address_is_a_usage_error);
	tcase_add_test(tc, argument_checks_come_before_any_call);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
