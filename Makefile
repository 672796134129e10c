# holos - build, run and test. See README.md.
#
# Build trees, one per kind of code generation, each with its objects, its
# holos and its unit tests:
#   build/        optimised ($(OPT)); `make`, `make run`, `make bench`
#   build/asan/   AddressSanitizer + UndefinedBehaviorSanitizer; `make test`
#   build/tsan/   ThreadSanitizer; `make tsan`
#   build/ubsan/  UndefinedBehaviorSanitizer alone
# SANITIZER=address|undefined|thread picks the tree `make` builds, as Redis's
# src/Makefile does. CPPFLAGS, CFLAGS, CXXFLAGS and LDFLAGS given by the user
# come after holos's own, so `make CFLAGS=-O0` wins over the default -O2.
# Each object records the headers it read (-MMD -MP, build/**/*.d).
.SUFFIXES:
.DELETE_ON_ERROR:

all:

PKGS     := libmicrohttpd sqlite3 libsodium icu-uc icu-i18n libcmark jansson libcurl libpq \
            cairo-pdf pangocairo fontconfig libqrencode libidn2 vips libwebp opendkim liboath
TESTPKGS := cmocka zlib
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
CXXWARN  := -Wall -Wextra -Wshadow -Werror
DEPFLAGS  = -MMD -MP
HOLOSCPP := -D_GNU_SOURCE -Isrc
OPT      ?= -O2

# Code generation of each tree, by SANITIZER value ("" is the optimised one).
SANCOMMON      := -O1 -fno-omit-frame-pointer
TREE_          := build
GEN_            = $(OPT)
TREE_address   := build/asan
GEN_address    := $(SANCOMMON) -fsanitize=address,undefined -fno-sanitize-recover=all
TREE_undefined := build/ubsan
GEN_undefined  := $(SANCOMMON) -fsanitize=undefined -fno-sanitize-recover=all
TREE_thread    := build/tsan
GEN_thread     := $(SANCOMMON) -fsanitize=thread
SANITIZERS     := address undefined thread

SANITIZER ?=
ifeq ($(filter $(SANITIZER),$(SANITIZERS)),)
ifneq ($(SANITIZER),)
$(error SANITIZER=$(SANITIZER) is not one of: $(SANITIZERS))
endif
endif
TREE := $(TREE_$(SANITIZER))

# pkg-config, asked once and only when a rule needs it (so `make deps` and
# `make clean` work before the libraries are installed); a missing .pc file
# stops the build with its name.
pkg_missing = $(strip $(foreach p,$(1),$(if $(shell pkg-config --exists $(p) && echo y),,$(p))))
pkg_ask = $(if $(call pkg_missing,$(2)),$(error pkg-config finds no $(call pkg_missing,$(2)) \
    (no .pc file): install the build dependencies with `sh scripts/deps.sh` (run \
    as root, or with sudo), or set PKG_CONFIG_PATH),$(shell pkg-config $(1) $(2)))
PKGCFLAGS  = $(eval PKGCFLAGS := $$(call pkg_ask,--cflags,$$(PKGS)))$(PKGCFLAGS)
# libstemmer (Snowball, for search) has no pkg-config file.
PKGLIBS    = $(eval PKGLIBS := $$(call pkg_ask,--libs,$$(PKGS)) -lstemmer -lstdc++ -lpthread -lm)$(PKGLIBS)
TESTCFLAGS = $(eval TESTCFLAGS := $$(call pkg_ask,--cflags,$$(TESTPKGS)))$(TESTCFLAGS)
TESTLIBS   = $(eval TESTLIBS := $$(call pkg_ask,--libs,$$(TESTPKGS)))$(TESTLIBS)

SRCS  := $(filter-out src/main.c,$(wildcard src/*.c src/*.cc))
UNITS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
E2ES  := $(patsubst tests/e2e/%.c,%,$(filter-out tests/e2e/harness.c,$(wildcard tests/e2e/*.c)))
# The end-to-end tests `make tsan` runs against a ThreadSanitizer holos: the
# ones that drive signing, confirmation, the outbox and the update mailer,
# and signing through a SIGKILL and a SIGTERM.
TSAN_E2ES := e2e_sign e2e_confirm e2e_smtp e2e_me e2e_crash

objs = $(patsubst src/%,$(1)/obj/%.o,$(basename $(SRCS)))

# A unit test includes the module it tests (tests/unit/test_X.c includes
# src/X.c, h2o's habit), so it links every other object: the ones whose
# source it includes are left out.
included = $(patsubst %,$(1)/obj/%.o,$(shell sed -n \
    's|^\#include "\.\./\.\./src/\(.*\)\.c\".*|\1|p' $(2)))

# The rules of one tree: $(1) its folder, $(2) its code generation.
define tree
$(1)/obj/%.o: src/%.c
	@mkdir -p $$(@D)
	$$(CC) -std=c17 -g $$(WARN) $$(HOLOSCPP) $(2) $$(PKGCFLAGS) $$(CPPFLAGS) $$(CFLAGS) \
	    $$(DEPFLAGS) -c -o $$@ $$<

# msgfmt.cc is the one C++ file: a bridge to ICU's named-argument MessageFormat.
$(1)/obj/%.o: src/%.cc
	@mkdir -p $$(@D)
	$$(CXX) -std=c++17 -g $$(CXXWARN) $$(HOLOSCPP) $(2) $$(PKGCFLAGS) $$(CPPFLAGS) \
	    $$(CXXFLAGS) $$(DEPFLAGS) -c -o $$@ $$<

$(1)/holos: $(1)/obj/main.o $(call objs,$(1))
	$$(CC) $(2) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(PKGLIBS)

$(1)/unit/%: tests/unit/%.c $(call objs,$(1))
	@mkdir -p $$(@D)
	$$(CC) -std=c17 -g $$(WARN) $$(HOLOSCPP) $(2) $$(PKGCFLAGS) $$(TESTCFLAGS) $$(CPPFLAGS) \
	    $$(CFLAGS) $$(DEPFLAGS) $$(LDFLAGS) -o $$@ $$< \
	    $$(filter-out $$(call included,$(1),$$<),$(call objs,$(1))) $$(PKGLIBS) $$(TESTLIBS)

-include $(wildcard $(1)/obj/*.d $(1)/unit/*.d)
endef
$(eval $(call tree,$(TREE_),$(GEN_)))
$(foreach s,$(SANITIZERS),$(eval $(call tree,$(TREE_$(s)),$(GEN_$(s)))))

# End-to-end tests are clients built with ASan + UBSan; the harness once.
# build/e2e/ holds only the test programs: scripts/test.sh runs them all.
build/asan/e2e/harness.o: tests/e2e/harness.c
	@mkdir -p $(@D)
	$(CC) -std=c17 -g $(WARN) $(HOLOSCPP) $(GEN_address) $(PKGCFLAGS) $(TESTCFLAGS) \
	    $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -Itests/e2e -c -o $@ $<

build/e2e/%: tests/e2e/%.c build/asan/e2e/harness.o
	@mkdir -p $(@D) build/asan/e2e
	$(CC) -std=c17 -g $(WARN) $(HOLOSCPP) $(GEN_address) $(PKGCFLAGS) $(TESTCFLAGS) \
	    $(CPPFLAGS) $(CFLAGS) -MMD -MP -MF build/asan/e2e/$*.d $(LDFLAGS) -Itests/e2e \
	    -o $@ $< build/asan/e2e/harness.o $(TESTLIBS) $(PKGLIBS)

-include $(wildcard build/asan/e2e/*.d)

# Fuzz targets (fuzz/fuzz_*.c), each linked with every object of a tree.
# `make test` builds them with gcc in the ASan tree against fuzz/replay.c and
# replays their corpora (build/asan/fuzz/); `make fuzz` builds them with
# clang's libFuzzer, ASan and UBSan in build/fuzz/ (objects instrumented for
# coverage) and runs them (fuzz/run.sh).
FUZZES  := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZCC  ?= clang
FUZZCXX ?= clang++
GEN_fuzz := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
    -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

build/asan/fuzz/replay.o: fuzz/replay.c
	@mkdir -p $(@D)
	$(CC) -std=c17 -g $(WARN) $(GEN_address) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

build/asan/fuzz/%: fuzz/%.c build/asan/fuzz/replay.o $(call objs,build/asan)
	$(CC) -std=c17 -g $(WARN) $(HOLOSCPP) $(GEN_address) $(PKGCFLAGS) $(CPPFLAGS) $(CFLAGS) \
	    $(DEPFLAGS) $(LDFLAGS) -Ifuzz -o $@ $< build/asan/fuzz/replay.o $(call objs,build/asan) \
	    $(PKGLIBS)

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZCC) -std=c17 -g $(WARN) $(HOLOSCPP) $(GEN_fuzz) -fsanitize=fuzzer-no-link \
	    $(PKGCFLAGS) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

build/fuzz/obj/%.o: src/%.cc
	@mkdir -p $(@D)
	$(FUZZCXX) -std=c++17 -g $(CXXWARN) $(HOLOSCPP) $(GEN_fuzz) -fno-sanitize=vptr \
	    -fsanitize=fuzzer-no-link \
	    $(PKGCFLAGS) $(CPPFLAGS) $(CXXFLAGS) $(DEPFLAGS) -c -o $@ $<

build/fuzz/%: fuzz/%.c $(call objs,build/fuzz)
	$(FUZZCC) -std=c17 -g $(WARN) $(HOLOSCPP) $(GEN_fuzz) -fsanitize=fuzzer $(PKGCFLAGS) \
	    $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -Ifuzz -o $@ $< $(call objs,build/fuzz) \
	    $(PKGLIBS)

fuzzers: $(addprefix build/fuzz/,$(FUZZES))
# Kept between builds (make would delete them as intermediates).
.SECONDARY: $(call objs,build/fuzz)

-include $(wildcard build/fuzz/obj/*.d build/fuzz/*.d build/asan/fuzz/*.d)

all: $(TREE)/holos
asan: build/asan/holos
tests: $(addprefix build/unit/,$(UNITS)) $(addprefix build/asan/unit/,$(UNITS)) \
    $(addprefix build/e2e/,$(E2ES)) $(addprefix build/asan/fuzz/,$(FUZZES))

deps:
	@sh scripts/deps.sh

# The builds that run, test and tsan start use every processor unless make
# was given -j itself.
SUBJOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 2))

run: deps
	@$(MAKE) --no-print-directory $(SUBJOBS) all
	./$(TREE)/holos serve --listen $(LISTEN) --data $(DATA) --seed seed/petition.md

# Every test; the ThreadSanitizer pass of `make tsan` included.
test: deps
	@$(MAKE) --no-print-directory $(SUBJOBS) all asan tests build/tsan/holos
	@HOLOS_TSAN_E2ES="$(TSAN_E2ES)" sh scripts/test.sh

# The signing, confirmation, outbox and update-mail tests against a
# ThreadSanitizer holos; any data race in the server fails them.
tsan: deps
	@$(MAKE) --no-print-directory $(SUBJOBS) build/tsan/holos $(addprefix build/e2e/,$(TSAN_E2ES))
	@sh scripts/test.sh tsan $(TSAN_E2ES)

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh
	@$(MAKE) --no-print-directory bench-deliver
	@$(MAKE) --no-print-directory bench-export
	@$(MAKE) --no-print-directory bench-mail
	@$(MAKE) --no-print-directory bench-events
	@$(MAKE) --no-print-directory bench-spike
	@$(MAKE) --no-print-directory bench-find
	@$(MAKE) --no-print-directory bench-log

# The delivery pack of 1,000,000 signers (BENCH_DELIVER_SIGNERS): time and
# peak RSS, kept in bench/results/ like run.sh's.
build/bench/deliver_bench: bench/deliver_bench.c bench/signers.h $(call objs,build)
	@mkdir -p $(@D)
	$(CC) -std=c17 -g $(WARN) $(HOLOSCPP) $(OPT) $(PKGCFLAGS) $(CPPFLAGS) $(CFLAGS) \
	    $(LDFLAGS) -o $@ $< $(call objs,build) $(PKGLIBS)

# holos export of 1,000,000 signers (BENCH_EXPORT_SIGNERS) as CSV and JSON:
# time and peak RSS of the command, kept in bench/results/.
build/bench/export_bench: bench/export_bench.c bench/signers.h $(call objs,build)
	@mkdir -p $(@D)
	$(CC) -std=c17 -g $(WARN) $(HOLOSCPP) $(OPT) $(PKGCFLAGS) $(CPPFLAGS) $(CFLAGS) \
	    $(LDFLAGS) -o $@ $< $(call objs,build) $(PKGLIBS)

bench-export: all build/bench/export_bench
	@mkdir -p bench/results
	@out=bench/results/$$(date -u +%Y-%m-%dT%H%M%SZ)-export.txt; \
	    ./build/bench/export_bench build/holos \
	    $${BENCH_EXPORT_SIGNERS:-1000000} >"$$out" 2>&1; rc=$$?; \
	    cat "$$out"; exit $$rc

# A petition's log grown to N leaves straight into SQLite through holos's
# own merkle.c and translog.c (bench/log.sh).
build/bench/log_fill: bench/log_fill.c $(call objs,build)
	@mkdir -p $(@D)
	$(CC) -std=c17 -g $(WARN) $(HOLOSCPP) $(OPT) $(PKGCFLAGS) $(CPPFLAGS) $(CFLAGS) \
	    $(LDFLAGS) -o $@ $< $(call objs,build) $(PKGLIBS)

# Signing with the log vs without it, and proofs on a 10,000,000-leaf log
# (bench/log.sh).
bench-log: all build/bench/log_fill
	@sh bench/log.sh

# The outbox draining into Postfix's smtp-sink beside smtp-source.
bench-mail: all
	@sh bench/mail.sh

# A spike in a real site's configuration: bot checks, rate limits, email
# confirmation and mail to smtp-sink (bench/spike.sh).
bench-spike: all
	@sh bench/spike.sh

# 10,000 live-count event streams on one node (bench/events.sh).
bench-events: all
	@sh bench/events.sh

# The listing and search benchmark's database: 10,000 petitions in en, ru
# and uk, 10,000,000 signatures (bench/find.sh).
build/bench/find_gen: bench/find_gen.c $(call objs,build)
	@mkdir -p $(@D)
	$(CC) -std=c17 -g $(WARN) $(HOLOSCPP) $(OPT) $(PKGCFLAGS) $(CPPFLAGS) $(CFLAGS) \
	    $(LDFLAGS) -o $@ $< $(call objs,build) $(PKGLIBS)

# Listings, search and the API at 100 and 10,000 petitions, 0 and 10 M
# signatures: wrk's p50, p99 and requests a second, and the start-up time.
bench-find: all build/bench/find_gen
	@sh bench/find.sh

bench-deliver: build/bench/deliver_bench
	@mkdir -p bench/results
	@out=bench/results/$$(date -u +%Y-%m-%dT%H%M%SZ)-deliver.txt; \
	    ./build/bench/deliver_bench $${BENCH_DELIVER_SIGNERS:-1000000} \
	    >"$$out" 2>&1; rc=$$?; cat "$$out"; exit $$rc

fuzz: deps
	@command -v $(FUZZCC) >/dev/null || apt-get install -y -qq clang >/dev/null
	@$(MAKE) --no-print-directory $(SUBJOBS) fuzzers
	@sh fuzz/run.sh

format: deps
	clang-format -i src/*.c src/*.h src/*.cc tests/unit/*.c tests/e2e/*.c tests/e2e/*.h bench/*.c fuzz/*.c

clean:
	rm -rf build

DATA   ?= data
LISTEN ?= 127.0.0.1:8080

.PHONY: all asan tests deps run test tsan bench bench-deliver bench-export bench-events bench-spike bench-find bench-log fuzz fuzzers format clean
