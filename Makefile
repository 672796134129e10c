# holos - build, run and test. See README.md.
.SUFFIXES:

CC      ?= cc
PKGS    := libmicrohttpd sqlite3 libsodium icu-uc icu-i18n libcmark jansson libcurl libpq
TESTPKGS:= cmocka
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
BASEFLAGS = -std=c17 -D_GNU_SOURCE -g $(WARN) -Isrc
PKGCFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libstemmer (Snowball, for search) has no pkg-config file.
PKGLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -lstdc++ -lpthread -lm
TESTCFLAGS= $(shell pkg-config --cflags $(TESTPKGS) 2>/dev/null)
TESTLIBS  = $(shell pkg-config --libs $(TESTPKGS) 2>/dev/null)

OPT     ?= -O2
SANFLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

SRCS    := $(filter-out src/main.c,$(wildcard src/*.c)) $(wildcard src/*.cc)
CXX     ?= c++
CXXWARN := -Wall -Wextra -Wshadow -Werror
UNITS   := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
E2ES    := $(patsubst tests/e2e/%.c,%,$(filter-out tests/e2e/harness.c,$(wildcard tests/e2e/*.c)))
HDRS    := $(wildcard src/*.h)

# Two build trees: build/ (optimised) and build/asan/ (sanitisers).
OBJS      := $(patsubst src/%.cc,build/obj/%.o,$(patsubst src/%.c,build/obj/%.o,$(SRCS)))
ASAN_OBJS := $(patsubst src/%.cc,build/asan/obj/%.o,$(patsubst src/%.c,build/asan/obj/%.o,$(SRCS)))

DATA    ?= data
LISTEN  ?= 127.0.0.1:8080

all: build/holos

build/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(OPT) $(PKGCFLAGS) -c -o $@ $<

build/asan/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(SANFLAGS) $(PKGCFLAGS) -c -o $@ $<

# msgfmt.cc is the one C++ file: a bridge to ICU's named-argument MessageFormat.
build/obj/%.o: src/%.cc $(HDRS)
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -g $(CXXWARN) -Isrc $(OPT) $(PKGCFLAGS) -c -o $@ $<

build/asan/obj/%.o: src/%.cc $(HDRS)
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -g $(CXXWARN) -Isrc $(SANFLAGS) $(PKGCFLAGS) -c -o $@ $<

build/holos: build/obj/main.o $(OBJS)
	$(CC) -o $@ $^ $(PKGLIBS)

build/asan/holos: build/asan/obj/main.o $(ASAN_OBJS)
	$(CC) $(SANFLAGS) -o $@ $^ $(PKGLIBS)

# Unit tests include the module they test, so they reach its statics.
build/asan/unit/%: tests/unit/%.c $(ASAN_OBJS) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(SANFLAGS) $(PKGCFLAGS) $(TESTCFLAGS) -o $@ $< \
	    $(filter-out build/asan/obj/$(patsubst test_%,%,$*).o,$(ASAN_OBJS)) \
	    $(PKGLIBS) $(TESTLIBS)

build/unit/%: tests/unit/%.c $(OBJS) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(OPT) $(PKGCFLAGS) $(TESTCFLAGS) -o $@ $< \
	    $(filter-out build/obj/$(patsubst test_%,%,$*).o,$(OBJS)) \
	    $(PKGLIBS) $(TESTLIBS)

build/e2e/%: tests/e2e/%.c tests/e2e/harness.c tests/e2e/harness.h
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(SANFLAGS) $(TESTCFLAGS) $(PKGCFLAGS) -Itests/e2e -o $@ $< tests/e2e/harness.c \
	    $(TESTLIBS) $(PKGLIBS)

asan: build/asan/holos
tests: $(addprefix build/unit/,$(UNITS)) $(addprefix build/asan/unit/,$(UNITS)) \
    $(addprefix build/e2e/,$(E2ES))

deps:
	@sh scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	./build/holos serve --listen $(LISTEN) --data $(DATA) --seed seed/petition.md

test: deps
	@$(MAKE) --no-print-directory all asan tests
	@sh scripts/test.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh

fuzz: deps
	@sh fuzz/run.sh

format:
	clang-format -i src/*.c src/*.h src/*.cc tests/unit/*.c tests/e2e/*.c tests/e2e/*.h bench/*.c fuzz/*.c

clean:
	rm -rf build

.PHONY: all asan tests deps run test bench fuzz format clean
