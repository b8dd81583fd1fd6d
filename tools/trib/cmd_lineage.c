/* Lineage commands: lineage, impact, check-schema, provenance. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"
#include "json.h"
#include "render.h"
#include "report.h"

#include "tributary/error.h"
#include "tributary/ingest.h"
#include "tributary/v1/lineage.pb-c.h"

#define LINEAGE(m) "/tributary.v1.Lineage/" m
#define S(x) ((char *)(x))

static const struct {
	const char *name;
	int format;
} formats[] = {
	{"tree", TRIB_FMT_TREE},
	{"table", TRIB_FMT_TABLE},
	{"dot", TRIB_FMT_DOT},
	{"mermaid", TRIB_FMT_MERMAID},
};

int trib_cmd_lineage(trib_cli *cli)
{
	Tributary__V1__LineageRequest req = TRIBUTARY__V1__LINEAGE_REQUEST__INIT;
	req.ref = S(cli->args.pos[0]);
	int up = trib_cli_given(cli, "up"), down = trib_cli_given(cli, "down"), both = trib_cli_given(cli, "both");
	if (up + down + both > 1)
		return trib_cli_usage(cli, "--up, --down and --both exclude each other");
	req.direction = up     ? TRIBUTARY__V1__DIRECTION__DIRECTION_UPSTREAM
			: both ? TRIBUTARY__V1__DIRECTION__DIRECTION_BOTH
			       : TRIBUTARY__V1__DIRECTION__DIRECTION_DOWNSTREAM;
	req.max_depth = trib_cli_uint(cli, "depth", 0);
	req.max_nodes = trib_cli_uint(cli, "max-nodes", 0);
	req.level = TRIBUTARY__V1__LEVEL__LEVEL_PRODUCT;
	const char *level = trib_cli_str(cli, "level");
	if (level) {
		int v = trib_enum_from_word(&tributary__v1__level__descriptor, level);
		if (v <= 0)
			return trib_cli_usage(cli, "--level is product, port or field, not '%s'", level);
		req.level = (Tributary__V1__Level)v;
	}
	int format = TRIB_FMT_TREE;
	const char *fmt = trib_cli_str(cli, "format");
	if (fmt) {
		format = -1;
		for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
			if (strcmp(fmt, formats[i].name) == 0)
				format = formats[i].format;
		if (format < 0)
			return trib_cli_usage(cli, "--format is tree, table, dot or mermaid, not '%s'", fmt);
		if (cli->json)
			return trib_cli_usage(cli, "--format and --json exclude each other");
	}
	int rc = trib_cli_kinds(cli, &req.kinds, &req.n_kinds);
	if (rc)
		return rc;
	req.domains = (char **)trib_cli_list(cli, "domain", &req.n_domains);
	req.page_size = trib_cli_uint(cli, "page-size", 0);
	const char *token = trib_cli_str(cli, "page-token");
	req.page_token = S(token ? token : "");

	ProtobufCMessage *resp;
	rc = trib_cli_query(cli, LINEAGE("GetLineage"), &req.base, &tributary__v1__lineage_graph__descriptor,
			    &resp);
	if (!rc && resp)
		trib_render_lineage(cli->out, &cli->arena, (Tributary__V1__LineageGraph *)resp, format);
	return rc;
}

int trib_cmd_impact(trib_cli *cli)
{
	Tributary__V1__ImpactRequest req = TRIBUTARY__V1__IMPACT_REQUEST__INIT;
	req.ref = S(cli->args.pos[0]);
	req.max_depth = trib_cli_uint(cli, "depth", 0);
	req.max_nodes = trib_cli_uint(cli, "max-nodes", 0);
	req.summary_only = trib_cli_given(cli, "summary");
	ProtobufCMessage *resp;
	int rc = trib_cli_query(cli, LINEAGE("Impact"), &req.base, &tributary__v1__impact_report__descriptor, &resp);
	if (!rc && resp)
		trib_render_impact(cli->out, &cli->arena, (Tributary__V1__ImpactReport *)resp);
	return rc;
}

int trib_cmd_check_schema(trib_cli *cli)
{
	const char *file = cli->args.pos[1];
	struct stat sb;
	/* Said as register says it, and "not found" like any missing thing. */
	if (stat(file, &sb) != 0)
		return trib_cli_fail(cli, errno == ENOENT ? TRIB_EXIT_NOTFOUND : TRIB_EXIT_ERROR, "'%s': %s", file,
				     strerror(errno));
	ing_result res;
	ing_result_init(&res);
	Tributary__V1__Field **fields = NULL;
	size_t n_fields = 0;
	int err = ing_parse_schema_file(&fields, &n_fields, &res, &cli->arena, file, NULL);
	trib_report_diags(cli, &res, 0);
	if (err == TRIB_ENOMEM || (err && res.n_diags == 0))
		return trib_cli_fail(cli, trib_exit_for_err(err), "%s", trib_error_last());
	if (err)
		return trib_cli_fail(cli, trib_exit_for_err(err), "%s: %zu error%s; nothing checked", file,
				     res.n_errors, res.n_errors == 1 ? "" : "s");
	if (n_fields == 0)
		return trib_cli_fail(cli, TRIB_EXIT_INVALID, "%s: no fields found", file);

	Tributary__V1__SchemaChangeRequest req = TRIBUTARY__V1__SCHEMA_CHANGE_REQUEST__INIT;
	req.ref = S(cli->args.pos[0]);
	req.fields = fields;
	req.n_fields = n_fields;
	const char *port = trib_cli_str(cli, "port");
	req.port = S(port ? port : "");
	ProtobufCMessage *resp;
	int rc = trib_cli_call(cli, LINEAGE("CheckSchemaChange"), &req.base,
			       &tributary__v1__schema_change_report__descriptor, &resp, NULL);
	if (rc)
		return rc;
	const Tributary__V1__SchemaChangeReport *r = (const Tributary__V1__SchemaChangeReport *)resp;
	if (cli->json)
		trib_json_print(cli->out, resp);
	else
		trib_render_schema_change(cli->out, &cli->arena, r);
	/* A breaking change fails the pipeline that asked. */
	return r->compatible ? TRIB_EXIT_OK : TRIB_EXIT_POLICY;
}

int trib_cmd_provenance(trib_cli *cli)
{
	Tributary__V1__ProvenanceRequest req = TRIBUTARY__V1__PROVENANCE_REQUEST__INIT;
	req.ref = S(cli->args.pos[0]);
	req.max_depth = trib_cli_uint(cli, "depth", 0);
	ProtobufCMessage *resp;
	int rc = trib_cli_query(cli, LINEAGE("Provenance"), &req.base,
			       &tributary__v1__provenance_report__descriptor, &resp);
	if (!rc && resp)
		trib_render_provenance(cli->out, &cli->arena, (Tributary__V1__ProvenanceReport *)resp);
	return rc;
}
