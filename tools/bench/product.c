/* The data product each generated node becomes, for every loader (store.c, rpc.c). */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define DOMAINS_PER_LAYER 16u

static void node_parts(char *domain, size_t dsize, char *name, size_t nsize, const bench_graph *g,
		       uint32_t v)
{
	/* Parents are mostly local in a layer, so neighbours share a domain as in a real mesh. */
	unsigned layer = bench_layer_of(g, v);
	uint32_t width = g->layer_start[layer + 1] - g->layer_start[layer];
	uint32_t dom = (uint32_t)((uint64_t)(v - g->layer_start[layer]) * DOMAINS_PER_LAYER / width);
	snprintf(domain, dsize, "l%u-d%02u", layer, dom);
	snprintf(name, nsize, "p%07u", v);
}

void bench_node_ref(char *buf, size_t size, const bench_graph *g, uint32_t v)
{
	char domain[16], name[16];
	node_parts(domain, sizeof(domain), name, sizeof(name), g, v);
	snprintf(buf, size, "%s/%s", domain, name);
}

void bench_product_fill(bench_product *bp, const bench_graph *g, uint32_t v)
{
	size_t np = g->up.off[v + 1] - g->up.off[v];
	if (np > BENCH_MAX_INPUTS)
		bench_die("bench: node %u has %zu parents, more than %d", v, np, BENCH_MAX_INPUTS);

	tributary__v1__data_product__init(&bp->p);
	node_parts(bp->domain, sizeof(bp->domain), bp->name, sizeof(bp->name), g, v);
	snprintf(bp->owner, sizeof(bp->owner), "team-%s", bp->domain);
	snprintf(bp->description, sizeof(bp->description), "synthetic layer-%u product %u",
		 bench_layer_of(g, v), v);
	snprintf(bp->location, sizeof(bp->location), "s3://bench/%s/%s", bp->domain, bp->name);
	bp->p.domain = bp->domain;
	bp->p.name = bp->name;
	bp->p.version = "1.0.0";
	bp->p.owner = bp->owner;
	bp->p.description = bp->description;

	tributary__v1__sla__init(&bp->sla);
	bp->sla.freshness = "1 hour";
	bp->sla.freshness_seconds = 3600;
	bp->p.sla = &bp->sla;

	tributary__v1__output_port__init(&bp->out);
	bp->out.name = "main";
	bp->out.type = TRIBUTARY__V1__PORT_TYPE__PORT_TYPE_TABLE;
	bp->out.format = "parquet";
	bp->out.location = bp->location;
	bp->outs[0] = &bp->out;
	bp->p.n_output_ports = 1;
	bp->p.output_ports = bp->outs;

	for (size_t i = 0; i < np; i++) {
		tributary__v1__input_port__init(&bp->in[i]);
		bench_node_ref(bp->sources[i], sizeof(bp->sources[i]), g, g->up.adj[g->up.off[v] + i]);
		bp->in[i].source = bp->sources[i];
		bp->in[i].source_type = "data-product";
		bp->ins[i] = &bp->in[i];
	}
	bp->p.n_input_ports = np;
	bp->p.input_ports = bp->ins;
}
