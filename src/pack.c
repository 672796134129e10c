/* pack.c - the delivery pack of a stored petition, and `holos deliver`. */
#include "pack.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "export.h"
#include "i18n.h"
#include "log.h"
#include "site.h"

const char pack_usage[] =
    "usage: holos deliver [OPTIONS] SLUG --out FILE.pdf [--lang CODE]\n"
    "\n"
    "Writes the petition's delivery pack: a PDF with a cover (title,\n"
    "addressees, count, date, QR codes of the petition's page and of its\n"
    "verify page with the signature log's newest signed root), the text,\n"
    "signatures per day and per country, and every confirmed signer who\n"
    "agreed to show their name. Labels are in --lang (default: the site's\n"
    "--lang). The page's address comes from --base-url. A progress bar goes\n"
    "to standard error when it is a terminal.\n";

/* The signers' iterator: a page of rows at a time, one name at a time. */
struct signers {
	struct store *s;
	int64_t petition_id;
	int64_t after; /* the last seq read */
	struct arena *a;
	struct signer_row *rows;
	size_t n, i;
	bool last_page;
	char *name; /* the current name; wiped and freed on the next call */
	size_t name_len;
	int64_t unreadable;
};

static void
name_free(struct signers *it)
{
	if (it->name != NULL) {
		sodium_memzero(it->name, it->name_len);
		free(it->name);
		it->name = NULL;
	}
}

/* "first last" of a sealed "first\0last\0email\0ip" into it->name.
 * Returns 0, or -1 when it cannot be opened. */
static int
open_name(struct signers *it, const struct signer_row *row)
{
	struct signature_pii pii;

	if (signature_pii_open(&pii, row->pii, row->pii_len) == -1)
		return -1;
	/* In place: "first last" is no longer than what it came from. */
	if (pii.last_len > 0) {
		pii.plain[pii.first_len] = ' ';
		pii.plain[pii.first_len + 1 + pii.last_len] = '\0';
	}
	it->name = pii.plain;
	it->name_len = pii.len;
	return 0;
}

static int
signers_next(void *ctx, struct deliver_signer *out)
{
	struct signers *it = ctx;
	const struct signer_row *row;

	name_free(it);
	for (;;) {
		if (it->i == it->n) {
			if (it->last_page)
				return 0;
			arena_free(it->a);
			it->rows = NULL;
			it->n = it->i = 0;
			if ((it->a = arena_new()) == NULL)
				return -1;
			if (store_deliver_signers(it->s, it->a, it->petition_id,
				it->after, PACK_CHUNK, &it->rows,
				&it->n) != STORE_OK)
				return -1;
			it->last_page = it->n < PACK_CHUNK;
			if (it->n == 0)
				return 0;
		}
		row = &it->rows[it->i++];
		it->after = row->seq;
		if (open_name(it, row) == 0)
			break;
		it->unreadable++;
	}
	out->name = it->name;
	out->country = row->country != NULL ? row->country : "";
	out->comment = row->comment != NULL ? row->comment : "";
	out->signed_at = row->created_at;
	return 1;
}

enum deliver_status
pack_write(struct store *s, const struct pack_request *q,
    deliver_write_fn write, void *ctx)
{
	struct signers it = { .s = s, .petition_id = q->p->id };
	struct deliver_pack pk = { 0 };
	struct petition_stats st;
	enum deliver_status ret;
	struct log_tree t;
	struct arena *a;
	char *root;

	if ((a = arena_new()) == NULL)
		return DELIVER_FAILED;
	memset(&st, 0, sizeof(st));
	if (store_petition_stats(s, a, q->p->id, &st) != STORE_OK) {
		arena_free(a);
		return DELIVER_SIGNERS;
	}
	pk.lang = q->lang;
	pk.site_name = q->site_name;
	pk.title = q->p->title;
	pk.body_md = q->p->body_md;
	pk.to = q->p->to;
	pk.nto = q->p->nto;
	pk.count = q->count;
	pk.made_at = q->now;
	pk.url = q->url;
	/* The second code: the verify page, and the newest signed tree
	 * head's root and size once one exists (docs/transparency.md). */
	pk.verify_url = arena_printf(a, "%s/verify", q->url);
	root = arena_alloc(a, 2 * sizeof(t.sth_root) + 1);
	if (pk.verify_url == NULL || root == NULL) {
		arena_free(a);
		return DELIVER_FAILED;
	}
	switch (store_log_tree(s, q->p->id, &t)) {
	case STORE_OK:
		if (t.sth_size < 0)
			break; /* nothing signed yet: no root to print */
		sodium_bin2hex(root, 2 * sizeof(t.sth_root) + 1, t.sth_root,
		    sizeof(t.sth_root));
		pk.log_root = root;
		pk.log_size = t.sth_size;
		break;
	case STORE_NOTFOUND: break;
	default: arena_free(a); return DELIVER_SIGNERS;
	}
	pk.days = st.days;
	pk.ndays = st.ndays;
	pk.countries = st.countries;
	pk.ncountries = st.ncountries;
	pk.next = signers_next;
	pk.next_ctx = &it;
	pk.progress = q->progress;
	pk.progress_ctx = q->progress_ctx;
	ret = deliver_pdf(&pk, write, ctx);
	name_free(&it);
	arena_free(it.a);
	arena_free(a);
	log_info("pack", "petition=%lld status=%s unreadable=%lld",
	    (long long)q->p->id, deliver_status_text(ret),
	    (long long)it.unreadable);
	return ret;
}

/* The command line's progress: a bar on a terminal. */
struct bar {
	int64_t total; /* consenting signers */
	time_t last;
};

static void
bar_show(void *ctx, const struct deliver_progress *pr)
{
	struct bar *b = ctx;
	time_t now = time(NULL);
	int pct, fill, i;
	char line[64];

	if (now == b->last && pr->signers < b->total)
		return;
	b->last = now;
	pct = b->total > 0 ? (int)(pr->signers * 100 / b->total) : 100;
	if (pct > 100)
		pct = 100;
	fill = pct * 30 / 100;
	for (i = 0; i < 30; i++)
		line[i] = i < fill ? '#' : '.';
	line[30] = '\0';
	fprintf(stderr, "\r[%s] %3d%%  %lld of %lld signers, %d pages", line,
	    pct, (long long)pr->signers, (long long)b->total, pr->pages);
}

static int
file_write(void *ctx, const unsigned char *data, size_t len)
{
	return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

int
pack_cmd(struct store *s, int argc, char **argv)
{
	const char *out = NULL, *lang = NULL;
	struct pack_request q = { 0 };
	struct bar b = { 0 };
	struct petition p;
	enum deliver_status st;
	struct arena *a = NULL;
	int64_t count = 0;
	FILE *f = NULL;
	const struct cli_opt opts[] = {
		{ "out", &out, true },
		{ "lang", &lang, false },
	};
	int rc, ret = 1;

	if ((rc = cli_options(argc, argv, opts, 2, 1, pack_usage)) != -1)
		return rc;
	if ((rc = export_cmd_petition(s, "deliver", argv[optind], &lang, &a,
		 &p)) != 0)
		return rc;
	if (store_petition_count(s, p.id, &count) != STORE_OK ||
	    (isatty(STDERR_FILENO) &&
		store_deliver_signers_count(s, p.id, &b.total) != STORE_OK)) {
		fprintf(stderr, "holos deliver: cannot read the database\n");
		goto fail;
	}
	if ((f = fopen(out, "wb")) == NULL) {
		fprintf(stderr, "holos deliver: %s: %s\n", out, strerror(errno));
		goto fail;
	}
	q.p = &p;
	q.count = count;
	q.lang = lang != NULL ? lang : i18n_negotiate(NULL, NULL, NULL);
	q.site_name = site.name != NULL ? site.name : "Holos";
	q.url = arena_printf(a, "%s/p/%s", site.base_url, p.slug);
	q.now = (int64_t)time(NULL);
	if (isatty(STDERR_FILENO)) {
		q.progress = bar_show;
		q.progress_ctx = &b;
	}
	st = pack_write(s, &q, file_write, f);
	if (q.progress != NULL)
		fputc('\n', stderr);
	if (fclose(f) != 0 && st == DELIVER_OK)
		st = DELIVER_WRITE;
	f = NULL;
	if (st != DELIVER_OK) {
		fprintf(stderr, "holos deliver: %s\n", deliver_status_text(st));
		unlink(out);
		goto fail;
	}
	ret = 0;
fail:
	if (f != NULL)
		fclose(f);
	arena_free(a);
	return ret;
}
