/* events.c - the streams' thread: one epoll set, every open event stream
 * in it, grouped by topic. An event is formatted once per topic and sent
 * to each of its streams; a stream that cannot take it now keeps only the
 * unsent rest of one event and gets the newest once that has gone. */
#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "connlimit.h"
#include "log.h"
#include "mono.h"
#include "worker.h"

#define TOPIC_BUCKETS 256
/* Every so often each idle stream gets a comment line, so proxies and
 * clients see it is alive and a vanished client is noticed. */
#define HEARTBEAT_MS 20000 /* unless events_config.heartbeat_ms says */
/* Topics are recomputed at least this often even without a poke. */
#define RECOMPUTE_MS 1000
/* A stream whose client has taken nothing for this long is closed. */
#define STALL_MS 60000
/* A client sends its request and then nothing; this many bytes more and
 * the stream is closed. */
#define RX_MAX 4096

struct topic;

struct stream {
	struct stream *prev, *next; /* in its topic */
	struct topic *topic;
	char *pend;	       /* unsent bytes of one event; NULL when none */
	int64_t blocked_since; /* ms; while pend is set */
	struct netaddr addr;
	uint32_t pend_off, pend_len;
	uint32_t rx;
	int fd;
	bool counted;
	bool stale; /* the topic's event changed while pend was out */
	struct stream *adopt_next; /* in the adoption queue */
};

struct topic {
	struct topic *next; /* in its bucket */
	struct events_topic key;
	struct stream *head;
	size_t n;
	char *event;
	size_t event_len;
};

static const struct events_config *cfg;
static struct connlimit limits;
static atomic_size_t nstreams; /* places taken: reserved or open */
static atomic_bool running;
static atomic_bool poked;
static int epfd = -1, wakefd = -1;
static pthread_t thread;
static pthread_mutex_t adopt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stream *adopt_head; /* under adopt_lock */
static bool stopping;		  /* under adopt_lock */
/* The loop thread's own. */
static struct topic *topics[TOPIC_BUCKETS];
static char wake_tag;

static void
wake(void)
{
	uint64_t one = 1;
	ssize_t n;

	n = write(wakefd, &one, sizeof(one));
	(void)n; /* a full counter wakes the loop as well */
}

void
events_poke(void)
{
	if (!atomic_load(&running))
		return;
	if (!atomic_exchange(&poked, true))
		wake();
}

enum events_admit
events_reserve(const struct netaddr *a, bool counted)
{
	size_t n;

	if (!atomic_load(&running))
		return EVENTS_STOPPED;
	n = atomic_fetch_add(&nstreams, 1);
	if (n >= cfg->max_streams) {
		atomic_fetch_sub(&nstreams, 1);
		return EVENTS_FULL;
	}
	if (!counted)
		return EVENTS_OK;
	switch (connlimit_acquire(&limits, a)) {
	case CONNLIMIT_OK: return EVENTS_OK;
	case CONNLIMIT_NET: atomic_fetch_sub(&nstreams, 1); return EVENTS_NET;
	case CONNLIMIT_ADDR: atomic_fetch_sub(&nstreams, 1); return EVENTS_ADDR;
	default: atomic_fetch_sub(&nstreams, 1); return EVENTS_FULL;
	}
}

void
events_unreserve(const struct netaddr *a, bool counted)
{
	if (counted)
		connlimit_release(&limits, a);
	atomic_fetch_sub(&nstreams, 1);
}

size_t
events_count(void)
{
	return atomic_load(&nstreams);
}

int
events_add(int fd, const struct events_topic *t, const struct netaddr *a,
    bool counted, const char *head, size_t len)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->pend = malloc(len > 0 ? len : 1)) == NULL)
		goto fail;
	memcpy(s->pend, head, len);
	s->pend_len = (uint32_t)len;
	s->fd = fd;
	s->addr = *a;
	s->counted = counted;
	/* The topic is looked up by the loop: park the key in a topic of
	 * its own until then. */
	if ((s->topic = calloc(1, sizeof(*s->topic))) == NULL)
		goto fail;
	s->topic->key = *t;
	pthread_mutex_lock(&adopt_lock);
	if (stopping) {
		pthread_mutex_unlock(&adopt_lock);
		goto fail;
	}
	s->adopt_next = adopt_head;
	adopt_head = s;
	pthread_mutex_unlock(&adopt_lock);
	wake();
	return 0;
fail:
	if (s != NULL) {
		free(s->topic);
		free(s->pend);
		free(s);
	}
	close(fd);
	events_unreserve(a, counted);
	return -1;
}

static size_t
topic_bucket(const struct events_topic *k)
{
	uint64_t h = (uint64_t)k->id * 0x9E3779B97F4A7C15ULL;

	h ^= (uint64_t)(unsigned char)k->lang[0] << 8 |
	    (unsigned char)k->lang[1];
	return (size_t)(h >> 40) % TOPIC_BUCKETS;
}

static bool
topic_same(const struct events_topic *a, const struct events_topic *b)
{
	return a->id == b->id && a->goal == b->goal &&
	    strcmp(a->lang, b->lang) == 0;
}

/* The topic of key, made when missing; NULL when out of memory. */
static struct topic *
topic_get(const struct events_topic *key)
{
	struct topic **p = &topics[topic_bucket(key)], *t;

	for (t = *p; t != NULL; t = t->next)
		if (topic_same(&t->key, key))
			return t;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->key = *key;
	t->next = *p;
	*p = t;
	return t;
}

static void
topic_drop(struct topic *t)
{
	struct topic **p = &topics[topic_bucket(&t->key)];

	while (*p != t)
		p = &(*p)->next;
	*p = t->next;
	free(t->event);
	free(t);
}

static void
stream_close(struct stream *s)
{
	struct topic *t = s->topic;

	/* Out of the set first: the server's own descriptor of the socket
	 * may not be closed yet, and a set holds a socket until its last
	 * descriptor is. */
	(void)epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		t->head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	if (--t->n == 0)
		topic_drop(t);
	events_unreserve(&s->addr, s->counted);
	free(s->pend);
	free(s);
}

static int
stream_watch(struct stream *s, bool out)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0),
		.data.ptr = s,
	};

	return epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

/* Sends what s still owes; returns 0 (all sent, or the rest kept for
 * later), -1 when the stream is dead (closed by then). */
static int stream_flush(struct stream *s);

/* Starts sending data to s, whose pend is empty. Returns 0, or -1 when
 * the stream was closed. */
static int
stream_send(struct stream *s, const char *data, size_t len)
{
	if ((s->pend = malloc(len)) == NULL) {
		stream_close(s);
		return -1;
	}
	memcpy(s->pend, data, len);
	s->pend_off = 0;
	s->pend_len = (uint32_t)len;
	s->blocked_since = 0;
	return stream_flush(s);
}

static int
stream_flush(struct stream *s)
{
	bool was_blocked = s->blocked_since != 0;

	while (s->pend != NULL) {
		ssize_t n = send(s->fd, s->pend + s->pend_off,
		    s->pend_len - s->pend_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!was_blocked) {
				s->blocked_since = mono_ms();
				if (stream_watch(s, true) == -1) {
					stream_close(s);
					return -1;
				}
			}
			return 0;
		}
		if (n <= 0) {
			stream_close(s);
			return -1;
		}
		s->pend_off += (uint32_t)n;
		if (s->pend_off < s->pend_len)
			continue;
		free(s->pend);
		s->pend = NULL;
		if (s->stale && s->topic->event != NULL) {
			s->stale = false;
			if ((s->pend = malloc(s->topic->event_len)) == NULL) {
				stream_close(s);
				return -1;
			}
			memcpy(s->pend, s->topic->event, s->topic->event_len);
			s->pend_off = 0;
			s->pend_len = (uint32_t)s->topic->event_len;
		}
	}
	if (was_blocked) {
		s->blocked_since = 0;
		if (stream_watch(s, false) == -1) {
			stream_close(s);
			return -1;
		}
	}
	return 0;
}

/* Sets t's event from the payload; 0, or -1 when there is none now.
 * Returns 1 when it changed. */
static int
topic_compute(struct topic *t)
{
	struct buf b;
	char *ev;
	int ret = -1;

	buf_init(&b);
	if (cfg->payload(&t->key, &b) == -1 || !buf_ok(&b) || b.len == 0)
		goto out;
	ret = 0;
	if (t->event != NULL && t->event_len == b.len &&
	    memcmp(t->event, b.data, b.len) == 0)
		goto out;
	if ((ev = malloc(b.len)) == NULL) {
		ret = -1;
		goto out;
	}
	memcpy(ev, b.data, b.len);
	free(t->event);
	t->event = ev;
	t->event_len = b.len;
	ret = 1;
out:
	buf_reset(&b);
	return ret;
}

/* Moves the streams handed over by request threads into the loop. */
static void
adopt(void)
{
	struct stream *s, *next;

	pthread_mutex_lock(&adopt_lock);
	s = adopt_head;
	adopt_head = NULL;
	pthread_mutex_unlock(&adopt_lock);
	for (; s != NULL; s = next) {
		struct topic *parked = s->topic, *t;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
			.data.ptr = s };

		next = s->adopt_next;
		t = topic_get(&parked->key);
		free(parked);
		if (t == NULL ||
		    epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev) == -1) {
			log_warn("events", "error=\"cannot add a stream\"");
			if (t != NULL && t->n == 0)
				topic_drop(t);
			close(s->fd);
			events_unreserve(&s->addr, s->counted);
			free(s->pend);
			free(s);
			continue;
		}
		s->topic = t;
		if (t->event == NULL)
			topic_compute(t);
		s->next = t->head;
		if (t->head != NULL)
			t->head->prev = s;
		t->head = s;
		t->n++;
		/* The head ends with the event of the moment it was made: the
		 * topic's follows it when it has moved on since. */
		s->stale = t->event != NULL &&
		    (s->pend_len < t->event_len ||
			memcmp(s->pend + s->pend_len - t->event_len, t->event,
			    t->event_len) != 0);
		(void)stream_flush(s);
	}
}

/* Calls each(s, arg) for each stream s of t; each returns -1 when it
 * closed s. A stream closed here takes its topic with it when it was the
 * last one: then the walk ends. */
static void
topic_each(struct topic *t, int (*each)(struct stream *, const void *),
    const void *arg)
{
	struct stream *s, *snext;

	for (s = t->head; s != NULL; s = snext) {
		bool last = s->next == NULL && s->prev == NULL;

		snext = s->next;
		if (each(s, arg) == -1 && last)
			break;
	}
}

/* The topic's event (arg) to s, or s marked stale while it still owes
 * the rest of an earlier one. */
static int
send_event(struct stream *s, const void *arg)
{
	const struct topic *t = arg;

	if (s->pend != NULL) {
		s->stale = true;
		return 0;
	}
	return stream_send(s, t->event, t->event_len);
}

/* A comment line to s when it owes nothing; closes s when its client has
 * taken nothing for STALL_MS before the time *arg. */
static int
send_beat(struct stream *s, const void *arg)
{
	static const char beat[] = ":\n\n";
	int64_t now = *(const int64_t *)arg;

	if (s->pend == NULL)
		return stream_send(s, beat, sizeof(beat) - 1);
	if (now - s->blocked_since > STALL_MS) {
		stream_close(s);
		return -1;
	}
	return 0;
}

/* Recomputes each topic's event and sends the changed ones. */
static void
recompute(void)
{
	struct topic *t, *tnext;
	size_t i;

	for (i = 0; i < TOPIC_BUCKETS; i++)
		for (t = topics[i]; t != NULL; t = tnext) {
			tnext = t->next;
			if (topic_compute(t) == 1)
				topic_each(t, send_event, t);
		}
}

/* A comment line to each stream with nothing owed; closes the ones whose
 * client has taken nothing for STALL_MS. */
static void
heartbeat(int64_t now)
{
	struct topic *t, *tnext;
	size_t i;

	for (i = 0; i < TOPIC_BUCKETS; i++)
		for (t = topics[i]; t != NULL; t = tnext) {
			tnext = t->next;
			topic_each(t, send_beat, &now);
		}
}

/* The client's side: it sends nothing after its request; end of stream,
 * an error or too many bytes close the stream. */
static void
stream_readable(struct stream *s, uint32_t events)
{
	char buf[512];

	if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
		stream_close(s);
		return;
	}
	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0 || (s->rx += (uint32_t)n) > RX_MAX) {
			stream_close(s);
			return;
		}
	}
}

static void
close_all(void)
{
	size_t i;

	for (i = 0; i < TOPIC_BUCKETS; i++)
		while (topics[i] != NULL)
			stream_close(topics[i]->head);
}

static void *
loop(void *arg)
{
	struct epoll_event evs[256];
	int64_t last_recompute = 0, last_beat = mono_ms();
	int64_t beat = cfg->heartbeat_ms > 0 ? cfg->heartbeat_ms : HEARTBEAT_MS;

	(void)arg;
	for (;;) {
		int n, i, wait = RECOMPUTE_MS;
		int64_t now = mono_ms();
		bool stop;

		/* Woken for the beat on time, not up to a second late: a
		 * proxy's timeout may be only a little longer. */
		if (last_beat + beat - now < wait)
			wait = last_beat + beat > now ?
			    (int)(last_beat + beat - now) :
			    0;
		n = epoll_wait(epfd, evs, 256, wait);
		for (i = 0; i < n; i++) {
			struct stream *s = evs[i].data.ptr;
			uint32_t e = evs[i].events;

			if (evs[i].data.ptr == &wake_tag) {
				uint64_t v;
				ssize_t r = read(wakefd, &v, sizeof(v));

				(void)r;
				continue;
			}
			/* A stream closed earlier in this round is not in
			 * any later entry: epoll reports each descriptor
			 * once per call and a close happens only on its own
			 * entry, on a poke or a heartbeat (below, after). */
			if ((e & EPOLLOUT) && !(e & (EPOLLHUP | EPOLLERR)) &&
			    s->pend != NULL) {
				if (stream_flush(s) == -1)
					continue;
			}
			if (e & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
				stream_readable(s, e);
		}
		pthread_mutex_lock(&adopt_lock);
		stop = stopping;
		pthread_mutex_unlock(&adopt_lock);
		if (stop)
			break;
		adopt();
		now = mono_ms();
		if (atomic_exchange(&poked, false) ||
		    now - last_recompute >= RECOMPUTE_MS) {
			recompute();
			last_recompute = now;
		}
		if (now - last_beat >= beat) {
			heartbeat(now);
			last_beat = now;
		}
	}
	adopt();
	close_all();
	return NULL;
}

/* Raises the soft limit of open descriptors to the hard one: each stream
 * is one. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < cfg->max_streams + 256)
		log_warn("events",
		    "open_files=%llu max_streams=%u note=\"streams beyond "
		    "the open-file limit are refused\"",
		    (unsigned long long)rl.rlim_cur, cfg->max_streams);
}

int
events_start(const struct events_config *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &wake_tag };

	cfg = c;
	raise_nofile();
	connlimit_init(&limits, c->per_addr, c->per_net);
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev) == -1)
		goto fail;
	stopping = false;
	atomic_store(&running, true);
	if (pthread_create(&thread, NULL, loop, NULL) != 0) {
		atomic_store(&running, false);
		goto fail;
	}
	worker_name(thread, "events");
	log_info("events",
	    "max_streams=%u per_addr=%u per_net=%u heartbeat_ms=%u",
	    c->max_streams, c->per_addr, c->per_net,
	    c->heartbeat_ms > 0 ? c->heartbeat_ms : HEARTBEAT_MS);
	return 0;
fail:
	log_error("events", "error=\"cannot start: %s\"", strerror(errno));
	if (wakefd != -1)
		close(wakefd);
	if (epfd != -1)
		close(epfd);
	epfd = wakefd = -1;
	return -1;
}

void
events_stop(void)
{
	if (!atomic_load(&running))
		return;
	atomic_store(&running, false);
	pthread_mutex_lock(&adopt_lock);
	stopping = true;
	pthread_mutex_unlock(&adopt_lock);
	wake();
	pthread_join(thread, NULL);
	close(wakefd);
	close(epfd);
	epfd = wakefd = -1;
	connlimit_free(&limits);
}
