/* Follow next_page_token and merge pages, for any List*-shaped method. */
#include "pager.h"

#include <assert.h>
#include <string.h>

#include "tributary/error.h"

/* A server that keeps returning pages is a bug or an attack; stop somewhere. */
#define MAX_PAGES 100000

static char **string_field(ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	assert(f && f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED);
	return (char **)((char *)m + f->offset);
}

int trib_pager_call(trib_cli *cli, const char *method, ProtobufCMessage *req,
		    const ProtobufCMessageDescriptor *resp_desc, const char *items, int all,
		    ProtobufCMessage **out)
{
	const ProtobufCFieldDescriptor *fi = protobuf_c_message_descriptor_get_field_by_name(resp_desc, items);
	assert(fi && fi->label == PROTOBUF_C_LABEL_REPEATED && fi->type == PROTOBUF_C_TYPE_MESSAGE);
	char **req_token = string_field(req, "page_token");
	if (!*req_token)
		*req_token = (char *)"";
	ProtobufCMessage *merged = NULL;
	size_t cap = 0;
	*out = NULL;
	for (int page = 0;; page++) {
		ProtobufCMessage *resp;
		int rc = trib_cli_call(cli, method, req, resp_desc, &resp, NULL);
		if (rc)
			return rc;
		char *token = *string_field(resp, "next_page_token");
		if (!merged) {
			merged = resp;
			cap = *(size_t *)((char *)merged + fi->quantifier_offset);
		} else {
			size_t *n = (size_t *)((char *)merged + fi->quantifier_offset);
			void ***arr = (void ***)((char *)merged + fi->offset);
			size_t add = *(size_t *)((char *)resp + fi->quantifier_offset);
			void **more = *(void ***)((char *)resp + fi->offset);
			if (*n + add > cap) {
				size_t ncap = cap ? cap : 16;
				while (ncap < *n + add)
					ncap *= 2;
				void **grown = trib_arena_realloc(&cli->arena, *arr, cap * sizeof(void *),
								  ncap * sizeof(void *));
				if (!grown)
					return trib_cli_fail(cli, TRIB_EXIT_ERROR, "%s", trib_error_last());
				*arr = grown;
				cap = ncap;
			}
			if (add)
				memcpy(*arr + *n, more, add * sizeof(void *));
			*n += add;
		}
		*string_field(merged, "next_page_token") = token;
		if (!all || !token || !*token)
			break;
		if (strcmp(token, *req_token) == 0)
			return trib_cli_fail(cli, TRIB_EXIT_ERROR, "%s: the server returned the same page token twice",
					     method);
		if (page + 1 >= MAX_PAGES)
			return trib_cli_fail(cli, TRIB_EXIT_ERROR, "%s: more than %d pages; stopping", method,
					     MAX_PAGES);
		*req_token = token;
	}
	if (all)
		*string_field(merged, "next_page_token") = (char *)"";
	*out = merged;
	return 0;
}
