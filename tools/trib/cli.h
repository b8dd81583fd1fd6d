/**
 * @file cli.h
 * @brief trib's command table, argument parser and per-run context.
 *
 * Commands are data (one table in cli.c): name, usage, options, positional
 * arity and a handler. The parser checks everything generic (unknown options,
 * missing values, numbers, arity) once, so handlers only read their values.
 * Everything prints through cli->out / cli->err, so tests can capture it.
 */
#ifndef TRIB_CLI_H
#define TRIB_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "rpc.h"
#include "tributary/arena.h"

#define TRIB_CLI_VERSION "0.1.0"

/** Exit codes of trib. */
enum trib_exit {
	TRIB_EXIT_OK = 0,
	TRIB_EXIT_ERROR = 1,
	TRIB_EXIT_USAGE = 2,
	TRIB_EXIT_NOTFOUND = 3,
	TRIB_EXIT_INVALID = 4,
	TRIB_EXIT_UNAVAILABLE = 5,
	TRIB_EXIT_POLICY = 6,
};

enum trib_opt_type {
	TRIB_OPT_FLAG,   /**< --name; counts occurrences */
	TRIB_OPT_STR,    /**< --name VALUE; the last one wins */
	TRIB_OPT_UINT,   /**< --name N; 0..max (max 0 = UINT32_MAX), checked at parse time */
	TRIB_OPT_LIST,   /**< --name VALUE, repeatable; every value kept in order */
};

typedef struct trib_opt {
	const char *name;   /**< long name without the dashes */
	int type;           /**< enum trib_opt_type */
	const char *arg;    /**< metavariable shown in help ("N", "TEAM") */
	const char *help;
	uint32_t max;       /**< TRIB_OPT_UINT: largest accepted value (0 = UINT32_MAX) */
} trib_opt;

#define TRIB_OPTS_MAX 16
#define TRIB_POS_MAX 1024

typedef struct trib_cli trib_cli;

typedef struct trib_cmd {
	const char *name;     /**< "get", or "domains upsert" for a sub-command */
	const char *args;     /**< positional part of the usage line: "REF", "FILE|DIR..." */
	const char *summary;  /**< one line for the command list */
	const char *help;     /**< further paragraphs for --help, or NULL */
	const trib_opt *opts; /**< terminated by an entry with name NULL; may be NULL */
	int min_pos, max_pos; /**< positional arity; max_pos -1 = unlimited */
	int is_default;       /**< the sub-command run when only the group is named */
	int (*run)(trib_cli *cli);
} trib_cmd;

/** Parsed arguments of the selected command. */
typedef struct trib_args {
	const char *pos[TRIB_POS_MAX];
	int n_pos;
	const char *str[TRIB_OPTS_MAX];   /* STR and UINT: the text given */
	uint32_t num[TRIB_OPTS_MAX];      /* UINT: the value */
	int count[TRIB_OPTS_MAX];         /* times given */
	const char **list[TRIB_OPTS_MAX]; /* LIST: values (arena) */
} trib_args;

struct trib_cli {
	FILE *out, *err;
	const char *addr;      /**< --addr, else $TRIB_ADDR, else the default */
	int64_t timeout_ms;    /**< --timeout; default 10 s */
	int timeout_given;     /**< --timeout was on the command line */
	int json, quiet, help, version;
	const trib_cmd *cmd;   /**< NULL with --help/--version alone */
	const char *group;     /**< a group named without a sub-command that has no default */
	trib_args args;
	trib_arena arena;      /**< everything of this run: parsed lists, replies */
	trib_rpc *rpc;         /**< opened on first use */
};

/** Prepare a context writing to out/err; env_addr is $TRIB_ADDR (may be NULL). */
void trib_cli_init(trib_cli *cli, FILE *out, FILE *err, const char *env_addr);

/** Close the connection and free the arena. */
void trib_cli_dispose(trib_cli *cli);

/**
 * Parse argv (argv[0] is the program name) into cli.
 * @return 0, or TRIB_EXIT_USAGE after printing one error line on cli->err.
 */
int trib_cli_parse(trib_cli *cli, int argc, char **argv);

/** Parse and run; returns the process exit code. */
int trib_cli_run(trib_cli *cli, int argc, char **argv);

/** The whole program: `main` calls this. */
int trib_main(int argc, char **argv);

/** The command table, terminated by an entry with name NULL. */
extern const trib_cmd trib_commands[];

/** Find a command by its full name ("get", "policy check"); NULL if none. */
const trib_cmd *trib_cli_find(const char *name);

/* Option values of the selected command, by long name (asserts the name exists). */
int trib_cli_flag(const trib_cli *cli, const char *name);
const char *trib_cli_str(const trib_cli *cli, const char *name);
/** The value of a UINT option, or def when it was not given. */
uint32_t trib_cli_uint(const trib_cli *cli, const char *name, uint32_t def);
int trib_cli_given(const trib_cli *cli, const char *name);
/** Values of a LIST option; *n receives the count. */
const char **trib_cli_list(const trib_cli *cli, const char *name, size_t *n);

/**
 * Parse a duration for --timeout: "30", "1.5" (seconds), "500ms", "10s", "2m".
 * @return 0 and *ms, or TRIB_EINVALID.
 */
int trib_parse_duration_ms(int64_t *ms, const char *text);

/** Print `trib: error: ...` on cli->err. Returns code, for `return trib_cli_fail(...)`. */
int trib_cli_fail(trib_cli *cli, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** A usage error for the selected command: the message and where to read more. Returns 2. */
int trib_cli_usage(trib_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Make a unary call to the server (connecting on first use). On failure
 * prints the error line and returns the exit code for the status; with st
 * non-NULL the status is also copied there.
 * @return 0 with *resp set (in cli->arena), or an exit code.
 */
int trib_cli_call(trib_cli *cli, const char *method, const ProtobufCMessage *req,
		  const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
		  trib_rpc_status *st);

/**
 * trib_cli_call(), then with --json print the reply: *resp is left set only
 * when the caller still has to print it for humans.
 * @return 0 or an exit code.
 */
int trib_cli_query(trib_cli *cli, const char *method, const ProtobufCMessage *req,
		   const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp);

/** The connection, opened on first use; NULL after printing an error. */
trib_rpc *trib_cli_rpc(trib_cli *cli);

/** Print the help of one command (or the overview when cmd is NULL) on out. */
void trib_cli_print_help(FILE *out, const trib_cmd *cmd);

#endif
