/* Private to server/policy*.c: the parsed form of a policy. */
#ifndef TRIB_SERVER_POLICY_INT_H
#define TRIB_SERVER_POLICY_INT_H

#include <regex.h>
#include <stdatomic.h>

#include "tributary/policy.h"

enum pol_severity { POL_OFF = 0, POL_WARNING = 1, POL_ERROR = 2 };

enum pol_type {
	POL_NAMING,
	POL_REQUIRED_FIELDS,
	POL_PII_CLASSIFICATION,
	POL_RETENTION_BOUNDS,
	POL_COMPOSITION,
	POL_FRESHNESS,
	POL_BREAKING_CHANGE,
	POL_UPSTREAM_LIFECYCLE,
	POL_OWNER_IN_DOMAIN_MAP,
	POL_TYPE_COUNT
};

/* Reference kinds a naming rule can constrain. */
enum pol_name_kind { POL_NAME_PRODUCT, POL_NAME_PORT, POL_NAME_FIELD, POL_NAME_DOMAIN, POL_NAME_TEAM, POL_NAME_COUNT };

/* Items of a required-fields rule. */
enum pol_required {
	POL_REQ_OWNER,
	POL_REQ_DESCRIPTION,
	POL_REQ_VERSION,
	POL_REQ_OUTPUT_PORT,
	POL_REQ_SLA,
	POL_REQ_CLASSIFICATION,
	POL_REQ_RETENTION,
	POL_REQ_TAGS,
	POL_REQ_QUALITY_CHECKS,
	POL_REQ_PORT_SCHEMA,
	POL_REQ_GLOSSARY_TERMS,
	POL_REQ_COUNT
};

/* Checks of a composition rule. */
enum pol_comp_check { POL_COMP_CLASSIFICATION, POL_COMP_RETENTION, POL_COMP_PII, POL_COMP_ERASURE, POL_COMP_COUNT };

#define POL_CLASS_COUNT 5 /* tributary.v1.Classification values 0..4 */

struct pol_exception {
	const char *ref;       /* "domain/name" or a domain name */
	int is_domain;
	const char *rationale;
};

struct pol_team_list {
	const char *domain;
	const char **teams;
	size_t nteams;
};

struct pol_rule {
	const char *id;
	const char *description;
	enum pol_severity severity;
	enum pol_type type;
	const char **domains;  /* scope; ndomains == 0 means every domain */
	size_t ndomains;
	struct pol_exception *exceptions;
	size_t nexceptions;
	const char *params_json; /* effective parameters, defaults included */
	unsigned line;
	union {
		struct {
			const char *pattern[POL_NAME_COUNT]; /* NULL = kind not constrained */
			regex_t re[POL_NAME_COUNT];
		} naming;
		struct {
			unsigned mask; /* bits of enum pol_required */
		} required;
		struct {
			int min_class;
		} pii;
		struct {
			int min_days[POL_CLASS_COUNT]; /* -1 = no bound */
			int max_days[POL_CLASS_COUNT];
			int require_stated;
		} retention;
		struct {
			unsigned checks; /* bits of enum pol_comp_check */
			unsigned max_upstream;
		} composition;
		struct {
			int64_t slack_seconds;
			unsigned max_upstream;
		} freshness;
		struct {
			int added_without_default_breaks;
			int port_removal_breaks;
			int zero_major_minor_bump;
		} breaking;
		struct {
			enum pol_severity deprecated;
			enum pol_severity deleted;
			enum pol_severity unregistered;
		} lifecycle;
		struct {
			int require_domain;
			struct pol_team_list *also;
			size_t nalso;
		} owner;
	} u;
};

struct pol_policy {
	atomic_long refs;
	trib_arena arena; /* every string and array of the policy */
	const char *source;
	int64_t loaded_at_ms;
	char digest[65];
	struct pol_rule *rules;
	size_t nrules;
};

const char *pol_type_name(enum pol_type t);
const char *pol_severity_name(enum pol_severity s);
const char *pol_class_name(int c);

#endif
