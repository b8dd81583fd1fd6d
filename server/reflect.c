/*
 * Index of the embedded FileDescriptorSet for server reflection.
 *
 * A minimal reader of the protobuf wire format walks the set once at start:
 * there is no generated code for descriptor.proto here, and only names,
 * dependencies and the streaming flags of methods are needed. Files are
 * answered with the exact bytes protoc wrote (slices of the set).
 */
#include "srv.h"

#include <stdlib.h>
#include <string.h>

typedef struct rd {
	const uint8_t *p, *end;
} rd;

typedef struct rfield {
	uint32_t num;
	int wire;          /* 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
	uint64_t v;        /* varint value */
	const uint8_t *ptr; /* length-delimited contents */
	size_t len;
} rfield;

static int rd_varint(rd *r, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			return -1;
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* 1: a field was read; 0: end of message; -1: malformed. */
static int rd_next(rd *r, rfield *f)
{
	if (r->p >= r->end)
		return 0;
	uint64_t key;
	if (rd_varint(r, &key))
		return -1;
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	f->ptr = NULL;
	f->len = 0;
	f->v = 0;
	switch (f->wire) {
	case 0:
		return rd_varint(r, &f->v) ? -1 : 1;
	case 1:
		if (r->end - r->p < 8)
			return -1;
		r->p += 8;
		return 1;
	case 5:
		if (r->end - r->p < 4)
			return -1;
		r->p += 4;
		return 1;
	case 2: {
		uint64_t len;
		if (rd_varint(r, &len) || len > (uint64_t)(r->end - r->p))
			return -1;
		f->ptr = r->p;
		f->len = (size_t)len;
		r->p += len;
		return 1;
	}
	default:
		return -1;
	}
}

typedef struct rfile {
	char *name;
	const uint8_t *data;
	size_t len;
	char **dep_names;
	int *deps;
	size_t ndeps;
} rfile;

typedef struct rsym {
	char *name;
	int file;
	int streaming; /* methods: SRV_STREAM | SRV_WATCH bits; else -1 */
} rsym;

struct srv_reflect {
	rfile *files;
	size_t nfiles;
	rsym *syms;
	size_t nsyms, capsyms;
};

static char *dup_n(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static char *join(const char *scope, const uint8_t *name, size_t n)
{
	size_t sl = strlen(scope);
	char *s = malloc(sl + 1 + n + 1);
	if (!s)
		return NULL;
	memcpy(s, scope, sl);
	size_t o = sl;
	if (sl)
		s[o++] = '.';
	memcpy(s + o, name, n);
	s[o + n] = '\0';
	return s;
}

static int add_sym(srv_reflect *r, char *name, int file, int streaming)
{
	if (!name)
		return trib_error_set(TRIB_ENOMEM, "reflection: out of memory");
	if (r->nsyms == r->capsyms) {
		size_t cap = r->capsyms ? r->capsyms * 2 : 256;
		rsym *n = realloc(r->syms, cap * sizeof *n);
		if (!n) {
			free(name);
			return trib_error_set(TRIB_ENOMEM, "reflection: out of memory");
		}
		r->syms = n;
		r->capsyms = cap;
	}
	r->syms[r->nsyms++] = (rsym){name, file, streaming};
	return 0;
}

static int bad(const char *what)
{
	return trib_error_set(TRIB_ECORRUPT, "embedded descriptor set: malformed %s", what);
}

/* The `name` (field 1) of a sub-message. */
static int name_of(const uint8_t *p, size_t len, const uint8_t **name, size_t *nlen)
{
	rd r = {p, p + len};
	rfield f;
	int k;
	*name = NULL;
	*nlen = 0;
	while ((k = rd_next(&r, &f)) == 1)
		if (f.num == 1 && f.wire == 2) {
			*name = f.ptr;
			*nlen = f.len;
		}
	return k < 0 || !*name ? -1 : 0;
}

/* EnumDescriptorProto: the enum is in `scope`, its values in the enum's parent scope. */
static int index_enum(srv_reflect *r, int file, const char *scope, const uint8_t *p, size_t len)
{
	const uint8_t *name;
	size_t nlen;
	if (name_of(p, len, &name, &nlen))
		return bad("enum");
	int rc = add_sym(r, join(scope, name, nlen), file, -1);
	rd in = {p, p + len};
	rfield f;
	int k;
	while (!rc && (k = rd_next(&in, &f)) == 1) {
		if (f.num == 2 && f.wire == 2) {
			const uint8_t *vn;
			size_t vl;
			if (name_of(f.ptr, f.len, &vn, &vl))
				return bad("enum value");
			rc = add_sym(r, join(scope, vn, vl), file, -1);
		}
	}
	return rc;
}

static int index_message(srv_reflect *r, int file, const char *scope, const uint8_t *p, size_t len,
			 int depth)
{
	if (depth > 32)
		return bad("message nesting");
	const uint8_t *name;
	size_t nlen;
	if (name_of(p, len, &name, &nlen))
		return bad("message");
	char *full = join(scope, name, nlen);
	int rc = add_sym(r, full, file, -1);
	if (rc)
		return rc;
	rd in = {p, p + len};
	rfield f;
	int k;
	while (!rc && (k = rd_next(&in, &f)) == 1) {
		if (f.wire != 2)
			continue;
		const uint8_t *sn;
		size_t sl;
		switch (f.num) {
		case 2: /* field */
		case 6: /* extension */
		case 8: /* oneof */
			if (name_of(f.ptr, f.len, &sn, &sl))
				return bad("field");
			rc = add_sym(r, join(full, sn, sl), file, -1);
			break;
		case 3:
			rc = index_message(r, file, full, f.ptr, f.len, depth + 1);
			break;
		case 4:
			rc = index_enum(r, file, full, f.ptr, f.len);
			break;
		}
	}
	return rc;
}

static int index_service(srv_reflect *r, int file, const char *scope, const uint8_t *p, size_t len)
{
	const uint8_t *name;
	size_t nlen;
	if (name_of(p, len, &name, &nlen))
		return bad("service");
	char *full = join(scope, name, nlen);
	int rc = add_sym(r, full, file, -1);
	rd in = {p, p + len};
	rfield f;
	int k;
	while (!rc && (k = rd_next(&in, &f)) == 1) {
		if (f.num != 2 || f.wire != 2)
			continue;
		rd m = {f.ptr, f.ptr + f.len};
		rfield g;
		const uint8_t *mn = NULL;
		size_t ml = 0;
		int streaming = 0, j;
		while ((j = rd_next(&m, &g)) == 1) {
			if (g.num == 1 && g.wire == 2) {
				mn = g.ptr;
				ml = g.len;
			} else if (g.num == 5 && g.wire == 0 && g.v) {
				streaming |= SRV_STREAM;
			} else if (g.num == 6 && g.wire == 0 && g.v) {
				streaming |= SRV_WATCH;
			}
		}
		if (j < 0 || !mn)
			return bad("method");
		rc = add_sym(r, join(full, mn, ml), file, streaming);
	}
	return rc;
}

static int index_file(srv_reflect *r, int file)
{
	rfile *fl = &r->files[file];
	rd in = {fl->data, fl->data + fl->len};
	rfield f;
	int k;
	char *package = NULL;
	size_t ndeps = 0;
	while ((k = rd_next(&in, &f)) == 1) {
		if (f.num == 1 && f.wire == 2 && !fl->name)
			fl->name = dup_n(f.ptr, f.len);
		else if (f.num == 2 && f.wire == 2 && !package)
			package = dup_n(f.ptr, f.len);
		else if (f.num == 3 && f.wire == 2)
			ndeps++;
	}
	if (k < 0 || !fl->name) {
		free(package);
		return bad("file");
	}
	fl->dep_names = calloc(ndeps ? ndeps : 1, sizeof *fl->dep_names);
	fl->deps = calloc(ndeps ? ndeps : 1, sizeof *fl->deps);
	if (!fl->dep_names || !fl->deps) {
		free(package);
		return trib_error_set(TRIB_ENOMEM, "reflection: out of memory");
	}
	const char *scope = package ? package : "";
	int rc = 0;
	in = (rd){fl->data, fl->data + fl->len};
	while (!rc && (k = rd_next(&in, &f)) == 1) {
		if (f.wire != 2)
			continue;
		switch (f.num) {
		case 3:
			fl->dep_names[fl->ndeps] = dup_n(f.ptr, f.len);
			fl->deps[fl->ndeps++] = -1;
			break;
		case 4:
			rc = index_message(r, file, scope, f.ptr, f.len, 0);
			break;
		case 5:
			rc = index_enum(r, file, scope, f.ptr, f.len);
			break;
		case 6:
			rc = index_service(r, file, scope, f.ptr, f.len);
			break;
		}
	}
	free(package);
	return rc;
}

static int sym_cmp(const void *a, const void *b)
{
	return strcmp(((const rsym *)a)->name, ((const rsym *)b)->name);
}

int srv_reflect_new(srv_reflect **out, const uint8_t *data, size_t len)
{
	srv_reflect *r = calloc(1, sizeof *r);
	if (!r)
		return trib_error_set(TRIB_ENOMEM, "reflection: out of memory");
	size_t n = 0;
	rd in = {data, data + len};
	rfield f;
	int k;
	while ((k = rd_next(&in, &f)) == 1)
		if (f.num == 1 && f.wire == 2)
			n++;
	int rc = k < 0 ? bad("set") : 0;
	if (!rc && !(r->files = calloc(n ? n : 1, sizeof *r->files)))
		rc = trib_error_set(TRIB_ENOMEM, "reflection: out of memory");
	in = (rd){data, data + len};
	while (!rc && (k = rd_next(&in, &f)) == 1) {
		if (f.num != 1 || f.wire != 2)
			continue;
		r->files[r->nfiles] = (rfile){.data = f.ptr, .len = f.len};
		rc = index_file(r, (int)r->nfiles++);
	}
	if (rc) {
		srv_reflect_free(r);
		return rc;
	}
	for (size_t i = 0; i < r->nfiles; i++)
		for (size_t d = 0; d < r->files[i].ndeps; d++)
			r->files[i].deps[d] = srv_reflect_find_file(r, r->files[i].dep_names[d]);
	qsort(r->syms, r->nsyms, sizeof *r->syms, sym_cmp);
	/* A name defined twice keeps its first definition. */
	size_t w = 0;
	for (size_t i = 0; i < r->nsyms; i++) {
		if (w && strcmp(r->syms[w - 1].name, r->syms[i].name) == 0)
			free(r->syms[i].name);
		else
			r->syms[w++] = r->syms[i];
	}
	r->nsyms = w;
	*out = r;
	return 0;
}

void srv_reflect_free(srv_reflect *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfiles; i++) {
		free(r->files[i].name);
		for (size_t d = 0; d < r->files[i].ndeps; d++)
			free(r->files[i].dep_names[d]);
		free(r->files[i].dep_names);
		free(r->files[i].deps);
	}
	free(r->files);
	for (size_t i = 0; i < r->nsyms; i++)
		free(r->syms[i].name);
	free(r->syms);
	free(r);
}

static const rsym *find(const srv_reflect *r, const char *symbol)
{
	rsym key = {(char *)symbol, 0, 0};
	return bsearch(&key, r->syms, r->nsyms, sizeof *r->syms, sym_cmp);
}

int srv_reflect_find_symbol(const srv_reflect *r, const char *symbol)
{
	const rsym *s = find(r, symbol);
	return s ? s->file : -1;
}

int srv_reflect_find_file(const srv_reflect *r, const char *name)
{
	for (size_t i = 0; i < r->nfiles; i++)
		if (r->files[i].name && strcmp(r->files[i].name, name) == 0)
			return (int)i;
	return -1;
}

int srv_reflect_method_streaming(const srv_reflect *r, const char *service, const char *method)
{
	char full[512];
	snprintf(full, sizeof full, "%s.%s", service, method);
	const rsym *s = find(r, full);
	return s ? s->streaming : -1;
}

int srv_reflect_closure(ProtobufCBinaryData **out, size_t *count, const srv_reflect *r,
			trib_arena *a, int file)
{
	*out = NULL;
	*count = 0;
	ProtobufCBinaryData *items = trib_arena_calloc(a, r->nfiles, sizeof *items);
	char *seen = trib_arena_calloc(a, r->nfiles, 1);
	int *stack = trib_arena_calloc(a, r->nfiles, sizeof *stack);
	if (!items || !seen || !stack)
		return trib_error_last_code();
	if (file < 0 || (size_t)file >= r->nfiles)
		return trib_error_set(TRIB_ENOTFOUND, "no such descriptor file");
	size_t n = 0, sp = 0;
	stack[sp++] = file;
	seen[file] = 1;
	/* Every file enters the stack once (seen), so it never overflows. */
	while (sp) {
		const rfile *f = &r->files[stack[--sp]];
		items[n].data = (uint8_t *)f->data;
		items[n].len = f->len;
		n++;
		for (size_t d = f->ndeps; d-- > 0;)
			if (f->deps[d] >= 0 && !seen[f->deps[d]]) {
				seen[f->deps[d]] = 1;
				stack[sp++] = f->deps[d];
			}
	}
	*out = items;
	*count = n;
	return 0;
}
