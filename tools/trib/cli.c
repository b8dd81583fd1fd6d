/* trib's command table, argument parser, help and dispatcher. */
#include "cli.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/grpc.h>

#include "cmds.h"
#include "json.h"
#include "tributary/error.h"

#define PAGING_OPTS                                                                  \
	{"page-size", TRIB_OPT_UINT, "N", "results per page (0 = the server's default)", 10000}, \
	{"page-token", TRIB_OPT_STR, "TOKEN", "continue from a previous page", 0}

static const trib_opt get_opts[] = {
	{"revision", TRIB_OPT_UINT, "N", "an earlier revision (0 = latest)", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt list_opts[] = {
	{"domain", TRIB_OPT_STR, "DOMAIN", "only products of this domain", 0},
	{"owner", TRIB_OPT_STR, "TEAM", "only products owned by this team", 0},
	{"tag", TRIB_OPT_STR, "TAG", "only products with this tag", 0},
	PAGING_OPTS,
	{"all", TRIB_OPT_FLAG, NULL, "fetch every page", 0},
	{"placeholders", TRIB_OPT_FLAG, NULL, "include placeholders (referenced, never registered)", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt deprecate_opts[] = {
	{"note", TRIB_OPT_STR, "TEXT", "why, for the consumers", 0},
	{"replacement", TRIB_OPT_STR, "REF", "the product to use instead", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt domains_upsert_opts[] = {
	{"owner-team", TRIB_OPT_STR, "TEAM", "team that owns the domain", 0},
	{"oncall", TRIB_OPT_STR, "WHO", "on-call contact", 0},
	{"description", TRIB_OPT_STR, "TEXT", "what the domain covers", 0},
	{"source-product", TRIB_OPT_LIST, "REF", "a source product of the domain (repeatable)", 0},
	{"consumer-product", TRIB_OPT_LIST, "REF", "a consumer product of the domain (repeatable)", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt terms_upsert_opts[] = {
	{"description", TRIB_OPT_STR, "TEXT", "what the term means", 0},
	{"related", TRIB_OPT_LIST, "TERM", "a related term (repeatable)", 0},
	{"applies-to", TRIB_OPT_LIST, "REF", "a product or field the term applies to (repeatable)", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt history_opts[] = {
	{"limit", TRIB_OPT_UINT, "N", "at most N revisions and audit entries (0 = all)", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt search_opts[] = {
	{"kind", TRIB_OPT_LIST, "KIND", "product, port, field, term, domain, team or source (repeatable)", 0},
	{"domain", TRIB_OPT_STR, "DOMAIN", "only results of this domain", 0},
	{"tag", TRIB_OPT_LIST, "TAG", "only results with this tag (repeatable)", 0},
	PAGING_OPTS,
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt health_opts[] = {
	{"service", TRIB_OPT_STR, "NAME", "health of one service (default: the server)", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt register_opts[] = {
	{"dry-run", TRIB_OPT_FLAG, NULL, "validate against the server's policy; write nothing", 0},
	{"keep-going", TRIB_OPT_FLAG, NULL, "register the other files when one has an error", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt lineage_opts[] = {
	{"up", TRIB_OPT_FLAG, NULL, "upstream: what it is built from", 0},
	{"down", TRIB_OPT_FLAG, NULL, "downstream: what is built from it (default)", 0},
	{"both", TRIB_OPT_FLAG, NULL, "both directions", 0},
	{"depth", TRIB_OPT_UINT, "N", "at most N hops (0 = unlimited)", 0},
	{"level", TRIB_OPT_STR, "LEVEL", "product (default), port or field", 0},
	{"max-nodes", TRIB_OPT_UINT, "N", "cut the answer at N nodes (0 = the server's limit)", 0},
	{"format", TRIB_OPT_STR, "FORMAT", "tree (default), table, dot or mermaid", 0},
	{"kind", TRIB_OPT_LIST, "KIND", "only nodes of this kind (repeatable)", 0},
	{"domain", TRIB_OPT_LIST, "DOMAIN", "only nodes of this domain (repeatable)", 0},
	{"page-size", TRIB_OPT_UINT, "N", "nodes per page (0 = all up to the node limit)", 0},
	{"page-token", TRIB_OPT_STR, "TOKEN", "continue from a previous page of the same query", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt impact_opts[] = {
	{"summary", TRIB_OPT_FLAG, NULL, "counts per owner and domain only", 0},
	{"depth", TRIB_OPT_UINT, "N", "at most N hops (0 = unlimited)", 0},
	{"max-nodes", TRIB_OPT_UINT, "N", "cut the answer at N products (0 = the server's limit)", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt check_schema_opts[] = {
	{"port", TRIB_OPT_STR, "PORT", "the output port, when REF names only the product", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt provenance_opts[] = {
	{"depth", TRIB_OPT_UINT, "N", "at most N hops upstream (0 = unlimited)", 0},
	{NULL, 0, NULL, NULL, 0},
};

static const trib_opt audit_opts[] = {
	{"domain", TRIB_OPT_STR, "DOMAIN", "only products of this domain", 0},
	{NULL, 0, NULL, NULL, 0},
};

const trib_cmd trib_commands[] = {
	{"get", "REF", "show one data product", "REF is domain/name, or a bare name unique across domains.",
	 get_opts, 1, 1, 0, trib_cmd_get},
	{"list", "", "list data products", NULL, list_opts, 0, 0, 0, trib_cmd_list},
	{"deprecate", "REF", "mark a data product deprecated", NULL, deprecate_opts, 1, 1, 0,
	 trib_cmd_deprecate},
	{"delete", "REF", "delete a data product",
	 "When other products still read it, a placeholder stays in its place.", NULL, 1, 1, 0,
	 trib_cmd_delete},
	{"domains list", "", "list domains", NULL, NULL, 0, 0, 1, trib_cmd_domains_list},
	{"domains upsert", "NAME", "create or replace a domain", NULL, domains_upsert_opts, 1, 1, 0,
	 trib_cmd_domains_upsert},
	{"terms list", "", "list glossary terms", NULL, NULL, 0, 0, 1, trib_cmd_terms_list},
	{"terms upsert", "NAME", "create or replace a glossary term", NULL, terms_upsert_opts, 1, 1, 0,
	 trib_cmd_terms_upsert},
	{"history", "REF", "revisions and audit entries of a product, newest first", NULL, history_opts,
	 1, 1, 0, trib_cmd_history},
	{"search", "QUERY", "search products, ports, fields and terms", NULL, search_opts, 1, 1, 0,
	 trib_cmd_search},
	{"health", "", "check that the server is serving",
	 "Exit status 0 when SERVING, 5 otherwise or when the server cannot be reached.", health_opts,
	 0, 0, 0, trib_cmd_health},
	{"register", "FILE|DIR...", "register data products, domain maps and glossaries from YAML",
	 "A DIR stands for every *.yaml and *.yml file below it. Every problem is printed as\n"
	 "file:line:column: severity: message; a file with an error registers nothing (with\n"
	 "--keep-going the other files still register). Domains are upserted first, then all\n"
	 "products go in one RegisterProducts stream (any order: a bare upstream name that one\n"
	 "product of the run has is sent as its domain/name), then glossary terms.\n"
	 "One line per product says what happened; policy violations follow, one per line.\n"
	 "--json prints a RegisterProductsSummary (verdict per product; errors lists every error).\n"
	 "Exit status: 0 when everything registered, 4 for invalid input, 6 when the policy\n"
	 "refused a product, 5 when the server is unreachable.",
	 register_opts, 1, -1, 0, trib_cmd_register},
	{"lineage", "REF", "what feeds a node, or what it feeds",
	 "REF is any node: a product, domain/name:port, domain/name#field, source:name, ...\n"
	 "--format dot output can be drawn with `dot -Tsvg`; mermaid pastes into Markdown.",
	 lineage_opts, 1, 1, 0, trib_cmd_lineage},
	{"impact", "REF", "every product downstream of a product, port or field", NULL, impact_opts, 1,
	 1, 0, trib_cmd_impact},
	{"check-schema", "REF FILE", "what a proposed output port schema would break",
	 "FILE is a YAML list of fields (name, type, nullable, default), a YAML mapping with a\n"
	 "fields: list (an output port), or an Avro schema (.avsc).\n"
	 "Exit status 0 when the change is backward compatible, 6 when it breaks consumers.",
	 check_schema_opts, 2, 2, 0, trib_cmd_check_schema},
	{"provenance", "REF", "upstream sources and the constraints they impose", NULL, provenance_opts,
	 1, 1, 0, trib_cmd_provenance},
	{"policy show", "", "the policy the server enforces", NULL, NULL, 0, 0, 0, trib_cmd_policy_show},
	{"policy check", "FILE...", "evaluate spec files against the policy without registering",
	 "The same as register --dry-run. Exit status 6 when a product would be refused.",
	 register_opts + 1, 1, -1, 0, trib_cmd_policy_check},
	{"policy audit", "", "every registered product that now violates the policy", NULL, audit_opts,
	 0, 0, 0, trib_cmd_policy_audit},
	{NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL},
};

static const char global_help[] =
	"  --addr HOST:PORT   server address (default $TRIB_ADDR, else " TRIB_RPC_DEFAULT_ADDR ")\n"
	"  --timeout DURATION deadline of each call: 30, 1.5, 500ms, 10s, 2m (default 10s;\n"
	"                     register and policy check: 10m)\n"
	"  --json             print replies as JSON (every field present; see trib --help)\n"
	"  -q, --quiet        print only data and errors\n"
	"  --version          print the version and exit\n"
	"  -h, --help         print help and exit\n";

void trib_cli_init(trib_cli *cli, FILE *out, FILE *err, const char *env_addr)
{
	memset(cli, 0, sizeof *cli);
	cli->out = out;
	cli->err = err;
	cli->addr = env_addr && *env_addr ? env_addr : TRIB_RPC_DEFAULT_ADDR;
	cli->timeout_ms = 10000;
	trib_arena_init(&cli->arena, 0);
}

void trib_cli_dispose(trib_cli *cli)
{
	trib_rpc_close(cli->rpc);
	cli->rpc = NULL;
	trib_arena_dispose(&cli->arena);
}

const trib_cmd *trib_cli_find(const char *name)
{
	for (const trib_cmd *c = trib_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Whether `word` names a group of sub-commands ("domains" for "domains list"). */
static int is_group(const char *word)
{
	size_t n = strlen(word);
	for (const trib_cmd *c = trib_commands; c->name; c++)
		if (strncmp(c->name, word, n) == 0 && c->name[n] == ' ')
			return 1;
	return 0;
}

static const trib_cmd *group_sub(const char *group, const char *sub)
{
	size_t n = strlen(group);
	for (const trib_cmd *c = trib_commands; c->name; c++)
		if (strncmp(c->name, group, n) == 0 && c->name[n] == ' ' &&
		    (sub ? strcmp(c->name + n + 1, sub) == 0 : c->is_default))
			return c;
	return NULL;
}

/* "show, check, audit" for the error naming a group's sub-commands. */
static void group_subs(char *buf, size_t size, const char *group)
{
	size_t n = strlen(group), used = 0;
	buf[0] = '\0';
	for (const trib_cmd *c = trib_commands; c->name; c++) {
		if (strncmp(c->name, group, n) != 0 || c->name[n] != ' ')
			continue;
		int w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", c->name + n + 1);
		if (w < 0 || (size_t)w >= size - used)
			break;
		used += (size_t)w;
	}
}

int trib_cli_fail(trib_cli *cli, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("trib: error: ", cli->err);
	vfprintf(cli->err, fmt, ap);
	fputc('\n', cli->err);
	va_end(ap);
	return code;
}

int trib_cli_usage(trib_cli *cli, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("trib: error: ", cli->err);
	if (cli->cmd)
		fprintf(cli->err, "%s: ", cli->cmd->name);
	vfprintf(cli->err, fmt, ap);
	if (cli->cmd)
		fprintf(cli->err, " (see 'trib %s --help')\n", cli->cmd->name);
	else
		fputs(" (see 'trib --help')\n", cli->err);
	va_end(ap);
	return TRIB_EXIT_USAGE;
}

int trib_parse_duration_ms(int64_t *ms, const char *text)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (end == text || errno || !isfinite(v) || v < 0 || *text == '-' || *text == '+' ||
	    (text[0] == ' '))
		return trib_error_set(TRIB_EINVALID, "invalid duration '%s'", text);
	double scale;
	if (*end == '\0' || strcmp(end, "s") == 0)
		scale = 1000;
	else if (strcmp(end, "ms") == 0)
		scale = 1;
	else if (strcmp(end, "m") == 0)
		scale = 60000;
	else
		return trib_error_set(TRIB_EINVALID, "invalid duration '%s' (use 30, 500ms, 10s or 2m)", text);
	double total = v * scale;
	/* A day is longer than any call should wait; a bigger value is a typo. */
	if (total > 86400000.0)
		return trib_error_set(TRIB_EINVALID, "duration '%s' is longer than a day", text);
	*ms = (int64_t)(total + 0.5); /* total is finite, >= 0 and below a day */
	return 0;
}

static int parse_uint(uint32_t *out, const char *text, uint32_t max)
{
	if (!*text || strlen(text) > 10)
		return -1;
	uint64_t v = 0;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > (max ? max : UINT32_MAX))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

enum { G_ADDR, G_TIMEOUT, G_JSON, G_QUIET, G_VERSION, G_HELP };
static const trib_opt global_opts[] = {
	{"addr", TRIB_OPT_STR, "HOST:PORT", NULL, 0},
	{"timeout", TRIB_OPT_STR, "DURATION", NULL, 0},
	{"json", TRIB_OPT_FLAG, NULL, NULL, 0},
	{"quiet", TRIB_OPT_FLAG, NULL, NULL, 0},
	{"version", TRIB_OPT_FLAG, NULL, NULL, 0},
	{"help", TRIB_OPT_FLAG, NULL, NULL, 0},
	{NULL, 0, NULL, NULL, 0},
};

static int find_opt(const trib_opt *opts, const char *name, size_t len)
{
	if (!opts)
		return -1;
	for (int i = 0; opts[i].name; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return i;
	return -1;
}

static int apply_global(trib_cli *cli, int which, const char *value)
{
	switch (which) {
	case G_ADDR:
		if (!*value)
			return trib_cli_usage(cli, "--addr needs HOST:PORT");
		cli->addr = value;
		return 0;
	case G_TIMEOUT:
		if (trib_parse_duration_ms(&cli->timeout_ms, value) != 0)
			return trib_cli_usage(cli, "--timeout: %s", trib_error_last());
		cli->timeout_given = 1;
		return 0;
	case G_JSON:
		cli->json = 1;
		return 0;
	case G_QUIET:
		cli->quiet = 1;
		return 0;
	case G_VERSION:
		cli->version = 1;
		return 0;
	default:
		cli->help = 1;
		return 0;
	}
}

static int apply_cmd_opt(trib_cli *cli, int i, const char *value)
{
	const trib_opt *o = &cli->cmd->opts[i];
	trib_args *a = &cli->args;
	a->count[i]++;
	switch (o->type) {
	case TRIB_OPT_FLAG:
		return 0;
	case TRIB_OPT_UINT:
		if (parse_uint(&a->num[i], value, o->max) != 0)
			return trib_cli_usage(cli, "--%s wants a whole number from 0 to %lu, not '%s'", o->name,
					      (unsigned long)(o->max ? o->max : UINT32_MAX), value);
		a->str[i] = value;
		return 0;
	case TRIB_OPT_STR:
		a->str[i] = value;
		return 0;
	default: {
		size_t n = (size_t)a->count[i];
		const char **grown = trib_arena_realloc(&cli->arena, a->list[i], (n - 1) * sizeof *grown,
							(n + 1) * sizeof *grown);
		if (!grown)
			return trib_cli_fail(cli, TRIB_EXIT_ERROR, "%s", trib_error_last());
		grown[n - 1] = value;
		grown[n] = NULL;
		a->list[i] = grown;
		return 0;
	}
	}
}

/* One option at argv[*i]; consumes its value. */
static int parse_option(trib_cli *cli, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];
	const char *name, *eq = NULL;
	size_t len;
	if (arg[1] != '-') {
		/* Short forms exist only for the flags everyone types. */
		if (strcmp(arg, "-h") == 0)
			return apply_global(cli, G_HELP, NULL);
		if (strcmp(arg, "-q") == 0)
			return apply_global(cli, G_QUIET, NULL);
		return trib_cli_usage(cli, "unknown option '%s'", arg);
	}
	name = arg + 2;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);

	const trib_opt *opts = global_opts;
	int idx = find_opt(global_opts, name, len);
	int global = idx >= 0;
	if (!global && cli->cmd) {
		opts = cli->cmd->opts;
		idx = find_opt(opts, name, len);
	}
	if (idx < 0)
		return trib_cli_usage(cli, "unknown option '--%.*s'", (int)len, name);
	const char *value = NULL;
	if (opts[idx].type == TRIB_OPT_FLAG) {
		if (eq)
			return trib_cli_usage(cli, "--%s takes no value", opts[idx].name);
	} else if (eq) {
		value = eq + 1;
	} else {
		if (*i + 1 >= argc)
			return trib_cli_usage(cli, "--%s needs a value (%s)", opts[idx].name, opts[idx].arg);
		value = argv[++*i];
	}
	return global ? apply_global(cli, idx, value) : apply_cmd_opt(cli, idx, value);
}

static int positional(trib_cli *cli, const char *word)
{
	if (!cli->cmd && !cli->group) {
		const trib_cmd *c = trib_cli_find(word);
		if (c && !strchr(c->name, ' ')) {
			cli->cmd = c;
			return 0;
		}
		if (is_group(word)) {
			cli->group = word;
			return 0;
		}
		return trib_cli_usage(cli, "unknown command '%s'", word);
	}
	if (!cli->cmd) {
		const trib_cmd *c = group_sub(cli->group, word);
		if (!c) {
			c = group_sub(cli->group, NULL);
			if (!c) {
				char subs[256];
				group_subs(subs, sizeof subs, cli->group);
				return trib_cli_usage(cli, "unknown sub-command '%s %s' (one of: %s)", cli->group,
						      word, subs);
			}
			cli->cmd = c;
			cli->group = NULL;
			/* The default sub-command takes the word as its argument. */
			return positional(cli, word);
		}
		cli->cmd = c;
		cli->group = NULL;
		return 0;
	}
	if (cli->args.n_pos >= TRIB_POS_MAX)
		return trib_cli_usage(cli, "more than %d arguments", TRIB_POS_MAX);
	cli->args.pos[cli->args.n_pos++] = word;
	return 0;
}

int trib_cli_parse(trib_cli *cli, int argc, char **argv)
{
	int opts_done = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc;
		if (!opts_done && strcmp(a, "--") == 0) {
			opts_done = 1;
			continue;
		}
		if (!opts_done && a[0] == '-' && a[1] != '\0')
			rc = parse_option(cli, argc, argv, &i);
		else
			rc = positional(cli, a);
		if (rc)
			return rc;
	}
	if (cli->group && !cli->help) {
		const trib_cmd *c = group_sub(cli->group, NULL);
		if (c) {
			cli->cmd = c;
			cli->group = NULL;
		} else {
			char subs[256];
			group_subs(subs, sizeof subs, cli->group);
			return trib_cli_usage(cli, "'%s' needs a sub-command (one of: %s)", cli->group, subs);
		}
	}
	if (cli->help || cli->version)
		return 0;
	if (!cli->cmd)
		return trib_cli_usage(cli, "no command given");
	const trib_cmd *c = cli->cmd;
	if (cli->args.n_pos < c->min_pos)
		return trib_cli_usage(cli, "missing %s", c->args);
	if (c->max_pos >= 0 && cli->args.n_pos > c->max_pos)
		return trib_cli_usage(cli, "unexpected argument '%s'", cli->args.pos[c->max_pos]);
	return 0;
}

static int opt_index(const trib_cli *cli, const char *name)
{
	int i = find_opt(cli->cmd->opts, name, strlen(name));
	assert(i >= 0 && "option not declared by the command");
	return i;
}

int trib_cli_flag(const trib_cli *cli, const char *name)
{
	return cli->args.count[opt_index(cli, name)];
}

int trib_cli_given(const trib_cli *cli, const char *name)
{
	return cli->args.count[opt_index(cli, name)] > 0;
}

const char *trib_cli_str(const trib_cli *cli, const char *name)
{
	return cli->args.str[opt_index(cli, name)];
}

uint32_t trib_cli_uint(const trib_cli *cli, const char *name, uint32_t def)
{
	int i = opt_index(cli, name);
	return cli->args.count[i] ? cli->args.num[i] : def;
}

const char **trib_cli_list(const trib_cli *cli, const char *name, size_t *n)
{
	int i = opt_index(cli, name);
	*n = (size_t)cli->args.count[i];
	return cli->args.list[i];
}

static void print_opts(FILE *out, const trib_opt *opts)
{
	if (!opts)
		return;
	for (const trib_opt *o = opts; o->name; o++) {
		char left[64];
		snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-18s %s\n", left, o->help);
	}
}

static void usage_line(FILE *out, const trib_cmd *c)
{
	fprintf(out, "trib %s%s%s%s\n", c->name, *c->args ? " " : "", c->args,
		c->opts && c->opts[0].name ? " [options]" : "");
}

void trib_cli_print_help(FILE *out, const trib_cmd *cmd)
{
	if (cmd) {
		fputs("usage: ", out);
		usage_line(out, cmd);
		fprintf(out, "\n%s.\n", cmd->summary);
		if (cmd->help)
			fprintf(out, "\n%s\n", cmd->help);
		if (cmd->opts && cmd->opts[0].name) {
			fputs("\noptions:\n", out);
			print_opts(out, cmd->opts);
		}
		fputs("\nglobal options:\n", out);
		fputs(global_help, out);
		return;
	}
	fputs("usage: trib [global options] COMMAND [ARGS] [options]\n\n"
	      "Query and feed a Tributary catalog (tributaryd) over gRPC.\n\ncommands:\n",
	      out);
	for (const trib_cmd *c = trib_commands; c->name; c++) {
		char left[64];
		snprintf(left, sizeof left, "%s%s%s", c->name, *c->args ? " " : "", c->args);
		fprintf(out, "  %-26s %s\n", left, c->summary);
	}
	fputs("\nglobal options (anywhere on the line):\n", out);
	fputs(global_help, out);
	fputs("\nexit status: 0 ok, 1 other error, 2 usage, 3 not found, 4 invalid argument,\n"
	      "5 server unavailable or deadline exceeded, 6 refused by policy (failed precondition).\n"
	      "\n--json prints the reply message: snake_case keys as in proto/, every field present\n"
	      "(defaults included; an unset message is null), enums by name, 64-bit integers as numbers.\n"
	      "Run 'trib COMMAND --help' for a command's options.\n",
	      out);
}

static void print_group_help(FILE *out, const char *group)
{
	size_t n = strlen(group);
	fprintf(out, "usage: trib %s SUB-COMMAND ...\n\nsub-commands:\n", group);
	for (const trib_cmd *c = trib_commands; c->name; c++)
		if (strncmp(c->name, group, n) == 0 && c->name[n] == ' ') {
			char left[64];
			snprintf(left, sizeof left, "%s%s%s", c->name, *c->args ? " " : "", c->args);
			fprintf(out, "  %-26s %s\n", left, c->summary);
		}
}

trib_rpc *trib_cli_rpc(trib_cli *cli)
{
	if (cli->rpc)
		return cli->rpc;
	trib_rpc_opts o = TRIB_RPC_OPTS_INIT;
	o.addr = cli->addr;
	o.timeout_ms = cli->timeout_ms;
	/* Recorded by the server as registered_by and in the audit log. */
	o.actor = getenv("TRIB_ACTOR");
	if (!o.actor || !*o.actor)
		o.actor = getenv("USER");
	if (trib_rpc_open(&cli->rpc, &o) != 0) {
		trib_cli_fail(cli, TRIB_EXIT_USAGE, "%s", trib_error_last());
		return NULL;
	}
	return cli->rpc;
}

int trib_cli_call(trib_cli *cli, const char *method, const ProtobufCMessage *req,
		  const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
		  trib_rpc_status *st)
{
	trib_rpc_status local;
	if (!st)
		st = &local;
	*resp = NULL;
	trib_rpc *rpc = trib_cli_rpc(cli);
	if (!rpc) {
		st->code = TRIB_RPC_INVALID_ARGUMENT;
		snprintf(st->message, sizeof st->message, "%s", trib_error_last());
		return TRIB_EXIT_USAGE;
	}
	if (trib_rpc_unary(rpc, method, req, resp_desc, &cli->arena, resp, st) == 0)
		return 0;
	return trib_cli_fail(cli, trib_rpc_exit_code(st->code), "%s", st->message);
}

int trib_cli_query(trib_cli *cli, const char *method, const ProtobufCMessage *req,
		   const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp)
{
	int rc = trib_cli_call(cli, method, req, resp_desc, resp, NULL);
	if (rc == 0 && cli->json) {
		trib_json_print(cli->out, *resp);
		*resp = NULL;
	}
	return rc;
}

int trib_cli_run(trib_cli *cli, int argc, char **argv)
{
	int rc = trib_cli_parse(cli, argc, argv);
	if (rc)
		return rc;
	if (cli->version) {
		fprintf(cli->out, "trib %s\n", TRIB_CLI_VERSION);
		return 0;
	}
	if (cli->help) {
		if (!cli->cmd && cli->group)
			print_group_help(cli->out, cli->group);
		else
			trib_cli_print_help(cli->out, cli->cmd);
		return 0;
	}
	return cli->cmd->run(cli);
}

int trib_main(int argc, char **argv)
{
	trib_cli cli;
	trib_cli_init(&cli, stdout, stderr, getenv("TRIB_ADDR"));
	int rc = trib_cli_run(&cli, argc, argv);
	trib_cli_dispose(&cli);
	if (fflush(stdout) != 0 && rc == 0)
		rc = TRIB_EXIT_ERROR;
	/* The library finishes tearing down in the background; wait briefly so
	 * no thread is still running at exit (keeps valgrind quiet). */
	for (int i = 0; i < 100 && grpc_is_initialized(); i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return rc;
}
