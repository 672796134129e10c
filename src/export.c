/* export.c - a petition's counted signatures as CSV or JSON, a page of rows
 * at a time, and `holos export`. */
#include "export.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "cli.h"
#include "crypto.h"
#include "i18n.h"
#include "log.h"
#include "petition.h"

const char export_usage[] =
    "usage: holos export [OPTIONS] SLUG --format csv|json [--out FILE]\n"
    "       [--lang CODE]\n"
    "\n"
    "Writes every counted (confirmed) signature of the petition: its number,\n"
    "the signer's first and last name only where they agreed to show it, the\n"
    "country, the day of signing (UTC) and the comment where they agreed to\n"
    "show it. Never an email or network address. CSV follows RFC 4180, its\n"
    "heading in --lang (default: the site's --lang), and a cell that a\n"
    "spreadsheet would take for a formula starts with an apostrophe; JSON is\n"
    "one array of objects. Without --out it goes to standard output. A\n"
    "progress bar goes to standard error when it is a terminal.\n";

struct export
{
	struct store *s;
	int64_t petition_id;
	enum export_format f;
	const char *lang;
	size_t page;
	int64_t after; /* the last seq read */
	bool started, last_page, ended, failed;
	struct buf out; /* made, not yet read from off */
	size_t off;
	int64_t rows, unreadable;
};

enum export_format
export_format_parse(const char *name)
{
	if (name != NULL && strcmp(name, "csv") == 0)
		return EXPORT_CSV;
	if (name != NULL && strcmp(name, "json") == 0)
		return EXPORT_JSON;
	return EXPORT_FORMAT__MAX;
}

struct export *
export_new(struct store *s, int64_t petition_id, enum export_format f,
    const char *lang, size_t page)
{
	struct export *e;

	if (f >= EXPORT_FORMAT__MAX || page == 0 ||
	    (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->s = s;
	e->petition_id = petition_id;
	e->f = f;
	e->lang = lang;
	e->page = page;
	buf_init(&e->out);
	return e;
}

static void
csv_heading(struct export *e)
{
	static const char *const keys[] = { "me_csv_number",
		"me_csv_first_name", "me_csv_last_name", "me_csv_country",
		"me_csv_signed", "export_comment" };
	size_t i, n = sizeof(keys) / sizeof(keys[0]);

	/* signers.csv: no comment column. */
	if (e->f == EXPORT_SIGNERS_CSV)
		n--;
	for (i = 0; i < n; i++) {
		const char *h = i18n_text(e->lang, keys[i]);

		if (h == NULL)
			h = keys[i];
		if (i > 0)
			buf_putc(&e->out, ',');
		buf_append_csv(&e->out, h, strlen(h));
	}
	buf_puts(&e->out, "\r\n");
}

/* The opened "first\0last\0email\0ip" of row, or NULL when there is none to
 * show (the signer did not agree, or the data is erased) or it cannot be
 * opened (*bad set). *len is the plain text's length, to wipe. */
static char *
open_names(const struct signer_row *row, size_t *len, const char **last,
    size_t *flen, size_t *llen, bool *bad)
{
	char *plain;

	*bad = false;
	if (row->pii == NULL || row->pii_len == 0)
		return NULL;
	if ((plain = crypto_open(row->pii, row->pii_len, len)) == NULL) {
		*bad = true;
		return NULL;
	}
	*flen = strnlen(plain, *len);
	if (*flen == *len) {
		sodium_memzero(plain, *len);
		free(plain);
		*bad = true;
		return NULL;
	}
	*last = plain + *flen + 1;
	*llen = strnlen(*last, *len - *flen - 1);
	return plain;
}

/* A JSON string of n bytes of s, or null when s is NULL or not UTF-8. */
static json_t *
json_str(const char *s, size_t n)
{
	json_t *j = s != NULL ? json_stringn(s, n) : NULL;

	return j != NULL ? j : json_null();
}

/* Appends row in e's format. Returns 0, or -1 when out of memory. */
static int
put_row(struct export *e, const struct signer_row *row)
{
	const char *last = NULL, *comment = row->comment ? row->comment : "";
	const char *country = row->country ? row->country : "";
	size_t len = 0, flen = 0, llen = 0;
	char day[16], *plain, *text;
	time_t t = (time_t)row->created_at;
	struct tm tm;
	bool bad;
	json_t *o;
	int ret = -1;

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	plain = open_names(row, &len, &last, &flen, &llen, &bad);
	if (bad)
		e->unreadable++;
	if (e->f == EXPORT_SIGNERS_CSV) {
		/* Only named rows: one that cannot be opened is left out. */
		if (plain == NULL)
			return 0;
		buf_printf(&e->out, "%lld,", (long long)row->seq);
		buf_append_csv(&e->out, plain, flen);
		buf_putc(&e->out, ',');
		buf_append_csv(&e->out, last, llen);
		buf_putc(&e->out, ',');
		buf_append_csv(&e->out, country, strlen(country));
		buf_printf(&e->out, ",%s\r\n", day);
		ret = 0;
		goto done;
	}
	if (e->f == EXPORT_CSV) {
		buf_printf(&e->out, "%lld,", (long long)row->seq);
		buf_append_csv(&e->out, plain, plain ? flen : 0);
		buf_putc(&e->out, ',');
		buf_append_csv(&e->out, last, plain ? llen : 0);
		buf_putc(&e->out, ',');
		buf_append_csv(&e->out, country, strlen(country));
		buf_printf(&e->out, ",%s,", day);
		buf_append_csv(&e->out, comment, strlen(comment));
		buf_puts(&e->out, "\r\n");
		ret = 0;
		goto done;
	}
	if ((o = json_object()) == NULL)
		goto done;
	json_object_set_new(o, "number", json_integer(row->seq));
	json_object_set_new(o, "first_name", json_str(plain, flen));
	json_object_set_new(o, "last_name", json_str(plain ? last : NULL, llen));
	json_object_set_new(o, "country", json_string(country));
	json_object_set_new(o, "signed", json_string(day));
	json_object_set_new(o, "comment",
	    comment[0] != '\0' ? json_str(comment, strlen(comment)) :
				 json_null());
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		goto done;
	buf_puts(&e->out, e->rows == 0 ? "\n" : ",\n");
	buf_puts(&e->out, text);
	sodium_memzero(text, strlen(text));
	free(text);
	ret = 0;
done:
	if (plain != NULL) {
		sodium_memzero(plain, len);
		free(plain);
	}
	if (ret == 0)
		e->rows++;
	return ret;
}

/* Makes the next piece of the export into e->out (empty before). */
static void
fill(struct export *e)
{
	struct signer_row *rows = NULL;
	struct arena *a;
	size_t n = 0, i;

	if (!e->started) {
		e->started = true;
		if (e->f != EXPORT_JSON)
			csv_heading(e);
		else
			buf_putc(&e->out, '[');
		return;
	}
	if (e->last_page) {
		e->ended = true;
		if (e->f == EXPORT_JSON)
			buf_puts(&e->out, e->rows > 0 ? "\n]\n" : "]\n");
		return;
	}
	if ((a = arena_new()) == NULL) {
		e->failed = true;
		return;
	}
	if ((e->f == EXPORT_SIGNERS_CSV ?
		    store_signers_public(e->s, a, e->petition_id, e->after,
			e->page, &rows, &n) :
		    store_export_signers(e->s, a, e->petition_id, e->after,
			e->page, &rows, &n)) != STORE_OK) {
		log_error("export",
		    "petition=%lld error=\"cannot read signers\"",
		    (long long)e->petition_id);
		e->failed = true;
		arena_free(a);
		return;
	}
	for (i = 0; i < n && !e->failed; i++) {
		if (put_row(e, &rows[i]) == -1)
			e->failed = true;
		e->after = rows[i].seq;
	}
	e->last_page = n < e->page;
	arena_free(a);
}

ssize_t
export_read(struct export *e, char *buf, size_t max)
{
	size_t n;

	if (e->failed)
		return -1;
	while (e->off == e->out.len && !e->ended) {
		sodium_memzero(e->out.data, e->out.len);
		e->out.len = 0;
		e->off = 0;
		fill(e);
		if (e->failed || !buf_ok(&e->out)) {
			e->failed = true;
			return -1;
		}
	}
	if (e->off == e->out.len)
		return 0;
	n = e->out.len - e->off;
	if (n > max)
		n = max;
	memcpy(buf, e->out.data + e->off, n);
	e->off += n;
	return (ssize_t)n;
}

int64_t
export_rows(const struct export *e, int64_t *unreadable)
{
	if (unreadable != NULL)
		*unreadable = e->unreadable;
	return e->rows;
}

void
export_free(struct export *e)
{
	if (e == NULL)
		return;
	if (e->out.data != NULL)
		sodium_memzero(e->out.data, e->out.len);
	buf_reset(&e->out);
	free(e);
}

/* ---- `holos export` ---- */

/* The command line's progress: a bar on a terminal. */
static void
bar_show(int64_t done, int64_t total, time_t *last, bool end)
{
	time_t now = time(NULL);
	int pct, fill_n, i;
	char line[32];

	if (now == *last && !end)
		return;
	*last = now;
	pct = total > 0 ? (int)(done * 100 / total) : 100;
	if (pct > 100 || end)
		pct = 100;
	fill_n = pct * 30 / 100;
	for (i = 0; i < 30; i++)
		line[i] = i < fill_n ? '#' : '.';
	line[30] = '\0';
	fprintf(stderr, "\r[%s] %3d%%  %lld of %lld signatures", line, pct,
	    (long long)done, (long long)total);
	if (end)
		fputc('\n', stderr);
}

int
export_cmd_petition(struct store *s, const char *cmd, const char *slug,
    const char **lang, struct arena **a, struct petition *p)
{
	const char *why;

	*a = NULL;
	if (!petition_slug_valid(slug, strlen(slug))) {
		fprintf(stderr, "holos %s: \"%s\" is no slug\n", cmd, slug);
		return 2;
	}
	if (*lang != NULL && (*lang = i18n_match(*lang, strlen(*lang))) == NULL) {
		fprintf(stderr, "holos %s: unknown --lang\n", cmd);
		return 2;
	}
	if ((*a = arena_new()) == NULL)
		why = "out of memory";
	else
		switch (store_petition_by_slug(s, *a, slug, p)) {
		case STORE_OK: return 0;
		case STORE_NOTFOUND: why = "no such petition"; break;
		default: why = "cannot read the database"; break;
		}
	fprintf(stderr, "holos %s: %s: %s\n", cmd, slug, why);
	arena_free(*a);
	*a = NULL;
	return 1;
}

int
export_cmd(struct store *s, int argc, char **argv)
{
	const char *out = NULL, *lang = NULL, *format = NULL;
	enum export_format f;
	struct export *e = NULL;
	struct petition p;
	struct arena *a = NULL;
	int64_t total = 0, rows, unreadable;
	time_t last = 0;
	bool bar = isatty(STDERR_FILENO), made = false;
	FILE *fp = NULL;
	char chunk[64 * 1024];
	ssize_t n;
	const struct cli_opt opts[] = {
		{ "out", &out, false },
		{ "format", &format, true },
		{ "lang", &lang, false },
	};
	int rc, ret = 1;

	if ((rc = cli_options(argc, argv, opts, 3, 1, export_usage)) != -1)
		return rc;
	if ((f = export_format_parse(format)) == EXPORT_FORMAT__MAX) {
		fprintf(stderr, "holos export: --format is csv or json\n");
		fputs(export_usage, stderr);
		return 2;
	}
	if ((rc = export_cmd_petition(s, "export", argv[optind], &lang, &a,
		 &p)) != 0)
		return rc;
	if (bar && store_petition_count(s, p.id, &total) != STORE_OK) {
		fprintf(stderr, "holos export: cannot read the database\n");
		goto fail;
	}
	if (out == NULL)
		fp = stdout;
	else if ((fp = fopen(out, "wb")) == NULL) {
		fprintf(stderr, "holos export: %s: %s\n", out, strerror(errno));
		goto fail;
	} else
		made = true;
	if ((e = export_new(s, p.id, f,
		 lang != NULL ? lang : i18n_negotiate(NULL, NULL, NULL),
		 EXPORT_PAGE)) == NULL)
		goto fail;
	while ((n = export_read(e, chunk, sizeof(chunk))) > 0) {
		if (fwrite(chunk, 1, (size_t)n, fp) != (size_t)n) {
			fprintf(stderr, "holos export: cannot write: %s\n",
			    strerror(errno));
			goto fail;
		}
		if (bar)
			bar_show(export_rows(e, NULL), total, &last, false);
	}
	if (n < 0) {
		fprintf(stderr, "holos export: cannot read the signatures\n");
		goto fail;
	}
	if (fflush(fp) != 0 || (fp != stdout && fclose(fp) != 0)) {
		if (fp != stdout)
			fp = NULL;
		fprintf(stderr, "holos export: cannot write: %s\n",
		    strerror(errno));
		goto fail;
	}
	if (fp != stdout)
		fp = NULL;
	rows = export_rows(e, &unreadable);
	if (bar)
		bar_show(rows, total, &last, true);
	log_info("export", "petition=%lld format=%s rows=%lld unreadable=%lld",
	    (long long)p.id, format, (long long)rows, (long long)unreadable);
	ret = 0;
fail:
	if (fp != NULL && fp != stdout)
		fclose(fp);
	if (ret != 0 && made)
		unlink(out);
	export_free(e);
	arena_free(a);
	return ret;
}
