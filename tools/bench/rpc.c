/*
 * gRPC over loopback: tributaryd as a child process, driven by an
 * asynchronous C client on the gRPC core API.
 *
 * The server is the real binary (build/bin/tributaryd next to trib-bench, or
 * --server PATH) started on port 0 in a fresh data directory, so its RSS is
 * its own and its configuration is the shipped one. The client keeps
 * `concurrency` unary calls in flight on one completion queue: when one
 * completes, the next starts. Requests are packed once up front (the client
 * shares the two cores with the server, so it should spend as little as
 * possible); every response is checked: status OK and, where given, a check
 * function over the unpacked reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "bench.h"
#include "../../server/srv.h"
#include "tributary/v1/catalog.pb-c.h"

#define START_TIMEOUT_MS 60000
#define CALL_TIMEOUT_S 60
#define STOP_TIMEOUT_S 30

/* --------------------------------------------------------------- server */

/* A server still running when the benchmark exits (bench_die) is stopped, not orphaned. */
static bench_server *running;

static void stop_running(void)
{
	if (running)
		bench_server_stop(running);
}

int bench_server_start(bench_server *s, const char *exe, const char *data_dir, const char *log_path,
		       const char *policy)
{
	memset(s, 0, sizeof(*s));
	s->pid = -1;
	s->out_fd = -1;
	snprintf(s->log_path, sizeof(s->log_path), "%s", log_path);
	int fds[2];
	if (pipe(fds) != 0) {
		fprintf(stderr, "bench: pipe: %s\n", strerror(errno));
		return -1;
	}
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		fprintf(stderr, "bench: %s: %s\n", log_path, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench: fork: %s\n", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		close(log_fd);
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* and if the benchmark is killed */
		dup2(fds[1], 1);
		dup2(log_fd, 2);
		close(fds[0]);
		close(fds[1]);
		/* Per-call log lines at 40k calls/s would measure the log file: warn keeps errors. */
		const char *argv[] = {exe, "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--log-level", "warn",
				      policy ? "--policy" : NULL, policy, NULL};
		execv(exe, (char *const *)argv);
		fprintf(stderr, "bench: exec %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	close(log_fd);
	s->pid = pid;
	s->out_fd = fds[0];
	static int hooked;
	if (!hooked && atexit(stop_running) == 0)
		hooked = 1;
	running = s;

	/* Wait for "listening on HOST:PORT". */
	char buf[512];
	size_t len = 0;
	double deadline = bench_now() + START_TIMEOUT_MS / 1000.0;
	for (;;) {
		char *nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			const char *p = strstr(buf, "listening on ");
			if (p) {
				snprintf(s->addr, sizeof(s->addr), "%s", p + strlen("listening on "));
				return 0;
			}
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
			continue;
		}
		int left = (int)((deadline - bench_now()) * 1000);
		struct pollfd pfd = {s->out_fd, POLLIN, 0};
		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			fprintf(stderr, "bench: %s printed no 'listening on' line within %d s (log: %s)\n", exe,
				START_TIMEOUT_MS / 1000, log_path);
			break;
		}
		if (len == sizeof(buf) - 1)
			len = 0;
		ssize_t r = read(s->out_fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0) {
			fprintf(stderr, "bench: %s exited before listening (log: %s)\n", exe, log_path);
			break;
		}
		len += (size_t)r;
	}
	bench_server_stop(s);
	return -1;
}

static long status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long kb = -1;
	size_t flen = strlen(field);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

double bench_proc_cpu_s(int pid)
{
	char path[64], buf[1024];
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* Fields after the command name, which may itself hold spaces and parentheses. */
	const char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long utime = 0, stime = 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

void bench_server_mem(bench_mem *out, const bench_server *s)
{
	out->rss_kb = status_kb(s->pid, "VmRSS");
	out->peak_kb = status_kb(s->pid, "VmHWM");
	out->anon_kb = status_kb(s->pid, "RssAnon");
	out->file_kb = status_kb(s->pid, "RssFile");
}

void bench_print_mem(const bench_server *s, const char *when)
{
	bench_mem m;
	bench_server_mem(&m, s);
	printf("  server memory %-22s RSS %.1f MB (peak %.1f MB) = heap and stacks %.1f MB + mapped files %.1f MB "
	       "(/proc/%d/status)\n",
	       when, m.rss_kb / 1024.0, m.peak_kb / 1024.0, m.anon_kb / 1024.0, m.file_kb / 1024.0, s->pid);
}

int bench_server_stop(bench_server *s)
{
	int rc = 0;
	if (running == s)
		running = NULL;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		int st = 0;
		pid_t w;
		double give_up = bench_now() + STOP_TIMEOUT_S;
		while ((w = waitpid(s->pid, &st, WNOHANG)) == 0 && bench_now() < give_up)
			usleep(10000);
		if (w == 0) {
			fprintf(stderr, "bench: tributaryd pid %d still running %d s after SIGTERM: killed (log: %s)\n",
				s->pid, STOP_TIMEOUT_S, s->log_path);
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &st, 0);
			rc = -1;
		} else if (w == s->pid && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			fprintf(stderr, "bench: tributaryd %s %d (log: %s)\n",
				WIFEXITED(st) ? "exited with status" : "was killed by signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), s->log_path);
			rc = -1;
		}
		s->pid = -1;
	}
	if (s->out_fd >= 0)
		close(s->out_fd);
	s->out_fd = -1;
	return rc;
}

/* --------------------------------------------------------------- client */

struct bench_client {
	grpc_channel *ch;
	grpc_completion_queue *cq;
};

bench_client *bench_client_open(const char *addr)
{
	/* The client pays the same lock-order bookkeeping as the server it measures. */
	srv_absl_deadlock_detection_off();
	bench_client *c = bench_xcalloc(1, sizeof(*c));
	grpc_init();
	grpc_arg args[1];
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = 256 << 20;
	grpc_channel_args cargs = {1, args};
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	c->ch = grpc_channel_create(addr, creds, &cargs);
	grpc_channel_credentials_release(creds);
	c->cq = grpc_completion_queue_create_for_next(NULL);
	return c;
}

void bench_client_close(bench_client *c)
{
	if (!c)
		return;
	grpc_channel_destroy(c->ch);
	grpc_completion_queue_shutdown(c->cq);
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(c->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
	}
	grpc_completion_queue_destroy(c->cq);
	free(c);
	grpc_shutdown();
}

static gpr_timespec deadline_in(int seconds)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_seconds(seconds, GPR_TIMESPAN));
}

/* Wait for `tag` on the queue (the only operation outstanding). 1 = success. */
static int wait_tag(bench_client *c, void *tag)
{
	grpc_event ev = grpc_completion_queue_next(c->cq, deadline_in(CALL_TIMEOUT_S), NULL);
	if (ev.type != GRPC_OP_COMPLETE)
		bench_die("bench: gRPC: no completion within %d s", CALL_TIMEOUT_S);
	if (ev.tag != tag)
		bench_die("bench: gRPC: unexpected completion tag");
	return ev.success;
}

static uint8_t *slice_bytes(grpc_byte_buffer *bb, size_t *len, grpc_slice *keep)
{
	grpc_byte_buffer_reader r;
	if (!grpc_byte_buffer_reader_init(&r, bb))
		return NULL;
	*keep = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	*len = GRPC_SLICE_LENGTH(*keep);
	return GRPC_SLICE_START_PTR(*keep);
}

struct bench_packed {
	grpc_slice slice;
};

bench_packed *bench_pack(const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = bench_xmalloc(len ? len : 1);
	protobuf_c_message_pack(m, buf);
	bench_packed *p = bench_xmalloc(sizeof(*p));
	p->slice = grpc_slice_new(buf, len, free);
	return p;
}

void bench_pack_free(bench_packed *p)
{
	if (!p)
		return;
	grpc_slice_unref(p->slice);
	free(p);
}

typedef struct slot {
	grpc_call *call;
	grpc_metadata_array md_init, md_trail;
	grpc_byte_buffer *send, *recv;
	grpc_status_code status;
	grpc_slice details;
	size_t req;
	double t0;
	int busy;
} slot;

static void slot_start(bench_client *c, void *handle, slot *s, bench_packed *req, size_t idx)
{
	memset(s, 0, sizeof(*s));
	s->req = idx;
	s->busy = 1;
	grpc_metadata_array_init(&s->md_init);
	grpc_metadata_array_init(&s->md_trail);
	s->send = grpc_raw_byte_buffer_create(&req->slice, 1);
	s->call = grpc_channel_create_registered_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, handle,
						       deadline_in(CALL_TIMEOUT_S), NULL);
	grpc_op ops[6];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = s->send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->md_init;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &s->recv;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &s->md_trail;
	ops[5].data.recv_status_on_client.status = &s->status;
	ops[5].data.recv_status_on_client.status_details = &s->details;
	s->t0 = bench_now();
	grpc_call_error e = grpc_call_start_batch(s->call, ops, 6, s, NULL);
	if (e != GRPC_CALL_OK)
		bench_die("bench: gRPC: grpc_call_start_batch: error %d", (int)e);
}

static void slot_end(slot *s)
{
	grpc_byte_buffer_destroy(s->send);
	if (s->recv)
		grpc_byte_buffer_destroy(s->recv);
	grpc_slice_unref(s->details);
	grpc_metadata_array_destroy(&s->md_init);
	grpc_metadata_array_destroy(&s->md_trail);
	grpc_call_unref(s->call);
	s->busy = 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void bench_rpc_drive(bench_rpc_stats *out, bench_client *c, const bench_rpc_job *job)
{
	memset(out, 0, sizeof(*out));
	void *handle = grpc_channel_register_call(c->ch, job->method, NULL, NULL);
	unsigned conc = job->concurrency ? job->concurrency : 1;
	slot *slots = bench_xcalloc(conc, sizeof(slot));
	size_t lat_cap = 1024, issued = 0, active = 0;
	double *lat = bench_xmalloc(sizeof(double) * lat_cap);
	double t_start = bench_now();
	for (unsigned i = 0; i < conc && (job->max_calls == 0 || issued < job->max_calls); i++, issued++) {
		slot_start(c, handle, &slots[i], job->reqs[issued % job->nreqs], issued % job->nreqs);
		active++;
	}
	while (active > 0) {
		grpc_event ev = grpc_completion_queue_next(c->cq, deadline_in(CALL_TIMEOUT_S), NULL);
		if (ev.type != GRPC_OP_COMPLETE)
			bench_die("bench: gRPC %s: no completion within %d s", job->method, CALL_TIMEOUT_S);
		slot *s = ev.tag;
		double now = bench_now();
		if (out->calls == lat_cap) {
			lat_cap *= 2;
			double *grown = realloc(lat, sizeof(double) * lat_cap);
			if (!grown)
				bench_die("bench: out of memory for %zu latencies", lat_cap);
			lat = grown;
		}
		lat[out->calls++] = now - s->t0;
		int ok = ev.success && s->status == GRPC_STATUS_OK && s->recv;
		if (ok && job->check) {
			grpc_slice keep;
			size_t len = 0;
			const uint8_t *data = slice_bytes(s->recv, &len, &keep);
			ok = data && job->check(data, len, s->req, job->payload, out->first_error,
						sizeof(out->first_error)) == 0;
			if (data)
				grpc_slice_unref(keep);
		} else if (!ok && !out->errors) {
			snprintf(out->first_error, sizeof(out->first_error), "status %d: %.*s", (int)s->status,
				 (int)GRPC_SLICE_LENGTH(s->details), (const char *)GRPC_SLICE_START_PTR(s->details));
		}
		if (!ok)
			out->errors++;
		slot_end(s);
		active--;
		if ((job->max_calls == 0 || issued < job->max_calls) &&
		    (job->seconds <= 0 || now - t_start < job->seconds)) {
			slot_start(c, handle, s, job->reqs[issued % job->nreqs], issued % job->nreqs);
			issued++;
			active++;
		}
	}
	out->elapsed = bench_now() - t_start;
	qsort(lat, out->calls, sizeof(double), cmp_d);
	if (out->calls) {
		out->p50 = lat[out->calls / 2];
		out->p99 = lat[(size_t)((double)(out->calls - 1) * 0.99)];
	}
	free(lat);
	free(slots);
}

/* --------------------------------------------------------- client stream */

int bench_rpc_register_stream(bench_register_result *out, bench_client *c, const bench_graph *g,
			      uint32_t from, uint32_t to)
{
	memset(out, 0, sizeof(*out));
	grpc_slice method = grpc_slice_from_static_string("/tributary.v1.Catalog/RegisterProducts");
	grpc_call *call = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, method, NULL,
						   deadline_in(CALL_TIMEOUT_S * 10), NULL);
	grpc_metadata_array md_init, md_trail;
	grpc_metadata_array_init(&md_init);
	grpc_metadata_array_init(&md_trail);
	grpc_byte_buffer *recv = NULL;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice details = grpc_empty_slice();
	int tag_md, tag_send, tag_final, rc = 0;

	grpc_op op;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_INITIAL_METADATA;
	if (grpc_call_start_batch(call, &op, 1, &tag_md, NULL) != GRPC_CALL_OK || !wait_tag(c, &tag_md))
		bench_die("bench: RegisterProducts: could not start the call");

	/* The next message is packed while the previous one is being sent. */
	grpc_byte_buffer *inflight = NULL;
	for (uint32_t v = from; v < to; v++) {
		bench_product bp;
		bench_product_fill(&bp, g, v);
		Tributary__V1__RegisterProductRequest req = TRIBUTARY__V1__REGISTER_PRODUCT_REQUEST__INIT;
		req.product = &bp.p;
		bench_packed *packed = bench_pack(&req.base);
		grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&packed->slice, 1);
		bench_pack_free(packed);
		if (inflight) {
			int ok = wait_tag(c, &tag_send);
			grpc_byte_buffer_destroy(inflight);
			inflight = NULL;
			if (!ok) { /* the server ended the call early: its status says why */
				grpc_byte_buffer_destroy(bb);
				break;
			}
		}
		memset(&op, 0, sizeof(op));
		op.op = GRPC_OP_SEND_MESSAGE;
		op.data.send_message.send_message = bb;
		if (grpc_call_start_batch(call, &op, 1, &tag_send, NULL) != GRPC_CALL_OK)
			bench_die("bench: RegisterProducts: SEND_MESSAGE refused");
		inflight = bb;
		out->sent++;
	}
	if (inflight) {
		wait_tag(c, &tag_send);
		grpc_byte_buffer_destroy(inflight);
	}

	grpc_op ops[4];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[1].data.recv_initial_metadata.recv_initial_metadata = &md_init;
	ops[2].op = GRPC_OP_RECV_MESSAGE;
	ops[2].data.recv_message.recv_message = &recv;
	ops[3].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[3].data.recv_status_on_client.trailing_metadata = &md_trail;
	ops[3].data.recv_status_on_client.status = &status;
	ops[3].data.recv_status_on_client.status_details = &details;
	if (grpc_call_start_batch(call, ops, 4, &tag_final, NULL) != GRPC_CALL_OK)
		bench_die("bench: RegisterProducts: final batch refused");
	wait_tag(c, &tag_final);

	if (status != GRPC_STATUS_OK || !recv) {
		snprintf(out->error, sizeof(out->error), "status %d: %.*s", (int)status,
			 (int)GRPC_SLICE_LENGTH(details), (const char *)GRPC_SLICE_START_PTR(details));
		rc = -1;
	} else {
		grpc_slice keep;
		size_t len = 0;
		const uint8_t *data = slice_bytes(recv, &len, &keep);
		Tributary__V1__RegisterProductsSummary *sum =
			data ? tributary__v1__register_products_summary__unpack(NULL, len, data) : NULL;
		if (!sum) {
			snprintf(out->error, sizeof(out->error), "undecodable RegisterProductsSummary");
			rc = -1;
		} else {
			out->registered = sum->registered;
			out->failed = sum->failed;
			if (sum->n_errors)
				snprintf(out->error, sizeof(out->error), "%s", sum->errors[0]);
			tributary__v1__register_products_summary__free_unpacked(sum, NULL);
		}
		if (data)
			grpc_slice_unref(keep);
	}
	if (recv)
		grpc_byte_buffer_destroy(recv);
	grpc_slice_unref(details);
	grpc_metadata_array_destroy(&md_init);
	grpc_metadata_array_destroy(&md_trail);
	grpc_call_unref(call);
	return rc;
}
