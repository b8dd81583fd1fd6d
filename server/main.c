/* tributaryd: the Tributary catalog and lineage server. */
#include "srv.h"
#include "tributary/policy.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <grpc/grpc.h>

/* mkdir -p: the store directory and its parents. */
static int make_dirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof buf)
		return trib_error_set(TRIB_EINVALID, "--data-dir: path longer than %zu bytes", sizeof buf - 1);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char save = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return trib_error_set(TRIB_EIO, "cannot create directory %s: %s", buf, strerror(errno));
		buf[i] = save;
	}
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return trib_error_set(TRIB_EIO, "--data-dir %s is not a directory", path);
	return 0;
}

/* "HOST:PORT" with the port the server actually bound. */
static void print_listening(const char *listen, int port)
{
	const char *colon = strrchr(listen, ':');
	int hl = colon ? (int)(colon - listen) : 0;
	printf("listening on %.*s:%d\n", hl, listen, port);
	fflush(stdout);
}

static void log_policy(const char *what)
{
	pol_policy *p = pol_global_get();
	srv_log(SRV_LOG_INFO, "%s: %s, %zu rules, sha256 %s", what, *pol_source(p) ? pol_source(p) : "built-in default",
		pol_rule_count(p), pol_digest(p));
	pol_unref(p);
}

int main(int argc, char **argv)
{
	srv_options o;
	srv_options_default(&o);
	int prc = srv_options_parse(&o, argc, argv, stdout, stderr);
	if (prc != 0)
		return prc > 0 ? 0 : 2;
	srv_log_set_level(o.log_level);

	/* Before grpc_init: the library's threads inherit this mask, so the
	 * signals reach only sigwait below. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP); /* reloads the policy */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Without --policy the shipped default (server/default-policy.yaml) is in force. */
	int rc = pol_global_init(o.policy);
	if (rc) {
		fprintf(stderr, "tributaryd: policy refused:\n%s\n",
			*pol_load_diagnostics() ? pol_load_diagnostics() : trib_error_last());
		return 1;
	}
	log_policy("policy in force");

	rc = make_dirs(o.data_dir);
	if (rc) {
		fprintf(stderr, "tributaryd: %s\n", trib_error_last());
		return 1;
	}
	graph_store *store = NULL;
	graph_open_opts gopts = GRAPH_OPEN_OPTS_INIT;
	gopts.no_sync = o.no_sync;
	rc = graph_open(&store, o.data_dir, &gopts);
	if (rc) {
		fprintf(stderr, "tributaryd: cannot open the store in %s: %s\n", o.data_dir, trib_error_last());
		return 1;
	}

	grpc_init();
	srv_server *server = NULL;
	int port = 0;
	rc = srv_server_start(&server, &port, &o, store);
	if (rc) {
		fprintf(stderr, "tributaryd: %s\n", trib_error_last());
		graph_close(store);
		grpc_shutdown();
		return 1;
	}
	print_listening(o.listen, port);
	srv_log(SRV_LOG_INFO, "tributaryd %s serving on port %d, data in %s, %d worker%s%s%s", TRIB_VERSION,
		port, o.data_dir, o.workers, o.workers == 1 ? "" : "s", o.policy ? ", policy " : "",
		o.policy ? o.policy : "");

	int sig = 0;
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		if (pol_global_reload() == 0)
			log_policy("SIGHUP: policy reloaded");
		else
			srv_log(SRV_LOG_ERROR, "SIGHUP: policy reload refused, the previous policy stays in force: %s",
				*pol_load_diagnostics() ? pol_load_diagnostics() : trib_error_last());
	}
	srv_log(SRV_LOG_INFO, "%s received: shutting down (grace %d ms)", sig == SIGINT ? "SIGINT" : "SIGTERM",
		o.grace_ms);
	srv_server_stop(server, o.grace_ms);
	graph_close(store);
	grpc_shutdown();
	/* grpc_shutdown may finish its teardown on another thread; give it a
	 * moment so the process exits with nothing half-freed. */
	for (int i = 0; i < 100 && grpc_is_initialized(); i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	srv_log(SRV_LOG_INFO, "stopped");
	return 0;
}
