/* tributary.v1.Catalog registration: RegisterProduct and the RegisterProducts stream. */
#include "srv.h"

#include <string.h>

#include "tributary/policy.h"

/* Products committed together in one transaction (one fsync) by RegisterProducts. */
#define BATCH_MAX 256
/* Per-product verdicts kept in the summary; beyond it only failures are listed
 * (up to ERRORS_MAX more), so the summary of a huge stream stays well under
 * the message limit. The counts are always exact. */
#define RESULTS_MAX 10000
#define ERRORS_MAX 1000

typedef struct reg_outcome {
	graph_put_result put;
	pol_result pol;
} reg_outcome;

/*
 * Register p in write transaction t and evaluate the policy on what was
 * stored. TRIB_EPOLICY (the caller aborts t) when the policy refuses it,
 * except for a dry run, whose verdict is the answer: the caller aborts t and
 * returns every violation in the response.
 */
static int register_in(reg_outcome *o, graph_txn *t, trib_arena *a, const trib_product *p, const char *actor,
		       int dry_run)
{
	memset(o, 0, sizeof *o);
	graph_put_opts popts = GRAPH_PUT_OPTS_INIT;
	popts.actor = actor;
	int rc = graph_product_put(&o->put, t, a, p, &popts);
	if (rc)
		return rc == TRIB_EINVALID ? srv_error_at(rc, "product") : rc;
	pol_policy *pol = pol_global_get();
	rc = pol_evaluate_put(&o->pol, pol, t, a, &o->put);
	pol_unref(pol);
	if (rc)
		return rc;
	if (o->pol.nerrors && !dry_run)
		return pol_refusal(&o->pol, o->put.stored);
	return 0;
}

int srv_catalog_register_product(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	const Tributary__V1__RegisterProductRequest *r = (const void *)req;
	if (!r->product)
		return trib_error_set(TRIB_EINVALID, "product: required");
	reg_outcome o;
	int rc = register_in(&o, c->txn, c->arena, r->product, c->actor, r->dry_run);
	if (rc)
		return rc;
	Tributary__V1__RegisterProductResponse *out =
		srv_msg_new(c->arena, &tributary__v1__register_product_response__descriptor);
	if (!out)
		return trib_error_last_code();
	out->product = o.put.stored;
	out->created = o.put.created;
	out->violations = o.pol.items;
	out->n_violations = o.pol.nerrors;
	out->warnings = o.pol.items + o.pol.nerrors;
	out->n_warnings = o.pol.count - o.pol.nerrors;
	out->dry_run = r->dry_run;
	*resp = &out->base;
	/* A dry run did every write, so the verdict is exact; then it is undone. */
	return r->dry_run ? SRV_DRY_RUN : 0;
}

/* ------------------------------------------------------------ the stream */

typedef struct pending {
	const trib_product *p;  /* in c->scratch */
	size_t index;           /* position in the stream */
	int rc;                 /* failure of this product, 0 if none (yet) */
	const char *message;    /* c->arena */
	reg_outcome o;
} pending;

typedef struct reg_stream {
	srv_ctx *c;
	trib_arena *attempt;    /* what one try of a batch stores and evaluates; see flush */
	pending batch[BATCH_MAX];
	size_t n;
	long failed_at;         /* set by batch_fn: the product that failed the transaction */
	size_t seen;
	size_t cap_results, cap_errors;
	Tributary__V1__RegisterProductsSummary *sum;
} reg_stream;

/* Errors that belong to one product; any other error ends the stream. */
static int product_specific(int rc)
{
	switch (rc) {
	case TRIB_EINVALID:
	case TRIB_ECONFLICT:
	case TRIB_EPOLICY:
	case TRIB_ENOTFOUND:
	case TRIB_EEXISTS:
	case TRIB_EDENIED:
	case TRIB_ELIMIT:
		return 1;
	default:
		return 0;
	}
}

static char *product_ref(trib_arena *a, const trib_product *p, size_t index)
{
	if (p && p->domain && *p->domain && p->name && *p->name)
		return trib_arena_printf(a, "%s/%s", p->domain, p->name);
	return trib_arena_printf(a, "#%zu", index);
}

/* Deep copy of violations into the call arena (the batch's arena is cleared after it). */
static int copy_violations(Tributary__V1__Violation ***out, size_t *n, trib_arena *a,
			   Tributary__V1__Violation *const *v, size_t count)
{
	*out = NULL;
	*n = 0;
	if (!count)
		return 0;
	Tributary__V1__Violation **arr = trib_arena_calloc(a, count, sizeof *arr);
	if (!arr)
		return trib_error_last_code();
	for (size_t i = 0; i < count; i++) {
		Tributary__V1__Violation *x = srv_msg_new(a, &tributary__v1__violation__descriptor);
		if (!x || !(x->rule_id = trib_arena_strdup(a, v[i]->rule_id)) ||
		    !(x->message = trib_arena_strdup(a, v[i]->message)) ||
		    !(x->field_path = trib_arena_strdup(a, v[i]->field_path)) ||
		    !(x->upstream_ref = trib_arena_strdup(a, v[i]->upstream_ref)) ||
		    !(x->severity = trib_arena_strdup(a, v[i]->severity)))
			return trib_error_last_code();
		arr[i] = x;
	}
	*out = arr;
	*n = count;
	return 0;
}

/* Append to an arena array, doubling its capacity. */
static int record(reg_stream *st, const pending *b, int dry_run)
{
	srv_ctx *c = st->c;
	Tributary__V1__RegisterProductsSummary *sum = st->sum;
	int ok = b->rc == 0;
	if (ok && !dry_run)
		sum->registered++;
	else if (!ok)
		sum->failed++;
	char *ref = product_ref(c->arena, b->p, b->index);
	if (!ref)
		return trib_error_last_code();
	int rc;
	if (!ok && sum->n_errors < ERRORS_MAX) {
		if ((rc = trib_arena_reserve(c->arena, &sum->errors, &st->cap_errors, sum->n_errors, sizeof *sum->errors, 64)))
			return rc;
		if (!(sum->errors[sum->n_errors] = trib_arena_printf(c->arena, "%s: %s", ref, b->message)))
			return trib_error_last_code();
		sum->n_errors++;
	}
	if (sum->n_results >= RESULTS_MAX + (ok ? 0 : ERRORS_MAX))
		return 0;
	if ((rc = trib_arena_reserve(c->arena, &sum->results, &st->cap_results, sum->n_results, sizeof *sum->results, 64)))
		return rc;
	Tributary__V1__ProductVerdict *v = srv_msg_new(c->arena, &tributary__v1__product_verdict__descriptor);
	if (!v)
		return trib_error_last_code();
	v->ref = ref;
	v->ok = ok;
	if (ok) {
		v->created = b->o.put.created;
		v->revision = b->o.put.revision;
	} else {
		v->error = (char *)b->message;
		v->code = srv_status_of(b->rc);
	}
	const pol_result *pr = &b->o.pol;
	if (pr->count &&
	    ((rc = copy_violations(&v->violations, &v->n_violations, c->arena, pr->items, pr->nerrors)) ||
	     (rc = copy_violations(&v->warnings, &v->n_warnings, c->arena, pr->items + pr->nerrors,
				   pr->count - pr->nerrors))))
		return rc;
	sum->results[sum->n_results++] = v;
	return 0;
}

static int batch_fn(graph_txn *t, void *payload)
{
	reg_stream *st = payload;
	st->failed_at = -1;
	trib_arena_clear(st->attempt); /* an aborted try's copies and verdicts are void */
	for (size_t i = 0; i < st->n; i++) {
		pending *b = &st->batch[i];
		if (b->rc)
			continue;
		int rc = register_in(&b->o, t, st->attempt, b->p, st->c->actor, 0);
		if (rc) {
			st->failed_at = (long)i;
			return rc;
		}
	}
	return 0;
}

/* The stream cannot go on: say how far it got. */
static int stream_failure(reg_stream *st, int rc)
{
	char cause[900];
	snprintf(cause, sizeof cause, "%s", trib_error_last());
	return trib_error_set(rc, "%s (RegisterProducts stopped at message %zu; %u products were committed before)",
			      cause, st->seen, st->sum->registered);
}

/*
 * Each try of a batch gets an arena of its own, cleared when the next try
 * starts: a batch is run again once per failing product, and keeping every
 * try's stored copies in the scratch arena would let a batch with many
 * refusals (or one deep in lineage) run out of memory, blamed on whichever
 * product came next. It lives until the verdicts are recorded (record()
 * copies what it keeps into the call arena).
 */
static void attempt_init(trib_arena *attempt, reg_stream *st)
{
	trib_arena_init(attempt, 0);
	attempt->limit = st->c->scratch->limit;
	st->attempt = attempt;
}

/*
 * Commit the pending products in one transaction. A product that fails is
 * marked and the batch run again without it: it fails alone, the others
 * commit together.
 */
static int flush(reg_stream *st, int clear_scratch)
{
	srv_ctx *c = st->c;
	int rc;
	if (st->n == 0)
		return 0;
	trib_arena attempt;
	attempt_init(&attempt, st);
	for (;;) {
		rc = srv_ctx_write(c, batch_fn, st);
		if (rc == 0)
			break;
		if (st->failed_at < 0 || !product_specific(rc)) {
			rc = stream_failure(st, rc);
			goto done;
		}
		pending *b = &st->batch[st->failed_at];
		b->rc = rc;
		pol_result *pr = &b->o.pol; /* the refusal's violations, before the next try clears them */
		if (!(b->message = trib_arena_strdup(c->arena, trib_error_last())) ||
		    copy_violations(&pr->items, &pr->count, c->arena, pr->items, pr->count)) {
			rc = trib_error_last_code();
			goto done;
		}
	}
	for (size_t i = 0; i < st->n && !rc; i++)
		rc = record(st, &st->batch[i], 0);
	st->n = 0;
	/* Everything the batch needed (requests, stored copies) is done with. */
	if (clear_scratch)
		trib_arena_clear(c->scratch);
done:
	trib_arena_dispose(&attempt);
	st->attempt = NULL;
	return rc;
}

static int dry_run_fn(graph_txn *t, void *payload)
{
	reg_stream *st = payload;
	pending *b = &st->batch[0];
	trib_arena_clear(st->attempt);
	int rc = register_in(&b->o, t, st->attempt, b->p, st->c->actor, 0);
	return rc ? rc : SRV_DRY_RUN;
}

/* A dry run inside a stream: after everything before it is committed, alone, undone. */
static int dry_run_one(reg_stream *st, const trib_product *p, size_t index)
{
	int rc = flush(st, 0); /* p lives in the scratch arena too */
	if (rc)
		return rc;
	pending *b = &st->batch[0];
	memset(b, 0, sizeof *b);
	b->p = p;
	b->index = index;
	trib_arena attempt;
	attempt_init(&attempt, st);
	rc = srv_ctx_write(st->c, dry_run_fn, st);
	if (rc != SRV_DRY_RUN) {
		if (!product_specific(rc))
			rc = stream_failure(st, rc);
		else if (!(b->message = trib_arena_strdup(st->c->arena, trib_error_last())))
			rc = trib_error_last_code();
		else
			b->rc = rc;
	}
	if (rc == SRV_DRY_RUN || b->rc)
		rc = record(st, b, 1);
	trib_arena_dispose(&attempt);
	st->attempt = NULL;
	trib_arena_clear(st->c->scratch);
	return rc;
}

int srv_catalog_register_products(srv_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	reg_stream *st = c->stream;
	if (!st) {
		if (!(st = trib_arena_calloc(c->arena, 1, sizeof *st)) ||
		    !(st->sum = srv_msg_new(c->arena, &tributary__v1__register_products_summary__descriptor)))
			return trib_error_last_code();
		st->c = c;
		c->stream = st;
	}
	st->c = c;
	if (!req) { /* the end of the stream: commit the rest, then answer */
		int rc = flush(st, 1);
		if (rc)
			return rc;
		*resp = &st->sum->base;
		return 0;
	}
	const Tributary__V1__RegisterProductRequest *r = (const void *)req;
	size_t index = st->seen++;
	if (r->product && r->dry_run)
		return dry_run_one(st, r->product, index);
	pending *b = &st->batch[st->n++];
	memset(b, 0, sizeof *b);
	b->p = r->product;
	b->index = index;
	if (!r->product) {
		b->rc = TRIB_EINVALID;
		if (!(b->message = trib_arena_printf(c->arena, "message %zu: product: required", index)))
			return trib_error_last_code();
	}
	return st->n == BATCH_MAX ? flush(st, 1) : 0;
}
