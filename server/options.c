/* tributaryd command line. */
#include "srv.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORKERS 64
#define MIN_MESSAGE 1024u
#define MAX_MESSAGE (1024u * 1024u * 1024u)

void srv_options_default(srv_options *o)
{
	memset(o, 0, sizeof *o);
	o->listen = "127.0.0.1:50051";
	o->data_dir = "./var/tributary";
	/* One worker and one completion queue measured fastest on 2 cores
	 * (GRPC_CORE_NOTES.md); more threads only contend. */
	o->workers = 1;
	o->max_message = SRV_MAX_MESSAGE_DEFAULT;
	o->log_level = SRV_LOG_INFO;
	o->grace_ms = 5000;
}

static void usage(FILE *f)
{
	fputs("usage: tributaryd [OPTION]...\n"
	      "Serve the Tributary catalog and lineage graph over gRPC.\n"
	      "\n"
	      "  --listen HOST:PORT     address to serve on (default 127.0.0.1:50051; port 0\n"
	      "                         picks a free port and prints `listening on HOST:PORT`)\n"
	      "  --data-dir DIR         store directory, created if missing (default ./var/tributary)\n"
	      "  --workers N            worker threads, one completion queue each (default 1)\n"
	      "  --max-message BYTES    largest request or response message (default 4194304)\n"
	      "  --log-level LEVEL      debug, info, warn or error (default info)\n"
	      "  --policy FILE          governance policy file (YAML)\n"
	      "  --grace-ms MS          shutdown grace period for calls in flight (default 5000)\n"
	      "  --no-sync              do not fsync commits (tests, bulk loads: not durable)\n"
	      "  --help                 show this help and exit\n"
	      "  --version              show the version and exit\n"
	      "\n"
	      "Signals: SIGTERM or SIGINT stop the server gracefully.\n",
	      f);
}

static int parse_uint(long long *out, const char *s, long long min, long long max)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int srv_options_parse(srv_options *o, int argc, char **argv, FILE *out, FILE *err)
{
	enum { O_LISTEN = 256, O_DATA, O_WORKERS, O_MAXMSG, O_LOG, O_POLICY, O_GRACE, O_HELP, O_VERSION, O_NOSYNC };
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, O_LISTEN},
		{"data-dir", required_argument, NULL, O_DATA},
		{"workers", required_argument, NULL, O_WORKERS},
		{"max-message", required_argument, NULL, O_MAXMSG},
		{"log-level", required_argument, NULL, O_LOG},
		{"policy", required_argument, NULL, O_POLICY},
		{"grace-ms", required_argument, NULL, O_GRACE},
		{"no-sync", no_argument, NULL, O_NOSYNC},
		{"help", no_argument, NULL, O_HELP},
		{"version", no_argument, NULL, O_VERSION},
		{NULL, 0, NULL, 0},
	};
	optind = 0; /* GNU: full re-initialisation, so tests can parse repeatedly */
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "", longopts, NULL);
		if (c == -1)
			break;
		long long v = 0;
		switch (c) {
		case O_LISTEN:
			if (!*optarg || !strchr(optarg, ':')) {
				fprintf(err, "tributaryd: --listen '%s': expected HOST:PORT\n", optarg);
				return -1;
			}
			o->listen = optarg;
			break;
		case O_DATA:
			if (!*optarg) {
				fprintf(err, "tributaryd: --data-dir: empty directory name\n");
				return -1;
			}
			o->data_dir = optarg;
			break;
		case O_WORKERS:
			if (parse_uint(&v, optarg, 1, MAX_WORKERS)) {
				fprintf(err, "tributaryd: --workers '%s': expected 1 to %d\n", optarg, MAX_WORKERS);
				return -1;
			}
			o->workers = (int)v;
			break;
		case O_MAXMSG:
			if (parse_uint(&v, optarg, MIN_MESSAGE, MAX_MESSAGE)) {
				fprintf(err, "tributaryd: --max-message '%s': expected %u to %u bytes\n", optarg,
					MIN_MESSAGE, MAX_MESSAGE);
				return -1;
			}
			o->max_message = (size_t)v;
			break;
		case O_LOG:
			if (srv_log_level_parse(optarg) < 0) {
				fprintf(err, "tributaryd: --log-level '%s': expected debug, info, warn or error\n",
					optarg);
				return -1;
			}
			o->log_level = srv_log_level_parse(optarg);
			break;
		case O_POLICY:
			if (!*optarg) {
				fprintf(err, "tributaryd: --policy: empty file name\n");
				return -1;
			}
			o->policy = optarg;
			break;
		case O_GRACE:
			if (parse_uint(&v, optarg, 0, 600000)) {
				fprintf(err, "tributaryd: --grace-ms '%s': expected 0 to 600000\n", optarg);
				return -1;
			}
			o->grace_ms = (int)v;
			break;
		case O_NOSYNC:
			o->no_sync = 1;
			break;
		case O_HELP:
			usage(out);
			return 1;
		case O_VERSION:
			fprintf(out, "tributaryd %s\n", TRIB_VERSION);
			return 1;
		default:
			if (optopt >= O_LISTEN)
				fprintf(err, "tributaryd: option '%s' needs a value\n", argv[optind - 1]);
			else
				fprintf(err, "tributaryd: unknown option '%s'\n", argv[optind - 1]);
			fprintf(err, "Try 'tributaryd --help'.\n");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(err, "tributaryd: unexpected argument '%s'\nTry 'tributaryd --help'.\n", argv[optind]);
		return -1;
	}
	return 0;
}
