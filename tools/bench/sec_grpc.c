/*
 * The gRPC section: tributaryd over loopback, as CI pipelines and portals
 * see it.
 *
 * 1. RegisterProducts: the products of a generated graph (parents first),
 *    streamed in calls of --stream-products; the server acknowledges a call
 *    only once it is durable, so products/s is the durable rate. Twice, each
 *    on a fresh store: with the built-in default policy (what users run; its
 *    composition and freshness rules walk every product's upstream closure)
 *    and with a naming-only policy (the cost of plumbing, store and fsync).
 * 2. GetProduct (on the naming-only server): random registered products, with 1..64 calls in flight on
 *    one completion queue, each level for GET_SECONDS; every reply is unpacked
 *    and its name checked.
 * 3. The server's resident set after the run (and its peak).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "tributary/v1/catalog.pb-c.h"

#define GET_REQUESTS 4096u
#define GET_SECONDS 2.0
#define WARM_SECONDS 0.5
#define REGISTER_TARGET 20000.0
#define GET_TARGET 40000.0

typedef struct get_check_ctx {
	char (*names)[16];
} get_check_ctx;

static int check_product(const uint8_t *data, size_t len, size_t req, void *payload, char *err,
			 size_t errsize)
{
	get_check_ctx *ctx = payload;
	Tributary__V1__DataProduct *p = tributary__v1__data_product__unpack(NULL, len, data);
	if (!p) {
		snprintf(err, errsize, "GetProduct reply %zu: undecodable DataProduct", req);
		return -1;
	}
	int rc = strcmp(p->name, ctx->names[req]) == 0 ? 0 : -1;
	if (rc)
		snprintf(err, errsize, "GetProduct reply %zu: product '%s', asked for '%s'", req, p->name,
			 ctx->names[req]);
	tributary__v1__data_product__free_unpacked(p, NULL);
	return rc;
}


/*
 * Register every product of g in streams of o->stream_products on a running
 * server. Returns how many products were acknowledged (all of g, or those of
 * the streams before the first failure, which is reported, not fatal).
 */
static uint32_t register_all(const bench_opts *o, const bench_graph *g, bench_server *srv, bench_client *c,
			     const char *label)
{
	uint32_t n = g->n, per_stream = o->stream_products;
	double t0 = bench_now(), cpu_srv = bench_proc_cpu_s(srv->pid), cpu_me = bench_proc_cpu_s(0);
	uint32_t acked = 0; /* products [0, acked) are registered */
	for (uint32_t from = 0; from < n; from += per_stream) {
		uint32_t to = from + per_stream < n ? from + per_stream : n;
		bench_register_result r;
		if (bench_rpc_register_stream(&r, c, g, from, to) != 0 || r.failed || r.registered != r.sent) {
			printf("  %-34s FAILED on the stream of products %u..%u after %u acknowledged: sent %zu, "
			       "registered %zu, failed %zu: %s   %s\n",
			       label, from, to - 1, acked, r.sent, r.registered, r.failed, r.error, bench_verdict(0));
			break;
		}
		acked = to;
	}
	double reg_s = bench_now() - t0;
	cpu_srv = bench_proc_cpu_s(srv->pid) - cpu_srv;
	cpu_me = bench_proc_cpu_s(0) - cpu_me;
	double rate = acked / reg_s;
	char tb[32];
	if (acked == n)
		printf("  %-34s %u products in %s = %.1fk products/s (server CPU %.0f%%, client %.0f%%)   "
		       "target >= %.0fk/s %s\n",
		       label, acked, bench_fmt_time(tb, sizeof(tb), reg_s), rate / 1e3, 100 * cpu_srv / reg_s,
		       100 * cpu_me / reg_s, REGISTER_TARGET / 1e3, bench_verdict(rate >= REGISTER_TARGET));
	bench_print_mem(srv, "after registering");
	return acked;
}

static void start_server(bench_server *srv, const bench_opts *o, const char *base, const char *name,
			 const char *policy)
{
	char data_dir[4200], log_path[4200];
	snprintf(data_dir, sizeof(data_dir), "%s/%s-data", base, name);
	snprintf(log_path, sizeof(log_path), "%s/%s.log", base, name);
	bench_rm_tree(data_dir); /* a previous run's store under --dir */
	if (bench_server_start(srv, o->server, data_dir, log_path, policy) != 0)
		bench_die("bench: could not start %s (see above)", o->server);
	printf("  tributaryd pid %d on %s, policy %s, log level warn (no per-call lines), default workers\n",
	       srv->pid, srv->addr, policy ? policy : "built-in default");
}

static void stop_server(bench_server *srv)
{
	if (bench_server_stop(srv) != 0)
		bench_die("bench: tributaryd did not shut down cleanly (log: %s)", srv->log_path);
}

/* Only the naming rule: what registration costs without the policy's upstream walks. */
static const char NAMING_ONLY_POLICY[] =
	"version: 1\n"
	"rules:\n"
	"  - id: naming\n"
	"    description: Products and domains are lowercase kebab-case.\n"
	"    severity: error\n"
	"    type: naming\n"
	"    params:\n"
	"      product: '[a-z][a-z0-9-]*'\n"
	"      domain: '[a-z][a-z0-9-]*'\n";

void bench_section_grpc(const bench_opts *o, const char *base)
{
	uint32_t n = o->grpc_products;
	printf("\n== gRPC over loopback: %s ==\n", o->server);
	if (access(o->server, X_OK) != 0) {
		printf("  skipped: %s is not an executable (build it with make all, or pass --server PATH)\n",
		       o->server);
		return;
	}
	bench_graph g;
	bench_gen(&g, n, o->seed);
	printf("  RegisterProducts: the %u products of the %u-node graph, parents first, client streams of %u; "
	       "acknowledged = durable\n",
	       n, n, o->stream_products);

	/* 1a. The shipped configuration: the built-in default policy. */
	bench_server srv;
	start_server(&srv, o, base, "grpc-default", NULL);
	bench_client *c = bench_client_open(srv.addr);
	register_all(o, &g, &srv, c, "RegisterProducts, default policy");
	bench_client_close(c);
	stop_server(&srv);

	/* 1b. Naming rule only, on a fresh store: plumbing, store and fsync. It serves GetProduct. */
	char policy[4200];
	snprintf(policy, sizeof(policy), "%s/naming-only-policy.yaml", base);
	FILE *pf = fopen(policy, "w");
	if (!pf || fputs(NAMING_ONLY_POLICY, pf) < 0 || fclose(pf) != 0)
		bench_die("bench: cannot write %s", policy);
	start_server(&srv, o, base, "grpc-naming", policy);
	c = bench_client_open(srv.addr);
	uint32_t acked = register_all(o, &g, &srv, c, "RegisterProducts, naming-only");
	if (acked == 0) {
		bench_client_close(c);
		stop_server(&srv);
		bench_gen_free(&g);
		return;
	}

	/* 2. GetProduct with concurrency. */
	bench_rng rng;
	bench_rng_seed(&rng, o->seed ^ 0x67657470726f64ull);
	bench_packed **reqs = bench_xmalloc(sizeof(*reqs) * GET_REQUESTS);
	get_check_ctx ctx = {bench_xmalloc(sizeof(*ctx.names) * GET_REQUESTS)};
	for (size_t i = 0; i < GET_REQUESTS; i++) {
		uint32_t v = (uint32_t)bench_rng_below(&rng, acked);
		char ref[48];
		bench_node_ref(ref, sizeof(ref), &g, v);
		snprintf(ctx.names[i], sizeof(ctx.names[i]), "%s", strchr(ref, '/') + 1);
		Tributary__V1__GetProductRequest req = TRIBUTARY__V1__GET_PRODUCT_REQUEST__INIT;
		req.ref = ref;
		reqs[i] = bench_pack(&req.base);
	}
	bench_rpc_job job = {"/tributary.v1.Catalog/GetProduct", reqs, GET_REQUESTS, check_product, &ctx,
			     16, WARM_SECONDS, 0};
	bench_rpc_stats st;
	bench_rpc_drive(&st, c, &job); /* warm-up: connection, page cache */
	if (st.errors)
		bench_die("bench: GetProduct: %zu of %zu calls failed: %s", st.errors, st.calls, st.first_error);

	printf("  GetProduct         in flight   calls/s     p50       p99   server CPU  client CPU  (%.0f s each, "
	       "replies checked)\n",
	       GET_SECONDS);
	static const unsigned levels[] = {1, 4, 16, 64};
	double best = 0;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		job.concurrency = levels[i];
		job.seconds = GET_SECONDS;
		double cpu_srv = bench_proc_cpu_s(srv.pid);
		double cpu_me = bench_proc_cpu_s(0);
		bench_rpc_drive(&st, c, &job);
		cpu_srv = bench_proc_cpu_s(srv.pid) - cpu_srv;
		cpu_me = bench_proc_cpu_s(0) - cpu_me;
		if (st.errors)
			bench_die("bench: GetProduct: %zu of %zu calls failed: %s", st.errors, st.calls,
				  st.first_error);
		double rate = st.calls / st.elapsed;
		best = rate > best ? rate : best;
		char p50[32], p99[32];
		printf("                     %9u   %7.1fk  %9s %9s   %8.0f%%  %9.0f%%\n", levels[i], rate / 1e3,
		       bench_fmt_time(p50, sizeof(p50), st.p50), bench_fmt_time(p99, sizeof(p99), st.p99),
		       100 * cpu_srv / st.elapsed, 100 * cpu_me / st.elapsed);
	}
	printf("  GetProduct best    %.1fk calls/s   target >= %.0fk/s %s\n", best / 1e3, GET_TARGET / 1e3,
	       bench_verdict(best >= GET_TARGET));
	bench_print_mem(&srv, "after the run");

	for (size_t i = 0; i < GET_REQUESTS; i++)
		bench_pack_free(reqs[i]);
	free(reqs);
	free(ctx.names);
	bench_client_close(c);
	stop_server(&srv);
	printf("  tributaryd stopped cleanly on SIGTERM\n");
	bench_gen_free(&g);
}
