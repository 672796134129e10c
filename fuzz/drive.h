/* drive.h - feeds one raw HTTP/1.1 request at a time to a libmicrohttpd
 * daemon without a listening socket (a socketpair per request, polled in
 * this thread), for the fuzz targets of what holos reads from a request:
 * the request line (path and query) and the Cookie header. The target
 * defines drive_handle(), which is holos's side: it reads what the server
 * hands to handlers. */
#ifndef HOLOS_FUZZ_DRIVE_H
#define HOLOS_FUZZ_DRIVE_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What the target does with a request that parsed: url is the decoded
 * path. */
static void drive_handle(struct MHD_Connection *c, const char *url);

static struct MHD_Daemon *drive_daemon;

static enum MHD_Result
drive_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	static char empty[1];
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)cls;
	(void)method;
	(void)version;
	(void)upload;
	if (*con_cls == NULL) {
		*con_cls = empty;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	drive_handle(c, url);
	resp = MHD_create_response_from_buffer(0, empty, MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
drive_init(void)
{
	drive_daemon = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
	    drive_request, NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)32768, MHD_OPTION_END);
	if (drive_daemon == NULL)
		abort();
}

/* Sends head (len bytes) as a request and runs the daemon until it has
 * answered or given up. */
static void
drive_one(const char *head, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int sv[2], i;
	char sink[4096];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (MHD_add_connection(drive_daemon, sv[0], (struct sockaddr *)&sin,
		sizeof(sin)) != MHD_YES) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (write(sv[1], head, len) < 0 || shutdown(sv[1], SHUT_WR) != 0)
		abort();
	for (i = 0; i < 64; i++) {
		struct pollfd p = { .fd = sv[1], .events = POLLIN };
		ssize_t n = 0;

		MHD_run(drive_daemon);
		if (poll(&p, 1, 0) == 1 &&
		    (n = read(sv[1], sink, sizeof(sink))) == 0)
			break; /* answered and closed */
	}
	close(sv[1]);
	/* Let the daemon see the close and free the connection. */
	for (i = 0; i < 4; i++)
		MHD_run(drive_daemon);
}

#endif
