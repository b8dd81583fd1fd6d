/**
 * @file json.h
 * @brief JSON for any protobuf-c message, driven by its descriptor.
 *
 * The mapping (what `trib --json` prints):
 * - an object per message; keys are the proto field names (snake_case), in
 *   field-number order;
 * - every field is present, defaults included (0, false, "", []), so a script
 *   can index any key without checking; an unset sub-message is `null`; of a
 *   oneof only the member that is set appears;
 * - enums by value name ("CLASSIFICATION_CONFIDENTIAL"), a number when the
 *   value is not in the descriptor;
 * - 32- and 64-bit integers as JSON numbers (not strings: values in this API
 *   stay far below 2^53); float/double as the shortest text that reads back
 *   the same, NaN and infinities as the strings "NaN", "Infinity", "-Infinity";
 * - bytes as base64 strings; strings with invalid UTF-8 replaced by U+FFFD,
 *   so the output is always valid JSON;
 * - repeated fields as arrays.
 */
#ifndef TRIB_JSON_H
#define TRIB_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

/**
 * Write msg as JSON.
 * @param indent spaces per level; 0 writes one compact line.
 * @param level nesting level the value starts at (for embedding in a larger document).
 */
void trib_json_message(FILE *out, const ProtobufCMessage *msg, int indent, int level);

/** Write msg as a JSON document followed by a newline (pretty, 2-space indent). */
void trib_json_print(FILE *out, const ProtobufCMessage *msg);

/** Write a JSON string literal for the first len bytes of s (quotes included). */
void trib_json_string(FILE *out, const char *s, size_t len);

/** Write the shortest decimal text of a double that reads back exactly (a JSON value). */
void trib_json_double(FILE *out, double v);

#endif
