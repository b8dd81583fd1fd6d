/**
 * @file ref.h
 * @brief Node references: the strings users type to name a node.
 *
 * | kind      | reference                  | example                               |
 * |-----------|----------------------------|---------------------------------------|
 * | domain    | `name` or `domain:name`    | `customer`                            |
 * | team      | `name` or `team:name`      | `customer-platform`                   |
 * | product   | `domain/name`              | `customer/customer-360`               |
 * | port      | `domain/name:port`         | `customer/customer-360:snapshot`      |
 * | field     | `domain/name[:port]#field` | `customer/customer-360#payload.id`    |
 * | term      | `term:Name`                | `term:CustomerProfile`                |
 * | source    | `source:name`              | `source:orders-db`                    |
 *
 * A reference with no `/` and no kind prefix is *bare*: it may name a product
 * (resolved when unique across domains), a domain or a team; the store decides.
 *
 * Naming rules: domain, product, port and source names are 1-128 characters of
 * [A-Za-z0-9._-] starting with a letter or digit; team names also allow '@' and
 * '+' (an email works as a team); term names 1-128 of [A-Za-z0-9 _.-]
 * starting with a letter; field names are dotted identifiers ([A-Za-z_][A-Za-z0-9_]*,
 * joined by '.'), up to 256 characters.
 */
#ifndef TRIBUTARY_REF_H
#define TRIBUTARY_REF_H

#include <stddef.h>

/** Node kinds; the values equal tributary.v1.NodeKind. */
typedef enum trib_kind {
	TRIB_KIND_NONE = 0,
	TRIB_KIND_DOMAIN = 1,
	TRIB_KIND_TEAM = 2,
	TRIB_KIND_PRODUCT = 3,
	TRIB_KIND_PORT = 4,
	TRIB_KIND_FIELD = 5,
	TRIB_KIND_TERM = 6,
	TRIB_KIND_SOURCE = 7,
	TRIB_KIND_BARE = 100, /**< parsed only: a bare name, resolved by the store */
} trib_kind;

#define TRIB_NAME_MAX 128
#define TRIB_FIELD_MAX 256
#define TRIB_REF_MAX 1024

/**
 * A parsed reference. The strings are NUL-terminated copies inside `buf`;
 * absent parts are "" (never NULL).
 */
typedef struct trib_ref {
	trib_kind kind;
	const char *domain;  /**< product/port/field: its domain; domain: its name */
	const char *name;    /**< product name; team, term, source or bare name */
	const char *port;    /**< port name, or "" */
	const char *field;   /**< field name (dotted), or "" */
	char buf[TRIB_REF_MAX + 8];
} trib_ref;

/**
 * Parse a reference.
 * @return 0, or TRIB_EINVALID with a message naming what is wrong and where
 *         (e.g. "reference 'a//b': empty product name at offset 2").
 */
int trib_ref_parse(trib_ref *out, const char *text);

/**
 * Write the canonical form of a reference into out (at most size bytes,
 * NUL-terminated). A field reference keeps its port when it has one.
 * @return the length written, or TRIB_ELIMIT if it does not fit.
 */
int trib_ref_format(char *out, size_t size, const trib_ref *ref);

/** Check a name against the naming rules of a kind; TRIB_EINVALID with a message otherwise. */
int trib_name_check(trib_kind kind, const char *name);

/** "domain", "team", "product", "port", "field", "term", "source", "bare" or "none". */
const char *trib_kind_name(trib_kind kind);

/** Inverse of trib_kind_name; TRIB_KIND_NONE when unknown. */
trib_kind trib_kind_from_name(const char *name);

#endif
