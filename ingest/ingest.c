/* The public entry points: files and buffers in, staged messages out; which
 * document is which format; `trib register DIR` file collection. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ing_int.h"
#include "tributary/error.h"

#define COLLECT_MAX_FILES 100000
#define COLLECT_MAX_DEPTH 32
#define FN(f) ((const void *)(uintptr_t)(f))
#define END {NULL, NULL, NULL, 0, 0, NULL, 0}

void ing_result_init(ing_result *r)
{
	memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ files */

int read_file_bounded(const char *path, size_t max, char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return trib_error_set(TRIB_EIO, "cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return trib_error_set(TRIB_EIO, "'%s' is a directory", path);
	}
	/* Read up to max+1 bytes whatever st_size says: pipes and growing files lie. */
	size_t cap = st.st_size > 0 && (size_t)st.st_size < max ? (size_t)st.st_size + 1 : 64 * 1024;
	size_t n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return trib_error_set(TRIB_ENOMEM, "out of memory reading '%s'", path);
	}
	for (;;) {
		if (n == cap) {
			if (cap > max)
				break;
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *nb = realloc(buf, ncap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return trib_error_set(TRIB_ENOMEM, "out of memory reading '%s'", path);
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return trib_error_set(TRIB_EIO, "cannot read '%s': %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		free(buf);
		return trib_error_set(TRIB_ELIMIT, "'%s' is larger than the %zu-byte limit", path, max);
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

/* ------------------------------------------------------------------ context */

static void cx_init(cx *c, ing_result *out, trib_arena *a, const char *name, const ing_opts *opts)
{
	memset(c, 0, sizeof *c);
	c->a = a;
	trib_arena_init(&c->tmp, 64 * 1024);
	c->res = out;
	if (opts)
		c->opts = *opts;
	if (!c->opts.max_file_size)
		c->opts.max_file_size = ING_DEFAULT_MAX_FILE_SIZE;
	if (c->opts.max_file_size > ING_MAX_FILE_SIZE_CAP)
		c->opts.max_file_size = ING_MAX_FILE_SIZE_CAP;
	if (!c->opts.max_depth)
		c->opts.max_depth = ING_DEFAULT_MAX_DEPTH;
	c->first_diag = out->n_diags;
	out->n_files++;
	c->file = c->yaml_file = cx_strdup(c, name ? name : "<input>");
	if (opts && opts->base_dir) {
		c->dir = cx_strdup(c, opts->base_dir);
	} else if (c->file) {
		const char *slash = strrchr(c->file, '/');
		c->dir = slash == c->file ? "/" : slash ? cx_printf(c, "%.*s", (int)(slash - c->file), c->file) : ".";
	}
}

static int diag_before(const cx *c, const ing_diag *x, const ing_diag *y)
{
	/* The YAML file first, then schema files, each in position order. */
	int xo = x->file != c->yaml_file, yo = y->file != c->yaml_file;
	if (xo != yo)
		return xo < yo;
	int f = strcmp(x->file, y->file);
	if (f)
		return f < 0;
	if (x->line != y->line)
		return x->line < y->line;
	return x->column < y->column;
}

static int append(cx *c, void ***arr, size_t *n, size_t *cap, const pvec *v)
{
	if (!v->n)
		return 0;
	if (*n + v->n > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 16) + v->n;
		void **na = trib_arena_realloc(c->a, *arr, *cap * sizeof *na, ncap * sizeof *na);
		if (!na)
			return trib_error_last_code();
		*arr = na;
		*cap = ncap;
	}
	memcpy(*arr + *n, v->v, v->n * sizeof(void *));
	*n += v->n;
	return 0;
}

static int cx_commit(cx *c, int rc);

/* Commit what the file produced if it had no error, order its diagnostics,
 * and free the file's scratch memory. */
static int cx_finish(cx *c, int rc)
{
	rc = cx_commit(c, rc);
	trib_arena_dispose(&c->tmp);
	return rc;
}

static int cx_commit(cx *c, int rc)
{
	ing_result *r = c->res;
	/* Insertion sort: at most ~200 diagnostics per file, mostly in order already. */
	for (size_t i = c->first_diag + 1; i < r->n_diags; i++) {
		ing_diag d = r->diags[i];
		size_t j = i;
		while (j > c->first_diag && diag_before(c, &d, &r->diags[j - 1])) {
			r->diags[j] = r->diags[j - 1];
			j--;
		}
		r->diags[j] = d;
	}
	if (c->fatal)
		return c->fatal;
	if (c->errors) {
		r->n_failed_files++;
		return rc ? rc : TRIB_EINVALID;
	}
	int e;
	if ((e = append(c, (void ***)&r->products, &r->n_products, &r->cap_products, &c->products)) != 0 ||
	    (e = append(c, (void ***)&r->domains, &r->n_domains, &r->cap_domains, &c->domains)) != 0 ||
	    (e = append(c, (void ***)&r->terms, &r->n_terms, &r->cap_terms, &c->terms)) != 0)
		return e;
	return 0;
}

/* ------------------------------------------------------------------ documents */

static void conv_call(cx *c, const ynode *v, void *base, const keyspec *k)
{
	(void)base;
	((void (*)(cx *, const ynode *))(uintptr_t)k->arg)(c, v);
}

static void conv_block(cx *c, const ynode *v, void *base, const keyspec *k)
{
	walk_map(c, v, k->arg, base);
}

static const keyspec collection_keys[] = {
	{"domains", NULL, conv_call, 0, 0, FN(conv_domain_map), 0},
	{"glossary", "terms", conv_call, 0, 0, FN(conv_glossary), 0},
	END,
};

static const keyspec domains_spec_keys[] = {
	{"domains", NULL, conv_call, 0, 0, FN(conv_domain_map), K_REQUIRED},
	END,
};

static const keyspec domainmap_keys[] = {
	{"apiVersion", NULL, conv_ignore, 0, 0, NULL, 0},
	{"kind", NULL, conv_ignore, 0, 0, NULL, 0},
	{"metadata", NULL, conv_ignore, 0, 0, NULL, 0},
	{"domains", NULL, conv_call, 0, 0, FN(conv_domain_map), 0},
	{"spec", NULL, conv_block, 0, 0, domains_spec_keys, 0},
	END,
};

static const keyspec terms_spec_keys[] = {
	{"terms", "glossary", conv_call, 0, 0, FN(conv_glossary), K_REQUIRED},
	END,
};

static const keyspec glossary_keys[] = {
	{"apiVersion", NULL, conv_ignore, 0, 0, NULL, 0},
	{"kind", NULL, conv_ignore, 0, 0, NULL, 0},
	{"metadata", NULL, conv_ignore, 0, 0, NULL, 0},
	{"terms", "glossary", conv_call, 0, 0, FN(conv_glossary), 0},
	{"spec", NULL, conv_block, 0, 0, terms_spec_keys, 0},
	END,
};

#define API_VERSION "data-mesh/v1"

static void convert_document(cx *c, const ynode *doc)
{
	path_pop(c, 0);
	if (!doc || doc->type == Y_NULL)
		return; /* an empty document, e.g. after a trailing `---` */
	if (doc->type != Y_MAP) {
		diag(c, ING_ERROR, doc, "a document must be a mapping, got %s", ytype_name(doc->type));
		return;
	}
	const ynode *api = map_get(doc, "apiVersion"), *kind = map_get(doc, "kind");
	if (!api && !kind) {
		if (map_get(doc, "domains") || map_get(doc, "glossary") || map_get(doc, "terms"))
			walk_map(c, doc, collection_keys, NULL);
		else
			conv_product_flat(c, doc);
		return;
	}
	if (!api) {
		diag(c, ING_ERROR, doc, "missing required key 'apiVersion' (" API_VERSION ")");
	} else if (api->type != Y_STR || strcmp(api->s, API_VERSION) != 0) {
		size_t pl = path_key(c, "apiVersion");
		diag(c, ING_ERROR, api, "unsupported apiVersion '%s' (expected " API_VERSION ")",
		     scalar_text(api) ? api->s : ytype_name(api->type));
		path_pop(c, pl);
		return;
	}
	if (!kind) {
		diag(c, ING_ERROR, doc, "missing required key 'kind'");
		return;
	}
	const char *k = scalar_text(kind) ? kind->s : "";
	if (strcmp(k, "DataProduct") == 0) {
		conv_product_spec(c, doc);
	} else if (strcmp(k, "Domain") == 0) {
		conv_domain_kind(c, doc);
	} else if (strcmp(k, "GlossaryTerm") == 0) {
		conv_term_kind(c, doc);
	} else if (strcmp(k, "DomainMap") == 0 || strcmp(k, "Glossary") == 0) {
		int is_map = k[1] == 'o';
		walk_map(c, doc, is_map ? domainmap_keys : glossary_keys, NULL);
		const char *what = is_map ? "domains" : "terms";
		int has = map_get(doc, what) || (!is_map && map_get(doc, "glossary")) || map_get(doc, "spec");
		if (!has)
			diag(c, ING_ERROR, doc, "a %s needs '%s' (at the top or under 'spec')", k, what);
	} else {
		size_t pl = path_key(c, "kind");
		diag(c, ING_ERROR, kind,
		     "unknown kind '%s' (expected DataProduct, Domain, DomainMap, Glossary or GlossaryTerm)",
		     scalar_text(kind) ? kind->s : ytype_name(kind->type));
		path_pop(c, pl);
	}
}

static void on_document(cx *c, const ynode *root, void *arg)
{
	size_t *nonempty = arg;
	if (c->stop)
		return;
	*nonempty += root && root->type != Y_NULL;
	convert_document(c, root);
}

static int parse(cx *c, const char *data, size_t len)
{
	if (len > c->opts.max_file_size) {
		diag_at(c, ING_ERROR, 0, 0, "the file is larger than the %zu-byte limit", c->opts.max_file_size);
		return TRIB_ELIMIT;
	}
	size_t nonempty = 0;
	int rc = tree_parse_yaml(c, data, len, on_document, &nonempty);
	if (c->fatal)
		return c->fatal;
	if (rc == 0 && nonempty == 0)
		diag_at(c, ING_WARNING, 0, 0, "no documents in this file");
	return 0;
}

/* Start on a file and read it; an unreadable file is a diagnostic. Nonzero:
 * finish with cx_finish(c, rc). */
static int begin_file(cx *c, ing_result *out, trib_arena *a, const char *path, const ing_opts *opts, char **data,
		      size_t *len)
{
	cx_init(c, out, a, path, opts);
	if (c->fatal)
		return c->fatal;
	int rc = read_file_bounded(path, c->opts.max_file_size, data, len);
	if (rc == TRIB_ENOMEM)
		c->fatal = rc;
	else if (rc != 0) /* the message names the path already; the diagnostic names it again in front */
		diag_at(c, ING_ERROR, 0, 0, "%s", trib_error_last());
	return rc;
}

int ing_parse_buffer(ing_result *out, trib_arena *a, const char *name, const char *data, size_t len,
		     const ing_opts *opts)
{
	cx c;
	cx_init(&c, out, a, name, opts);
	if (c.fatal)
		return cx_finish(&c, 0);
	return cx_finish(&c, parse(&c, data, len));
}

int ing_parse_file(ing_result *out, trib_arena *a, const char *path, const ing_opts *opts)
{
	cx c;
	char *data;
	size_t len;
	int rc = begin_file(&c, out, a, path, opts, &data, &len);
	if (rc != 0)
		return cx_finish(&c, rc);
	rc = parse(&c, data, len);
	free(data);
	return cx_finish(&c, rc);
}

/* ------------------------------------------------------------------ schema files */

static const keyspec schema_doc_keys[] = {
	{"fields", NULL, conv_capture, 0, 0, NULL, K_REQUIRED},
	{"name", NULL, conv_ignore, 0, 0, NULL, 0},
	{"doc", "description", conv_ignore, 0, 0, NULL, 0},
	END,
};

static void schema_root(cx *c, const ynode *root, pvec *out)
{
	if (root->type == Y_SEQ) {
		inline_fields(c, root, out);
	} else if (root->type == Y_MAP && map_get(root, "type")) {
		avro_flatten(c, root, out);
	} else if (root->type == Y_MAP) {
		const ynode *fields = NULL;
		if (walk_map(c, root, schema_doc_keys, &fields) == 0 && fields) {
			size_t pl = path_key(c, "fields");
			inline_fields(c, fields, out);
			path_pop(c, pl);
		}
	} else {
		diag(c, ING_ERROR, root, "expected a field list, a mapping with 'fields' or an Avro record, got %s",
		     ytype_name(root->type));
	}
}

struct schema_docs {
	Tributary__V1__Field **fields;
	size_t n, used;
};

static void on_schema_document(cx *c, const ynode *root, void *arg)
{
	struct schema_docs *sd = arg;
	if (!root || root->type == Y_NULL)
		return;
	if (sd->used++) {
		diag(c, ING_ERROR, root, "a schema file holds one document");
		return;
	}
	pvec got = {0};
	schema_root(c, root, &got);
	/* Out of the scratch arena before the document's tree goes. */
	sd->fields = (Tributary__V1__Field **)pvec_finish(c, &got);
	sd->n = got.n;
}

int ing_parse_schema_file(Tributary__V1__Field ***fields, size_t *n_fields, ing_result *out, trib_arena *a,
			  const char *path, const ing_opts *opts)
{
	cx c;
	char *data;
	size_t len;
	*fields = NULL;
	*n_fields = 0;
	int rc = begin_file(&c, out, a, path, opts, &data, &len);
	if (rc != 0)
		return cx_finish(&c, rc);
	struct schema_docs sd = {NULL, 0, 0};
	size_t i = strspn(data, " \t\r\n");
	if (i < len && data[i] == '{') {
		ynode *root;
		if (tree_parse_json(&c, &root, data, len) == 0 && root) {
			on_schema_document(&c, root, &sd);
		}
	} else if (tree_parse_yaml(&c, data, len, on_schema_document, &sd) == 0 && sd.used == 0) {
		diag_at(&c, ING_ERROR, 0, 0, "no schema in this file");
	}
	free(data);
	*fields = sd.fields;
	*n_fields = sd.n;
	rc = cx_finish(&c, 0);
	if (rc != 0) {
		*fields = NULL;
		*n_fields = 0;
	}
	return rc;
}

/* ------------------------------------------------------------------ diagnostics */

int ing_diag_format(char *buf, size_t n, const ing_diag *d)
{
	const char *sev = d->severity == ING_ERROR ? "error" : "warning";
	int len;
	if (d->line)
		len = snprintf(buf, n, "%s:%u:%u: %s: %s", d->file, d->line, d->column, sev, d->message);
	else
		len = snprintf(buf, n, "%s: %s: %s", d->file, sev, d->message);
	if (len < 0 || !d->path || !d->path[0])
		return len;
	size_t used = (size_t)len < n ? (size_t)len : (n ? n - 1 : 0);
	int more = snprintf(n ? buf + used : NULL, n ? n - used : 0, " (at %s)", d->path);
	return more < 0 ? more : len + more;
}

/* ------------------------------------------------------------------ collect */

typedef struct flist {
	char **v;
	size_t n, cap;
} flist;

static int flist_add(flist *l, char *s)
{
	if (l->n == COLLECT_MAX_FILES) {
		free(s);
		return trib_error_set(TRIB_ELIMIT, "more than %d files to register", COLLECT_MAX_FILES);
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		char **nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv) {
			free(s);
			return trib_error_set(TRIB_ENOMEM, "out of memory listing files");
		}
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = s;
	return 0;
}

static int is_yaml_name(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int walk_dir(flist *l, const char *dir, unsigned depth)
{
	if (depth > COLLECT_MAX_DEPTH)
		return trib_error_set(TRIB_ELIMIT, "'%s': directories nested more than %d deep", dir, COLLECT_MAX_DEPTH);
	DIR *d = opendir(dir);
	if (!d)
		return trib_error_set(TRIB_EIO, "cannot open directory '%s': %s", dir, strerror(errno));
	int rc = 0;
	size_t dl = strlen(dir);
	int slash = dl > 0 && dir[dl - 1] == '/';
	struct dirent *e;
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ., .., and hidden files and directories (.git) */
		char *p = malloc(dl + strlen(e->d_name) + 2);
		if (!p) {
			rc = trib_error_set(TRIB_ENOMEM, "out of memory listing files");
			break;
		}
		sprintf(p, slash ? "%s%s" : "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) != 0) {
			rc = trib_error_set(TRIB_EIO, "cannot stat '%s': %s", p, strerror(errno));
			free(p);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(l, p, depth + 1);
			free(p);
		} else if (is_yaml_name(e->d_name) && (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(p, &st) == 0 &&
										 S_ISREG(st.st_mode)))) {
			rc = flist_add(l, p); /* a symlink to a file counts; to a directory, not (no loops) */
		} else {
			free(p);
		}
	}
	if (rc == 0 && errno != 0)
		rc = trib_error_set(TRIB_EIO, "cannot read directory '%s': %s", dir, strerror(errno));
	closedir(d);
	return rc;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ing_collect(const char ***files, size_t *n_files, trib_arena *a, const char *const *paths, size_t n_paths)
{
	flist l = {0};
	int rc = 0;
	*files = NULL;
	*n_files = 0;
	for (size_t i = 0; i < n_paths && rc == 0; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			rc = trib_error_set(errno == ENOENT ? TRIB_ENOTFOUND : TRIB_EIO, "'%s': %s", paths[i],
					    strerror(errno));
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			char *p = strdup(paths[i]);
			rc = p ? flist_add(&l, p) : trib_error_set(TRIB_ENOMEM, "out of memory listing files");
			continue;
		}
		size_t start = l.n;
		rc = walk_dir(&l, paths[i], 0);
		if (rc == 0)
			qsort(l.v + start, l.n - start, sizeof *l.v, cmp_path);
	}
	if (rc == 0 && l.n) {
		const char **out = trib_arena_calloc(a, l.n, sizeof *out);
		for (size_t i = 0; out && i < l.n; i++)
			if (!(out[i] = trib_arena_strdup(a, l.v[i])))
				out = NULL;
		if (!out)
			rc = trib_error_last_code() ? trib_error_last_code() : TRIB_ENOMEM;
		else {
			*files = out;
			*n_files = l.n;
		}
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	return rc;
}
