/* test_deliver.c - deliver.c: the delivery pack read back with Debian's
 * pdftotext, pdfinfo, pdftoppm and zbarimg: title, count in figures and
 * words, addressees, signers, text on every page, page numbers, QR codes;
 * streaming, progress and failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/deliver.c"

#include "render.h"

#define URL "https://holos.example.org/p/kremlin-prisoners-covid19"
#define VERIFY "https://holos.example.org/p/kremlin-prisoners-covid19/verify"
#define ROOT "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define TITLE "Освободите политзаключённых из-за угрозы COVID-19"
#define BODY                                                                                               \
	"# Наши требования\n\nМы, нижеподписавшиеся, **требуем** " \
	"освободить *всех* [узников](https://example.org/list).\n\n"                  \
	"1. Освободить\n2. Пересмотреть дела\n\n- один\n- два\n\n"        \
	"<script>alert(1)</script>\n\n> Свобода слова.\n\n```\nкод\n```\n"
#define SIGNERS 200

static const struct addressee to[] = {
	{ "Государственная дума", "Председатель и депутаты" },
	{ "Уполномоченный по правам человека", "" },
	{ "Генеральная прокуратура", "Отдел надзора" },
};

static const struct day_row day_rows[] = {
	{ 1704067200, 10 },
	{ 1704067200 + 3 * 86400, 40 },
	{ 1704067200 + 86400, 25 },
};

static const struct country_row country_rows[] = {
	{ "UA", 600 },
	{ "RU", 500 },
	{ "DE", 100 },
	{ "", 34 },
};

/* The signers: row 7 is Анна Каренина with a comment; every 5th has one. */
struct gen {
	int64_t i, n, fail_at;
	size_t *written;      /* bytes written so far, seen from next() */
	size_t written_at[4]; /* at rows 0, 60, 120, 180: more than a page
			       * apart */
	char name[64];
};

static int
next(void *ctx, struct deliver_signer *out)
{
	struct gen *g = ctx;

	if (g->i == g->fail_at)
		return -1;
	if (g->i == g->n)
		return 0;
	if (g->written != NULL && g->i % 60 == 0 && g->i / 60 < 4)
		g->written_at[g->i / 60] = *g->written;
	if (g->i == 7)
		snprintf(g->name, sizeof(g->name), "Анна Каренина");
	else
		snprintf(g->name, sizeof(g->name), "Signer %lld",
		    (long long)g->i);
	out->name = g->name;
	out->country = g->i % 3 == 0 ? "UA" : g->i % 3 == 1 ? "RU" : "";
	out->comment = g->i == 7 ? "Потому что это важно" :
	    g->i % 5 == 0	 ? "Because it matters to me and my family" :
				   "";
	out->signed_at = 1704067200 + g->i * 600;
	g->i++;
	return 1;
}

static struct deliver_pack
pack(const char *lang, struct gen *g)
{
	return (struct deliver_pack){ .lang = lang,
		.site_name = "Holos",
		.title = TITLE,
		.body_md = BODY,
		.to = to,
		.nto = 3,
		.count = 1234,
		.made_at = 1714564800, /* 2024-05-01 12:00 UTC */
		.url = URL,
		.verify_url = VERIFY,
		.log_root = ROOT,
		.log_size = 42,
		.days = day_rows,
		.ndays = 3,
		.countries = country_rows,
		.ncountries = 4,
		.next = next,
		.next_ctx = g };
}

/* Writes the pack to a temporary PDF; returns its path (malloc'd). */
static char *
make_pdf(const struct deliver_pack *p)
{
	char *path = tmp_write("", 0, ".pdf");
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(deliver_pdf_file(p, f), DELIVER_OK);
	assert_int_equal(fclose(f), 0);
	return path;
}

static char *
pdf_text(const char *path, int page)
{
	char cmd[512];

	if (page > 0)
		snprintf(cmd, sizeof(cmd), "pdftotext -f %d -l %d '%s' -", page,
		    page, path);
	else
		snprintf(cmd, sizeof(cmd), "pdftotext '%s' -", path);
	return run_out(cmd);
}

static int
pdf_pages(const char *path)
{
	char cmd[512], *out, *p;
	int n;

	snprintf(cmd, sizeof(cmd), "pdfinfo '%s'", path);
	out = run_out(cmd);
	p = strstr(out, "\nPages:");
	assert_non_null(p);
	n = atoi(p + 7);
	free(out);
	return n;
}

/* pdftotext may break a line where the PDF did: compare with white space
 * folded to single spaces (a no-break space counts as one). */
static char *
fold(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	int space = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\f' || *s == '\t' ||
		    (s[0] == '\xc2' && s[1] == '\xa0') ||
		    (s[0] == '\xe2' && s[1] == '\x80' && s[2] == '\xaf')) {
			space = 1;
			if (s[0] == '\xc2')
				s++;
			else if (s[0] == '\xe2')
				s += 2;
			continue;
		}
		if (space && o > out)
			*o++ = ' ';
		space = 0;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static void
assert_has(const char *folded, const char *want)
{
	char *w = fold(want);

	if (strstr(folded, w) == NULL)
		fail_msg("\"%s\" is not in the PDF's text", w);
	free(w);
}

/* In Russian: the cover, the text, the chart, the countries, the signers;
 * every page has text and its number; the QR codes decode. */
static void
test_russian_pack(void **state)
{
	struct gen g = { .n = SIGNERS, .fail_at = -1 };
	struct deliver_pack p = pack("ru", &g);
	char *path, *all, *text, cmd[600], *png, *codes;
	struct arena *a = arena_new();
	int pages;

	(void)state;
	path = make_pdf(&p);
	all = pdf_text(path, 0);
	text = fold(all);
	assert_has(text, TITLE);
	assert_has(text, i18n_number(a, "ru", 1234)); /* 1 234 */
	assert_has(text, "1 234 подписи");
	assert_has(text, "одна тысяча двести тридцать четыре подписи");
	assert_has(text, "По состоянию на 1 мая 2024 г.");
	for (size_t i = 0; i < 3; i++)
		assert_has(text, to[i].name);
	assert_has(text, "Председатель и депутаты");
	assert_has(text, "Анна Каренина");
	assert_has(text, "Потому что это важно");
	assert_has(text, "Signer 199");
	/* Rows 144 to 199 were signed on 2 January, each row has its date,
	 * the first after a page's header too. */
	{
		int n = 0;

		for (const char *q = all; (q = strstr(q, "2024-01-02")); q++)
			n++;
		assert_int_equal(n, SIGNERS - 144);
	}
	assert_has(text, "Украина");
	assert_has(text, "Не указана");
	assert_has(text, ROOT);
	assert_has(text, "Подписи по дням");
	assert_has(text, "С 2024-01-01 по 2024-01-04");
	/* Markdown laid out, not dumped; no raw HTML. */
	assert_has(text, "Наши требования");
	assert_has(text,
	    "Мы, нижеподписавшиеся, требуем освободить всех "
	    "узников (https://example.org/list).");
	assert_has(text, "1. Освободить");
	assert_has(text, "Свобода слова.");
	assert_null(strstr(text, "**"));
	assert_null(strstr(text, "# Наши"));
	assert_null(strstr(text, "script"));
	/* 48.5 % of 1234: the share column. */
	assert_has(text, "48,6 %");

	pages = pdf_pages(path);
	assert_true(pages >= 4);
	for (int i = 1; i <= pages; i++) {
		char want[64], *pt = pdf_text(path, i), *ft = fold(pt);

		snprintf(want, sizeof(want), "Страница %d", i);
		assert_has(ft, want);
		/* Text beyond the footer (the title and the number). */
		assert_true(strlen(ft) > strlen(TITLE) + strlen(want) + 20);
		free(pt);
		free(ft);
	}

	/* The cover's codes, from a 150 dpi rendering. */
	assert_true(asprintf(&png, "%s-cover", path) > 0);
	snprintf(cmd, sizeof(cmd),
	    "pdftoppm -r 150 -png -f 1 -l 1 -singlefile '%s' '%s'", path, png);
	free(run_out(cmd));
	free(png);
	assert_true(asprintf(&png, "%s-cover.png", path) > 0);
	codes = zbar_read(png);
	assert_true(has_line(codes, URL));
	assert_true(has_line(codes, VERIFY));
	unlink(png);
	free(png);
	free(codes);
	unlink(path);
	free(path);
	free(all);
	free(text);
	arena_free(a);
}

/* Labels, count words and page numbers follow the maker's language. */
static void
test_languages(void **state)
{
	static const struct {
		const char *lang, *words, *page, *heading;
	} cases[] = {
		{ "en", "one thousand two hundred thirty-four signatures",
		    "Page 2", "Signers who agreed to show their name" },
		{ "uk", "одна тисяча двісті тридцять чотири підписи",
		    "Сторінка 2", "Підписанти, які погодилися показати" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gen g = { .n = 3, .fail_at = -1 };
		struct deliver_pack p = pack(cases[i].lang, &g);
		char *path, *all, *text;

		p.verify_url = NULL;
		path = make_pdf(&p);
		all = pdf_text(path, 0);
		text = fold(all);
		assert_has(text, cases[i].words);
		assert_has(text, cases[i].page);
		assert_has(text, cases[i].heading);
		assert_null(strstr(text, ROOT)); /* no log, no root */
		unlink(path);
		free(path);
		free(all);
		free(text);
	}
}

/* Grammatical agreement of the count in words. */
static void
test_count_words(void **state)
{
	static const struct {
		const char *lang;
		int64_t n;
		const char *want;
	} cases[] = {
		{ "ru", 1, "одна подпись" },
		{ "ru", 2, "две подписи" },
		{ "ru", 21, "двадцать одна подпись" },
		{ "ru", 1000000, "один миллион подписей" },
		{ "uk", 2, "два підписи" },
		{ "uk", 5, "пʼять підписів" },
		{ "en", 1, "one signature" },
	};
	struct arena *a = arena_new();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msgfmt_arg arg = { .name = "count",
			.type = MSGFMT_NUMBER,
			.num = (double)cases[i].n };
		const char *s = i18n_format(a, cases[i].lang,
		    "deliver_count_words", &arg, 1);

		assert_non_null(s);
		assert_string_equal(s, cases[i].want);
	}
	arena_free(a);
}

struct sink {
	struct buf b;
	size_t calls;
	size_t fail_after; /* 0: never */
};

static int
sink_write(void *ctx, const unsigned char *data, size_t len)
{
	struct sink *s = ctx;

	if (s->fail_after > 0 && s->b.len + len > s->fail_after)
		return -1;
	s->calls++;
	buf_append(&s->b, data, len);
	return buf_ok(&s->b) ? 0 : -1;
}

struct seen {
	int calls, pages;
	int64_t signers;
};

static void
on_progress(void *ctx, const struct deliver_progress *pr)
{
	struct seen *s = ctx;

	assert_true(pr->pages >= s->pages);
	assert_true(pr->signers >= s->signers);
	s->pages = pr->pages;
	s->signers = pr->signers;
	s->calls++;
}

/* The PDF leaves as the signers are read, and progress follows. */
static void
test_stream_and_progress(void **state)
{
	struct sink s = { .fail_after = 0 };
	struct gen g = { .n = SIGNERS, .fail_at = -1, .written = &s.b.len };
	struct deliver_pack p = pack("ru", &g);
	struct seen seen = { 0 };
	char *path;

	(void)state;
	buf_init(&s.b);
	p.progress = on_progress;
	p.progress_ctx = &seen;
	assert_int_equal(deliver_pdf(&p, sink_write, &s), DELIVER_OK);
	assert_true(s.b.len > 1000 && memcmp(s.b.data, "%PDF-", 5) == 0);
	/* Pages went out while later rows were still unread. */
	assert_true(g.written_at[0] > 0);
	assert_true(g.written_at[1] < g.written_at[2]);
	assert_true(g.written_at[2] < g.written_at[3]);
	assert_true(g.written_at[3] < s.b.len);
	assert_true(s.calls > 10);
	path = tmp_write(s.b.data, s.b.len, ".pdf");
	assert_int_equal(seen.pages, pdf_pages(path));
	assert_int_equal(seen.signers, SIGNERS);
	assert_int_equal(seen.calls, seen.pages); /* once a page */
	unlink(path);
	free(path);
	buf_reset(&s.b);
}

static void
test_failures(void **state)
{
	struct sink s = { .fail_after = 0 };
	struct gen g = { .n = SIGNERS, .fail_at = -1 };
	struct deliver_pack p = pack("ru", &g);

	(void)state;
	buf_init(&s.b);
	/* A URL that makes no code: refused before a byte is written. */
	p.url = "javascript:alert(1)";
	assert_int_equal(deliver_pdf(&p, sink_write, &s), DELIVER_BAD_INPUT);
	p.url = URL;
	p.verify_url = "https://example.org/a b";
	assert_int_equal(deliver_pdf(&p, sink_write, &s), DELIVER_BAD_INPUT);
	p.verify_url = NULL;
	p.title = NULL;
	assert_int_equal(deliver_pdf(&p, sink_write, &s), DELIVER_BAD_INPUT);
	p.title = TITLE;
	p.lang = NULL;
	assert_int_equal(deliver_pdf(&p, sink_write, &s), DELIVER_BAD_INPUT);
	p.lang = "ru";
	assert_int_equal(s.b.len, 0);
	assert_int_equal(g.i, 0);

	/* The signers' source fails. */
	g.fail_at = 60;
	assert_int_equal(deliver_pdf(&p, sink_write, &s), DELIVER_SIGNERS);
	assert_int_equal(g.i, 60);

	/* The stream fails: reading stops soon after. */
	buf_reset(&s.b);
	g = (struct gen){ .n = 100000, .fail_at = -1 };
	s.fail_after = 20000;
	assert_int_equal(deliver_pdf(&p, sink_write, &s), DELIVER_WRITE);
	assert_true(g.i < 2000);
	buf_reset(&s.b);
	for (int i = 0; i <= DELIVER__MAX; i++)
		assert_non_null(deliver_status_text((enum deliver_status)i));
}

/* No consenting signer, no day, no country: said so, not left blank. */
static void
test_empty(void **state)
{
	struct gen g = { .n = 0, .fail_at = -1 };
	struct deliver_pack p = pack("en", &g);
	char *path, *all, *text;

	(void)state;
	p.count = 0;
	p.ndays = 0;
	p.ncountries = 0;
	p.nto = 0;
	p.body_md = "";
	path = make_pdf(&p);
	all = pdf_text(path, 0);
	text = fold(all);
	assert_has(text, "0 signatures");
	assert_has(text, "No signer has agreed to show their name.");
	assert_has(text, "No signatures yet.");
	unlink(path);
	free(path);
	free(all);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_russian_pack),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_count_words),
		cmocka_unit_test(test_stream_and_progress),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, i18n_setup, render_teardown);
}
