/* events.h - Server-Sent Event streams (a petition's live count), held by
 * one thread of their own with epoll once their headers are written: an
 * idle stream costs a small record and its socket, not a request thread
 * nor the HTTP library's per-connection memory. */
#ifndef HOLOS_EVENTS_H
#define HOLOS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "netaddr.h"

/* What a stream follows: one petition, in one language. Streams of one
 * topic get the same bytes. */
struct events_topic {
	int64_t id;
	int64_t goal;
	char lang[8];
};

struct events_config {
	unsigned max_streams; /* open at once, in all */
	unsigned per_addr;    /* per client address; 0: no cap */
	unsigned per_net;     /* per /24 or /64 network; 0: no cap */
	/* Milliseconds between the comment lines each idle stream gets, so
	 * that a proxy's timeouts do not cut it; 0: 20,000. */
	unsigned heartbeat_ms;
	/* Appends the topic's current event ("data: …\n\n") to out. Called
	 * on the streams' thread whenever something may have changed, and
	 * at least once a second; a stream is sent an event only when its
	 * bytes differ from the last. Returns 0, or -1 (nothing sent now). */
	int (*payload)(const struct events_topic *t, struct buf *out);
};

/* Starts the streams' thread. cfg must stay valid until events_stop().
 * Raises the soft limit of open files to the hard one. Returns 0, or -1
 * when the thread cannot start (logged). */
int events_start(const struct events_config *cfg);

/* Closes every stream and stops the thread; a no-op when not running. */
void events_stop(void);

/* Something a topic shows may have changed (a commit, another node's
 * counts): the events are recomputed at once. Cheap; any thread. */
void events_poke(void);

enum events_admit {
	EVENTS_OK,
	EVENTS_FULL,	/* max_streams are open */
	EVENTS_ADDR,	/* the address has per_addr streams */
	EVENTS_NET,	/* its network has per_net streams */
	EVENTS_STOPPED, /* not running */
	EVENTS__MAX
};

/* Takes a place for one more stream of client a, counted against the
 * per-address and per-network caps unless counted is false (a trusted
 * proxy's connection: many clients share it). On EVENTS_OK the place is
 * the caller's until events_add() or events_unreserve(). */
enum events_admit events_reserve(const struct netaddr *a, bool counted);

/* Gives back a place events_reserve() took. */
void events_unreserve(const struct netaddr *a, bool counted);

/* Hands the connected socket fd to the streams' thread with a place taken
 * by events_reserve() (same a and counted): head (the HTTP header and the
 * first event, copied) is sent first, then each new event of topic t.
 * The socket is the module's in every case. Returns 0, or -1 (out of
 * memory or stopped: fd closed, the place given back). */
int events_add(int fd, const struct events_topic *t, const struct netaddr *a,
    bool counted, const char *head, size_t len);

/* Streams open now (and places taken). */
size_t events_count(void);

#endif
