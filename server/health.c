/* Health of the server and of every service in the method table, with watchers. */
#include "srv.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERVICES 16

/* Statuses are atomics so a watcher's notify callback (run with the lock
 * held) can read them; the lock guards only the watcher list. */
struct srv_health {
	pthread_mutex_t lock;
	const char *names[MAX_SERVICES]; /* [0] = "" (the whole server); static strings; fixed after new */
	atomic_int status[MAX_SERVICES];
	size_t count;
	atomic_int final;
	srv_health_watcher *watchers; /* guarded by lock */
};

int srv_health_new(srv_health **out)
{
	srv_health *h = calloc(1, sizeof *h);
	if (!h)
		return trib_error_set(TRIB_ENOMEM, "out of memory for the health service");
	pthread_mutex_init(&h->lock, NULL);
	h->names[h->count++] = "";
	for (size_t i = 0; i < srv_method_count; i++) {
		const char *svc = srv_methods[i].service;
		size_t k = 0;
		while (k < h->count && strcmp(h->names[k], svc) != 0)
			k++;
		if (k == h->count && h->count < MAX_SERVICES)
			h->names[h->count++] = svc;
	}
	for (size_t k = 0; k < h->count; k++)
		atomic_init(&h->status[k], SRV_HEALTH_NOT_SERVING);
	atomic_init(&h->final, 0);
	*out = h;
	return 0;
}

void srv_health_free(srv_health *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static void notify_all(srv_health *h)
{
	for (srv_health_watcher *w = h->watchers; w; w = w->next)
		w->notify(w);
}

void srv_health_set_all(srv_health *h, int status)
{
	for (size_t k = 0; k < h->count; k++)
		atomic_store(&h->status[k], status);
	pthread_mutex_lock(&h->lock);
	notify_all(h);
	pthread_mutex_unlock(&h->lock);
}

void srv_health_shutdown(srv_health *h)
{
	atomic_store(&h->final, 1);
	for (size_t k = 0; k < h->count; k++)
		atomic_store(&h->status[k], SRV_HEALTH_NOT_SERVING);
	pthread_mutex_lock(&h->lock);
	notify_all(h);
	pthread_mutex_unlock(&h->lock);
}

int srv_health_get(srv_health *h, const char *service)
{
	for (size_t k = 0; k < h->count; k++)
		if (strcmp(h->names[k], service) == 0)
			return atomic_load(&h->status[k]);
	return SRV_HEALTH_SERVICE_UNKNOWN;
}

int srv_health_final(srv_health *h)
{
	return atomic_load(&h->final);
}

void srv_health_watch_add(srv_health *h, srv_health_watcher *w)
{
	pthread_mutex_lock(&h->lock);
	w->prev = NULL;
	w->next = h->watchers;
	if (h->watchers)
		h->watchers->prev = w;
	h->watchers = w;
	pthread_mutex_unlock(&h->lock);
}

void srv_health_watch_remove(srv_health *h, srv_health_watcher *w)
{
	pthread_mutex_lock(&h->lock);
	if (w->prev)
		w->prev->next = w->next;
	else if (h->watchers == w)
		h->watchers = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->next = w->prev = NULL;
	pthread_mutex_unlock(&h->lock);
}
