/* Paged List* calls, merged through the protobuf-c descriptors. */
#ifndef TRIB_PAGER_H
#define TRIB_PAGER_H

#include "cli.h"

/**
 * Call a paged method. The request must have a string field `page_token`, the
 * reply a repeated field named `items` and a string `next_page_token`. With
 * `all`, every following page is fetched and its items appended to the first
 * reply, whose next_page_token ends up "".
 * @return 0 with *out in cli->arena, or an exit code after printing the error.
 */
int trib_pager_call(trib_cli *cli, const char *method, ProtobufCMessage *req,
		    const ProtobufCMessageDescriptor *resp_desc, const char *items, int all,
		    ProtobufCMessage **out);

#endif
