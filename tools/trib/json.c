/* One reflection-based JSON encoder for every protobuf-c message (mapping in json.h). */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void trib_json_string(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', out);
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		if (c >= 0x80) {
			size_t n = utf8_len(s + i, len - i);
			if (n == 0) {
				fputs("\\ufffd", out);
				i++;
			} else {
				fwrite(s + i, 1, n, out);
				i += n;
			}
			continue;
		}
		switch (c) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc((int)c, out);
		}
		i++;
	}
	fputc('"', out);
}

void trib_json_double(FILE *out, double v)
{
	if (isnan(v)) {
		fputs("\"NaN\"", out);
		return;
	}
	if (isinf(v)) {
		fputs(v < 0 ? "\"-Infinity\"" : "\"Infinity\"", out);
		return;
	}
	char buf[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, out);
}

static void base64(FILE *out, const uint8_t *p, size_t len)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	fputc('"', out);
	size_t i = 0;
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		fputc(tbl[v >> 18], out);
		fputc(tbl[(v >> 12) & 63], out);
		fputc(tbl[(v >> 6) & 63], out);
		fputc(tbl[v & 63], out);
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		fputc(tbl[v >> 18], out);
		fputc(tbl[(v >> 12) & 63], out);
		fputs("==", out);
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		fputc(tbl[v >> 18], out);
		fputc(tbl[(v >> 12) & 63], out);
		fputc(tbl[(v >> 6) & 63], out);
		fputc('=', out);
	}
	fputc('"', out);
}

static void newline(FILE *out, int indent, int level)
{
	if (indent <= 0)
		return;
	fputc('\n', out);
	for (int i = 0; i < indent * level; i++)
		fputc(' ', out);
}

static size_t elem_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	}
	return 0;
}

/* One value of a field, read from p (a pointer to the field's storage). */
static void value(FILE *out, const ProtobufCFieldDescriptor *f, const void *p, int indent, int level)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(out, "%" PRId32, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		fprintf(out, "%" PRIu32, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(out, "%" PRId64, *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		fprintf(out, "%" PRIu64, *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		trib_json_double(out, *(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		trib_json_double(out, *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)p ? "true" : "false", out);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value((const ProtobufCEnumDescriptor *)f->descriptor, v);
		if (ev)
			trib_json_string(out, ev->name, strlen(ev->name));
		else
			fprintf(out, "%d", v);
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		if (s)
			trib_json_string(out, s, strlen(s));
		else
			fputs("\"\"", out);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		base64(out, b->data, b->len);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *m = *(const ProtobufCMessage *const *)p;
		if (m)
			trib_json_message(out, m, indent, level);
		else
			fputs("null", out);
		break;
	}
	}
}

/* Whether a non-repeated field is to be written (presence rules of json.h). */
static int present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)msg;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	return 1;
}

void trib_json_message(FILE *out, const ProtobufCMessage *msg, int indent, int level)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const char *base = (const char *)msg;
	fputc('{', out);
	int first = 1;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->label != PROTOBUF_C_LABEL_REPEATED && !present(msg, f))
			continue;
		if (!first)
			fputc(',', out);
		first = 0;
		newline(out, indent, level + 1);
		trib_json_string(out, f->name, strlen(f->name));
		fputs(indent > 0 ? ": " : ":", out);
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			const char *arr = *(const char *const *)(base + f->offset);
			size_t sz = elem_size(f->type);
			fputc('[', out);
			for (size_t k = 0; k < n; k++) {
				if (k)
					fputc(',', out);
				newline(out, indent, level + 2);
				value(out, f, arr + k * sz, indent, level + 2);
			}
			if (n)
				newline(out, indent, level + 1);
			fputc(']', out);
		} else {
			value(out, f, base + f->offset, indent, level + 1);
		}
	}
	if (!first)
		newline(out, indent, level);
	fputc('}', out);
}

void trib_json_print(FILE *out, const ProtobufCMessage *msg)
{
	trib_json_message(out, msg, 2, 0);
	fputc('\n', out);
}
