/* deliver_bench.c - the delivery pack of a petition with N synthetic
 * consenting signers (default 1,000,000): time, pages, bytes and the
 * process's peak RSS, with the RSS as the pages go by, so growth per page
 * shows.
 *
 * Usage: deliver_bench [N [OUT.pdf [LANG]]]   (run from the checkout:
 * it reads locales/). OUT defaults to a temporary file, removed after. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "i18n.h"
#include "signers.h"

struct gen {
	int64_t i, n;
	char name[128];
};

static int
next(void *ctx, struct deliver_signer *out)
{
	struct gen *g = ctx;
	struct bench_signer b;

	if (g->i == g->n)
		return 0;
	bench_signer(g->i, &b);
	snprintf(g->name, sizeof(g->name), "%s %s", b.first, b.last);
	out->name = g->name;
	out->country = b.country;
	out->comment = b.comment;
	out->signed_at = b.signed_at;
	g->i++;
	return 1;
}

static long
rss_kb(const char *field)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			kb = strtol(line + strlen(field), NULL, 10);
	fclose(f);
	return kb;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct watch {
	double t0, cpu0;
	int next_report;
};

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Time, CPU time and RSS at pages 1, 10, 100, 1,000, then every 2,000, on
 * stderr: growth per page, in time or memory, shows. */
static void
progress(void *ctx, const struct deliver_progress *p)
{
	struct watch *w = ctx;

	if (p->pages < w->next_report)
		return;
	fprintf(stderr,
	    "deliver_bench: pages=%d signers=%lld seconds=%.1f "
	    "cpu_seconds=%.1f rss_kb=%ld\n",
	    p->pages, (long long)p->signers, now() - w->t0,
	    cpu_seconds() - w->cpu0, rss_kb("VmRSS:"));
	w->next_report =
	    w->next_report < 1000 ? w->next_report * 10 : w->next_report + 2000;
}

int
main(int argc, char **argv)
{
	struct gen g = { 0, argc > 1 ? atoll(argv[1]) : 1000000, "" };
	const char *lang = argc > 3 ? argv[3] : "ru";
	char tmp[] = "/tmp/deliver-bench-XXXXXX";
	struct addressee to[] = {
		{ "Государственная дума", "Председатель и депутаты" },
		{ "Уполномоченный по правам человека", "" },
	};
	struct day_row days[120];
	struct country_row cs[10];
	struct watch w = { .next_report = 1 };
	struct deliver_pack p = { 0 };
	enum deliver_status st;
	struct rusage ru;
	char err[512];
	const char *out;
	long bytes;
	FILE *f;
	int fd;

	if (i18n_load("locales", "en", err, sizeof(err)) == -1) {
		fprintf(stderr, "deliver_bench: %s (run from the checkout)\n",
		    err);
		return 1;
	}
	for (int i = 0; i < 120; i++)
		days[i] = (struct day_row){ 1700006400 + i * 86400,
			g.n / 120 + (i % 7) * 10 };
	for (int i = 0; i < 10; i++)
		cs[i] = (struct country_row){ countries[i], g.n / (i + 2) };
	if (argc > 2) {
		out = argv[2];
		f = fopen(out, "wb");
	} else {
		fd = mkstemp(tmp);
		out = tmp;
		f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	}
	if (f == NULL) {
		perror(out);
		return 1;
	}
	p.lang = lang;
	p.site_name = "Holos";
	p.title = "Освободите политзаключённых из-за угрозы COVID-19";
	p.body_md = "# Требования\n\nМы, нижеподписавшиеся, **требуем**:\n\n"
		    "1. освободить\n2. пересмотреть\n\n> Свобода слова.\n";
	p.to = to;
	p.nto = 2;
	p.count = g.n;
	p.made_at = time(NULL);
	p.url = "https://holos.example.org/p/kremlin-prisoners-covid19";
	p.verify_url = "https://holos.example.org/p/kremlin-prisoners-covid19/"
		       "verify";
	p.log_root = "9f86d081884c7d659a2feaa0c55ad015"
		     "a3bf4f1b2b0b822cd15d6c15b0f00a08";
	p.days = days;
	p.ndays = 120;
	p.countries = cs;
	p.ncountries = 10;
	p.next = next;
	p.next_ctx = &g;
	p.progress = progress;
	p.progress_ctx = &w;
	fprintf(stderr, "deliver_bench: signers=%lld lang=%s rss_kb=%ld\n",
	    (long long)g.n, lang, rss_kb("VmRSS:"));
	w.t0 = now();
	w.cpu0 = cpu_seconds();
	st = deliver_pdf_file(&p, f);
	bytes = ftell(f);
	fclose(f);
	getrusage(RUSAGE_SELF, &ru);
	printf("deliver_bench: signers=%lld status=%s seconds=%.1f "
	       "cpu_seconds=%.1f bytes=%ld peak_rss_kb=%ld\n",
	    (long long)g.n, deliver_status_text(st), now() - w.t0,
	    cpu_seconds() - w.cpu0, bytes, ru.ru_maxrss);
	if (argc <= 2)
		unlink(out);
	i18n_free();
	return st == DELIVER_OK ? 0 : 1;
}
