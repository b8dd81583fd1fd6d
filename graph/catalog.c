/* Domains, glossary terms, the audit log and product history. */
#include "store.h"

#include <stdio.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

int gstore_audit_add(graph_txn *t, uint64_t id, const char *action, const char *ref, uint64_t revision,
		     const char *detail, const graph_put_opts *opts)
{
	int rc = gstore_meta_load(t);
	if (rc)
		return rc;
	uint64_t seq = t->next_seq++;
	t->meta_dirty = 1;
	Tributary__V1__AuditEntry e = TRIBUTARY__V1__AUDIT_ENTRY__INIT;
	e.seq = seq;
	e.at_ms = opts && opts->now_ms ? opts->now_ms : gstore_now_ms();
	e.actor = (char *)gstore_actor(opts);
	e.action = (char *)action;
	e.ref = (char *)ref;
	e.revision = revision;
	e.detail = (char *)S(detail);
	MDB_val k = gstore_u64_val(&seq), ik = gstore_u64_val(&id), iv = gstore_u64_val(&seq);
	if ((rc = gstore_pb_put(t, t->s->audit, &k, &e.base, "writing the audit log")))
		return rc;
	rc = mdb_put(t->txn, t->s->audit_by_node, &ik, &iv, 0);
	return rc ? gstore_mdb_err(rc, "indexing the audit log") : 0;
}

/* ------------------------------------------------------- domains and terms */

static int check_refs(const char *what, char **refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		trib_ref r;
		if (trib_ref_parse(&r, S(refs[i])) != 0)
			return trib_error_set(TRIB_EINVALID, "%s[%zu]: %s", what, i, trib_error_last());
	}
	return 0;
}

/* Upsert `msg` under `name` in `dbi` and audit it against node (kind, ref). */
static int upsert(graph_txn *t, MDB_dbi dbi, const char *name, trib_kind kind, const char *ref,
		  const ProtobufCMessage *msg, const char *action, const graph_put_opts *opts)
{
	if (!t->writable)
		return trib_error_set(TRIB_EDENIED, "%s needs a write transaction", action);
	uint64_t id;
	MDB_val k = {strlen(name), (void *)name};
	int rc;
	if ((rc = gstore_ensure(&id, t, kind, ref, strlen(ref), NULL, NULL)) ||
	    (rc = gstore_pb_put(t, dbi, &k, msg, action)))
		return rc;
	return gstore_audit_add(t, id, action, ref, 0, "", opts);
}

int graph_domain_put(graph_txn *t, const trib_domain *d, const graph_put_opts *opts)
{
	int rc;
	if ((rc = trib_name_check(TRIB_KIND_DOMAIN, S(d->name))))
		return trib_error_set(rc, "name: %s", trib_error_last());
	if (S(d->owner_team)[0] && (rc = trib_name_check(TRIB_KIND_TEAM, d->owner_team)))
		return trib_error_set(rc, "owner_team: %s", trib_error_last());
	if ((rc = check_refs("source_products", d->source_products, d->n_source_products)) ||
	    (rc = check_refs("consumer_products", d->consumer_products, d->n_consumer_products)))
		return rc;
	return upsert(t, t->s->domains, d->name, TRIB_KIND_DOMAIN, d->name, &d->base, "upsert-domain", opts);
}

int graph_term_put(graph_txn *t, const trib_term *term, const graph_put_opts *opts)
{
	int rc;
	if ((rc = trib_name_check(TRIB_KIND_TERM, S(term->name))))
		return trib_error_set(rc, "name: %s", trib_error_last());
	for (size_t i = 0; i < term->n_related_terms; i++)
		if ((rc = trib_name_check(TRIB_KIND_TERM, S(term->related_terms[i]))))
			return trib_error_set(rc, "related_terms[%zu]: %s", i, trib_error_last());
	if ((rc = check_refs("applies_to", term->applies_to, term->n_applies_to)))
		return rc;
	char ref[TRIB_NAME_MAX + 8];
	snprintf(ref, sizeof ref, "term:%s", term->name);
	return upsert(t, t->s->terms, term->name, TRIB_KIND_TERM, ref, &term->base, "upsert-term", opts);
}

static int get_named(void **out, graph_txn *t, trib_arena *a, MDB_dbi dbi, const ProtobufCMessageDescriptor *desc,
		     const char *what, const char *name)
{
	*out = NULL;
	MDB_val k = {strlen(S(name)), (void *)S(name)}, v;
	if (k.mv_size == 0)
		return trib_error_set(TRIB_EINVALID, "empty %s name", what);
	int rc = mdb_get(t->txn, dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return trib_error_set(TRIB_ENOTFOUND, "no %s '%s'", what, name);
	if (rc)
		return gstore_mdb_err(rc, what);
	return gstore_pb_decode(out, desc, &v, a, what);
}

int graph_domain_get(trib_domain **out, graph_txn *t, trib_arena *a, const char *name)
{
	return get_named((void **)out, t, a, t->s->domains, &tributary__v1__domain__descriptor, "domain", name);
}

int graph_term_get(trib_term **out, graph_txn *t, trib_arena *a, const char *name)
{
	return get_named((void **)out, t, a, t->s->terms, &tributary__v1__glossary_term__descriptor, "glossary term",
			 name);
}

static int list_named(void ***out, size_t *count, const char **next, graph_txn *t, trib_arena *a, MDB_dbi dbi,
		      const ProtobufCMessageDescriptor *desc, const char *what, const char *after, size_t limit)
{
	*out = NULL;
	*count = 0;
	*next = NULL;
	if (limit == 0)
		limit = 100;
	void **items = trib_arena_calloc(a, limit, sizeof *items);
	if (!items)
		return trib_error_last_code();
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, dbi, &c);
	if (rc)
		return gstore_mdb_err(rc, what);
	const char *from = S(after);
	MDB_val k = {strlen(from), (void *)from}, v;
	MDB_cursor_op op = k.mv_size ? MDB_SET_RANGE : MDB_FIRST;
	for (rc = mdb_cursor_get(c, &k, &v, op); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (from[0] && k.mv_size == strlen(from) && memcmp(k.mv_data, from, k.mv_size) == 0)
			continue;
		if (*count == limit) {
			*next = ""; /* more remain; the caller names the last item returned */
			break;
		}
		if ((rc = gstore_pb_decode(&items[*count], desc, &v, a, what)))
			break;
		(*count)++;
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc < 0 ? rc : gstore_mdb_err(rc, what);
	*out = items;
	return 0;
}

int graph_domain_list(trib_domain ***out, size_t *count, const char **next, graph_txn *t, trib_arena *a,
		      const char *after, size_t limit)
{
	int rc = list_named((void ***)out, count, next, t, a, t->s->domains, &tributary__v1__domain__descriptor,
			    "domain", after, limit);
	if (rc == 0 && *next)
		*next = (*out)[*count - 1]->name;
	return rc;
}

int graph_term_list(trib_term ***out, size_t *count, const char **next, graph_txn *t, trib_arena *a,
		    const char *after, size_t limit)
{
	int rc = list_named((void ***)out, count, next, t, a, t->s->terms, &tributary__v1__glossary_term__descriptor,
			    "glossary term", after, limit);
	if (rc == 0 && *next)
		*next = (*out)[*count - 1]->name;
	return rc;
}

/* ------------------------------------------------------------------ history */

static int revisions_newest_first(trib_product ***out, size_t *n, graph_txn *t, trib_arena *a, uint64_t id,
				  size_t limit)
{
	unsigned char key[16];
	size_t cap = 0;
	gstore_rev_key(key, id, UINT64_MAX);
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->revisions, &c);
	if (rc)
		return gstore_mdb_err(rc, "opening revisions");
	MDB_val k = {16, key}, v;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	rc = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV) : mdb_cursor_get(c, &k, &v, MDB_LAST);
	for (; rc == 0 && (!limit || *n < limit); rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
		if (k.mv_size != 16 || memcmp(k.mv_data, key, 8) != 0)
			break;
		if ((rc = trib_arena_reserve(a, out, &cap, *n, sizeof **out, 8)) ||
		    (rc = gstore_pb_decode((void **)&(*out)[*n], &tributary__v1__data_product__descriptor, &v, a,
					   "revision record")))
			break;
		(*n)++;
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc < 0 ? rc : gstore_mdb_err(rc, "reading revisions");
}

static int audit_newest_first(trib_audit ***out, size_t *n, graph_txn *t, trib_arena *a, uint64_t id, size_t limit)
{
	size_t cap = 0;
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, t->s->audit_by_node, &c);
	if (rc)
		return gstore_mdb_err(rc, "opening the audit index");
	MDB_val k = gstore_u64_val(&id), v;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET);
	if (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST_DUP);
	for (; rc == 0 && (!limit || *n < limit); rc = mdb_cursor_get(c, &k, &v, MDB_PREV_DUP)) {
		uint64_t seq;
		memcpy(&seq, v.mv_data, 8);
		MDB_val sk = gstore_u64_val(&seq), sv;
		if ((rc = mdb_get(t->txn, t->s->audit, &sk, &sv))) {
			rc = rc == MDB_NOTFOUND ? trib_error_set(TRIB_ECORRUPT, "audit entry %llu is indexed but missing",
								 (unsigned long long)seq)
						: gstore_mdb_err(rc, "reading the audit log");
			break;
		}
		if ((rc = trib_arena_reserve(a, out, &cap, *n, sizeof **out, 8)) ||
		    (rc = gstore_pb_decode((void **)&(*out)[*n], &tributary__v1__audit_entry__descriptor, &sv, a,
					   "audit entry")))
			break;
		(*n)++;
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc < 0 ? rc : gstore_mdb_err(rc, "reading the audit index");
}

int graph_history(trib_product ***revs, size_t *nrevs, trib_audit ***audit, size_t *naudit, graph_txn *t,
		  trib_arena *a, uint64_t id, size_t limit)
{
	*revs = NULL;
	*audit = NULL;
	*nrevs = *naudit = 0;
	gstore_node n;
	int rc = gstore_node_read(&n, t, id);
	if (rc)
		return rc;
	if ((rc = revisions_newest_first(revs, nrevs, t, a, id, limit)))
		return rc;
	return audit_newest_first(audit, naudit, t, a, id, limit);
}
