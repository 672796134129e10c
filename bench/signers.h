/* signers.h - the synthetic signers the 1,000,000-signer benchmarks share
 * (deliver_bench.c, export_bench.c): Cyrillic and Latin names, ten
 * countries and none, every tenth with a comment, one every 30 s. */
#ifndef HOLOS_BENCH_SIGNERS_H
#define HOLOS_BENCH_SIGNERS_H

#include <stdint.h>

static const char *const first[] = { "Анна", "Олег", "Мария", "Дмитрий",
	"Оксана", "Тарас", "Emma", "James", "Sofia", "Lukas", "Ярослава",
	"Григорий" };
static const char *const last[] = { "Иванова", "Петренко", "Smith", "Kowalski",
	"Сидоров", "Шевченко", "Müller", "Ковальчук", "Garcia", "Кузнецова",
	"O'Brien", "Бондаренко" };
static const char *const countries[] = { "RU", "UA", "DE", "GB", "PL", "US",
	"FR", "GE", "LT", "KZ", "" };
static const char *const comments[] = {
	"Свободу политзаключённым — сейчас, пока не поздно.",
	"Я підписую, бо мій брат досі за ґратами.",
	"Because nobody should be held for what they said.",
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Signer i (0-based). */
struct bench_signer {
	const char *first, *last, *country, *comment;
	int64_t signed_at;
};

static inline void
bench_signer(int64_t i, struct bench_signer *s)
{
	s->first = first[i % (int64_t)NELEMS(first)];
	s->last = last[(i / 7) % (int64_t)NELEMS(last)];
	s->country = countries[i % (int64_t)NELEMS(countries)];
	s->comment =
	    i % 10 == 3 ? comments[(i / 10) % (int64_t)NELEMS(comments)] : "";
	s->signed_at = 1700000000 + i * 30;
}

#endif
