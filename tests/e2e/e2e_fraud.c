/* e2e_fraud.c - end-to-end tests of fraud defence: an attacker flooding
 * from one address while honest people sign from theirs, disposable and
 * blocked addresses, and the bot checks that flag instead of refusing. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define ATTACK_REQUESTS 5000
#define ATTACK_SECONDS 10
#define ATTACK_THREADS 6
#define HONEST 200
#define HONEST_THREADS 4

static struct server *srv;
static char *token; /* one form token serves every request */

/* A block list in the data folder is read at start: a restart; then the
 * form token every request uses. */
static int
block_list(struct server *s)
{
	char path[512];
	snprintf(path, sizeof path, "%s/blocklist.txt", s->data);
	const char *list = "# test\ndomain blocked.example\nnet 192.0.2.0/24\n";
	if (write_file(path, list, strlen(list)) != 0 || server_stop(s) != 0 ||
	    server_start(s) != 0)
		return -1;
	struct client *c = client_new(s);
	token = client_fetch_csrf(c, SEED_SLUG);
	client_free(c);
	return token != NULL ? 0 : -1;
}

/* POSTs a signature for email as if forwarded for addr; returns the
 * status, 0 on a transport error. The body of the reply goes to body when
 * not NULL (caller frees). */
static long
sign_as(CURL *h, const char *addr, const char *email, const char *extra,
    char **body)
{
	struct hbuf form = { 0 }, out = { 0 };
	struct curl_slist *hdr = NULL;
	char url[256], xff[128];
	struct signer s = signer_default(email);
	long status = 0;

	s.extra = extra;
	form_sign(&form, &s, token);
	snprintf(url, sizeof url, "%s/p/%s/sign", srv->base, SEED_SLUG);
	snprintf(xff, sizeof xff, "X-Forwarded-For: %s", addr);
	hdr = curl_slist_append(hdr, xff);
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form.len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, NULL);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
	if (body != NULL) {
		FILE *f = open_memstream((char **)&out.data, &out.len);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		fclose(f);
		*body = out.data;
	} else {
		FILE *f = fopen("/dev/null", "w");
		curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		fclose(f);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	hbuf_free(&form);
	return status;
}

struct worker {
	pthread_t t;
	int id;
	bool attacker;
	long ok, limited, other;
	long long deadline;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	CURL *h = curl_easy_init();
	char email[128], addr[64];
	int n = w->attacker ? ATTACK_REQUESTS / ATTACK_THREADS :
			      HONEST / HONEST_THREADS;

	/* The attack lasts until the deadline; every honest signer signs,
	 * however long a loaded machine takes. */
	for (int i = 0; i < n && (!w->attacker || now_ms() < w->deadline); i++) {
		long st;

		if (w->attacker) {
			snprintf(email, sizeof email, "flood-%d-%d@example.org",
			    w->id, i);
			st = sign_as(h, "203.0.113.66", email, NULL, NULL);
		} else {
			int k = w->id * (HONEST / HONEST_THREADS) + i;
			/* Each honest signer from a network of their own. */
			snprintf(addr, sizeof addr, "100.64.%d.%d", k,
			    7 + k % 200);
			snprintf(email, sizeof email, "honest-%d@example.org",
			    k);
			st = sign_as(h, addr, email, NULL, NULL);
		}
		if (st == 303)
			w->ok++;
		else if (st == 429)
			w->limited++;
		else
			w->other++;
	}
	curl_easy_cleanup(h);
	return NULL;
}

static void
test_flood_from_one_address(void **state)
{
	(void)state;
	struct worker ws[ATTACK_THREADS + HONEST_THREADS];
	long before = petition_count(srv, SEED_SLUG);
	long long deadline = now_ms() + ATTACK_SECONDS * 1000;
	long att_ok = 0, att_lim = 0, att_other = 0, hon_ok = 0, hon_bad = 0;

	memset(ws, 0, sizeof ws);
	for (int i = 0; i < ATTACK_THREADS + HONEST_THREADS; i++) {
		ws[i].id = i < ATTACK_THREADS ? i : i - ATTACK_THREADS;
		ws[i].attacker = i < ATTACK_THREADS;
		ws[i].deadline = deadline;
		assert_int_equal(pthread_create(&ws[i].t, NULL, work, &ws[i]),
		    0);
	}
	for (int i = 0; i < ATTACK_THREADS + HONEST_THREADS; i++) {
		pthread_join(ws[i].t, NULL);
		if (ws[i].attacker) {
			att_ok += ws[i].ok;
			att_lim += ws[i].limited;
			att_other += ws[i].other;
		} else {
			hon_ok += ws[i].ok;
			hon_bad += ws[i].limited + ws[i].other;
		}
	}
	long after = petition_count(srv, SEED_SLUG);
	printf("attack: %ld accepted, %ld limited, %ld other; honest: %ld "
	       "accepted, %ld refused; count %ld -> %ld\n",
	    att_ok, att_lim, att_other, hon_ok, hon_bad, before, after);
	/* Every honest signer got through; the attacker no further than the
	 * per-address burst; the count is exactly what was accepted. */
	assert_int_equal(hon_ok, HONEST);
	assert_int_equal(hon_bad, 0);
	assert_true(att_lim > 0);
	assert_true(att_ok <= 12); /* burst 10, refilled 10/min */
	assert_int_equal(att_other, 0);
	assert_int_equal(after - before, hon_ok + att_ok);
}

static void
test_limited_page(void **state)
{
	(void)state;
	CURL *h = curl_easy_init();
	char *body = NULL;
	long st = 0;

	/* The flood above spent this address's tokens. */
	st = sign_as(h, "203.0.113.66", "after-flood@example.org", NULL, &body);
	assert_int_equal(st, 429);
	char *msg = catalogue_get("err_rate");
	assert_non_null(msg);
	assert_true(html_shows_text(body, msg));
	free(msg);
	free(body);
	curl_easy_cleanup(h);
}

static void
test_disposable_and_blocked(void **state)
{
	(void)state;
	CURL *h = curl_easy_init();
	long before = petition_count(srv, SEED_SLUG);
	char *body = NULL;
	char *disp = catalogue_get("err_disposable");
	char *blk = catalogue_get("err_blocked");

	assert_int_equal(sign_as(h, "100.65.1.1", "someone@mailinator.com",
			     NULL, &body),
	    422);
	assert_true(html_shows_text(body, disp));
	free(body);
	/* Subdomains of a listed domain too. */
	assert_int_equal(sign_as(h, "100.65.1.2", "x@eu.mailinator.com", NULL,
			     &body),
	    422);
	free(body);
	assert_int_equal(sign_as(h, "100.65.1.3", "y@blocked.example", NULL,
			     &body),
	    422);
	assert_true(html_shows_text(body, blk));
	free(body);
	assert_int_equal(sign_as(h, "192.0.2.77", "z@example.org", NULL, &body),
	    422);
	assert_true(html_shows_text(body, blk));
	free(body);
	assert_int_equal(petition_count(srv, SEED_SLUG), before);
	free(disp);
	free(blk);
	curl_easy_cleanup(h);
}

static void
test_honeypot_flags_not_refuses(void **state)
{
	(void)state;
	CURL *h = curl_easy_init();
	long before = petition_count(srv, SEED_SLUG);

	/* Not refused: it waits for email confirmation instead of counting. */
	assert_int_equal(sign_as(h, "100.66.1.1", "bot@example.org",
			     "website=http%3A%2F%2Fspam.example", NULL),
	    303);
	assert_int_equal(petition_count(srv, SEED_SLUG), before);
	/* The same person without the field counts at once (count on sign). */
	assert_int_equal(sign_as(h, "100.66.1.2", "human@example.org", NULL,
			     NULL),
	    303);
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 1);
	curl_easy_cleanup(h);
}

static void
test_invalidate_by_domain(void **state)
{
	(void)state;
	CURL *h = curl_easy_init();
	char email[64], addr[32];
	struct hbuf out = { 0 }, err = { 0 };
	long before = petition_count(srv, SEED_SLUG), now;

	for (int i = 0; i < 7; i++) {
		snprintf(addr, sizeof addr, "100.70.%d.1", i);
		snprintf(email, sizeof email, "bulk%d@bulk.example", i);
		assert_int_equal(sign_as(h, addr, email, NULL, NULL), 303);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(addr, sizeof addr, "100.71.%d.1", i);
		snprintf(email, sizeof email, "keep%d@example.net", i);
		assert_int_equal(sign_as(h, addr, email, NULL, NULL), 303);
	}
	assert_int_equal(petition_count(srv, SEED_SLUG), before + 10);
	/* The trending view names the domain. */
	const char *tr[] = { "trending", "--data", srv->data, SEED_SLUG,
		"--json", "--threshold", "5", NULL };
	assert_int_equal(cli_run(tr, &out, &err), 0);
	assert_non_null(strstr(out.data, "\"bulk.example\""));
	hbuf_free(&out);
	hbuf_free(&err);
	const char *inv[] = { "invalidate", "--data", srv->data, SEED_SLUG,
		"--reason", "fraud", "--domain", "bulk.example", "--note",
		"test", NULL };
	int rc = cli_run(inv, &out, &err);
	if (rc != 0)
		fail_msg("invalidate: %d %s", rc, err.data ? err.data : "");
	assert_non_null(strstr(out.data, "invalidated 7 signatures"));
	hbuf_free(&out);
	hbuf_free(&err);
	/* The running server sees it within its count refresh. */
	now = petition_count_wait(srv, SEED_SLUG, before + 3, 5000);
	assert_int_equal(now, before + 3);
	/* The public page says how many were removed and why, once its
	 * cached render expires. */
	char *want = catalogue_get("reason_fraud");
	struct client *c = client_new(srv);
	char *page =
	    client_page_until(c, "/p/" SEED_SLUG, "class=\"removals\"", 8000);
	assert_non_null(page);
	assert_true(html_shows_text(page, want));
	assert_non_null(strstr(page, "7 signatures: "));
	free(page);
	client_free(c);
	free(want);
	curl_easy_cleanup(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_from_one_address),
		cmocka_unit_test(test_limited_page),
		cmocka_unit_test(test_disposable_and_blocked),
		cmocka_unit_test(test_honeypot_flags_not_refuses),
		cmocka_unit_test(test_invalidate_by_domain),
	};
	static const char *const args[] = { COUNT_ON_SIGN, "--rate-limit", "on",
		"--trusted-proxy", "127.0.0.1", "--per-ip-limit", "0",
		"--min-form-seconds", "0", NULL };

	server_group(&srv, args, block_list);
	int failed = cmocka_run_group_tests(tests, server_group_setup,
	    server_group_teardown);
	free(token);
	return harness_finish(failed);
}
