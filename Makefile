# pgstrata build.
#   make                 release build: build/release/pgstrata
#   make BUILD=asan      ASan + UBSan build: build/asan/pgstrata
#   make unit            unit tests (pure code, no server), sanitizer build
#   make check           the whole suite: scripts/test.sh
#   make install         binary and man page under $(PREFIX)
#   make format / format-check

BUILD     ?= release
PREFIX    ?= /usr/local
PG_CONFIG ?= $(shell command -v pg_config 2>/dev/null || echo /usr/lib/postgresql/15/bin/pg_config)
PG_INC    := $(shell $(PG_CONFIG) --includedir)
PG_LIB    := $(shell $(PG_CONFIG) --libdir)

CC       ?= gcc
WARNINGS := -Wall -Wextra -Werror -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
            -Wvla -Wwrite-strings -Wshadow -Wpointer-arith -Wundef -Wcast-qual \
            -Wnull-dereference -Wimplicit-fallthrough
CPPFLAGS += -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Isrc -I$(PG_INC)
CFLAGS   += -std=c11 $(WARNINGS) -MMD -MP
LDLIBS   += -L$(PG_LIB) -lpq -lcjson -lyaml -lmicrohttpd -lm

ifeq ($(BUILD),asan)
  CFLAGS  += -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=address,undefined
else
  CFLAGS  += -O2 -g
endif

OUT        := build/$(BUILD)
CORE_SRC   := $(wildcard src/core/*.c)
REPORT_SRC := $(wildcard src/report/*.c)
DB_SRC     := $(wildcard src/db/*.c)
CLI_SRC    := $(wildcard src/cli/*.c)
DAEMON_SRC := $(wildcard src/daemon/*.c)
APP_SRC    := $(CORE_SRC) $(REPORT_SRC) $(DB_SRC) $(CLI_SRC) $(DAEMON_SRC) src/main.c
APP_OBJ    := $(APP_SRC:%.c=$(OUT)/%.o)
# The daemon's pure parts (configuration, schedule, metrics) are unit-tested too.
DAEMON_PURE := $(addprefix $(OUT)/src/daemon/,config.o config_node.o config_pass.o config_values.o \
               schedule.o metrics.o)
PURE_OBJ   := $(CORE_SRC:%.c=$(OUT)/%.o) $(REPORT_SRC:%.c=$(OUT)/%.o) $(DAEMON_PURE)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:%.c=$(OUT)/%)

.PHONY: all unit check install uninstall format format-check clean

all: $(OUT)/pgstrata

$(OUT)/pgstrata: $(APP_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Unit tests link only the pure modules: no libpq calls, no server.
$(OUT)/tests/unit/%: $(OUT)/tests/unit/%.o $(PURE_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lcjson -lyaml -lm

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

check:
	./scripts/test.sh

install: $(OUT)/pgstrata
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(OUT)/pgstrata $(DESTDIR)$(PREFIX)/bin/pgstrata
	install -m 644 docs/pgstrata.1 $(DESTDIR)$(PREFIX)/share/man/man1/pgstrata.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/pgstrata $(DESTDIR)$(PREFIX)/share/man/man1/pgstrata.1

FORMAT_FILES = $(shell git ls-files -co --exclude-standard '*.c' '*.h')
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build

-include $(APP_OBJ:.o=.d) $(UNIT_SRC:%.c=$(OUT)/%.d)
