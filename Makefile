# Tributary — one non-recursive Makefile.
#
#   make run      install missing packages, build, start tributaryd on ./var/tributary
#   make check    install missing packages, build, run every test, then again under ASan+UBSan
#   make bench    build optimised and run the benchmarks
#   make all | install [PREFIX=/usr/local DESTDIR=] | clean | deps
#
# `check` and `run` call make again after `deps`, so pkg-config sees the
# packages that `deps` just installed.

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?=
DATA_DIR ?= var/tributary
ADDR     ?= 127.0.0.1:50051

CC ?= cc
PROTOC   ?= protoc
PROTOC_C ?= protoc-c
GRPC_PROTO_DIR ?= /usr/share/grpc-proto

# Debian packages that `deps` installs when they are missing.
DEB_PACKAGES := pkg-config liblmdb-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler \
                libgrpc-dev grpc-proto libyaml-dev check libsqlite3-dev

PKGS      := lmdb libprotobuf-c grpc yaml-0.1
# Recursively expanded: evaluated when first used, after `deps` when called through check/run.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lgpr -lm -pthread
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)
SQLITE_LIBS = $(shell pkg-config --libs sqlite3 2>/dev/null)

OPT      ?= -O2
CFLAGS_WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -g $(OPT) $(CFLAGS_WARN) -Iinclude -I$(BUILD)/gen $(PKG_CFLAGS) \
             -MMD -MP $(CFLAGS)
LDFLAGS_ALL = $(LDFLAGS)

ifeq ($(SANITIZE),1)
  OPT := -O1
  SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  CFLAGS_ALL += $(SAN_FLAGS)
  LDFLAGS_ALL += $(SAN_FLAGS)
endif

# ------------------------------------------------------------------ protobuf
PROTO_SRC  := $(wildcard proto/tributary/v1/*.proto)
GRPC_PROTOS := grpc/health/v1/health.proto grpc/reflection/v1/reflection.proto \
               grpc/reflection/v1alpha/reflection.proto
GEN_C := $(PROTO_SRC:proto/%.proto=$(BUILD)/gen/%.pb-c.c) \
         $(GRPC_PROTOS:%.proto=$(BUILD)/gen/%.pb-c.c)
GEN_H := $(GEN_C:.c=.h)
DESCRIPTORS := $(BUILD)/gen/descriptors.pb
# Keep generated sources: as pattern-rule intermediates make would delete them after every build.
.SECONDARY: $(GEN_C) $(GEN_H) $(BUILD)/gen/descriptors.c

$(BUILD)/gen/tributary/%.pb-c.c $(BUILD)/gen/tributary/%.pb-c.h: proto/tributary/%.proto
	@mkdir -p $(BUILD)/gen
	$(PROTOC_C) --c_out=$(BUILD)/gen -Iproto $<

$(BUILD)/gen/grpc/%.pb-c.c $(BUILD)/gen/grpc/%.pb-c.h: $(GRPC_PROTO_DIR)/grpc/%.proto
	@mkdir -p $(BUILD)/gen
	$(PROTOC_C) --c_out=$(BUILD)/gen -I$(GRPC_PROTO_DIR) $<

# Every service's descriptors, embedded in tributaryd for server reflection.
$(DESCRIPTORS): $(PROTO_SRC) $(addprefix $(GRPC_PROTO_DIR)/,$(GRPC_PROTOS)) Makefile
	@mkdir -p $(@D)
	$(PROTOC) --include_imports --descriptor_set_out=$@ -Iproto -I$(GRPC_PROTO_DIR) $(PROTO_SRC:proto/%=%) \
	    grpc/health/v1/health.proto grpc/reflection/v1/reflection.proto grpc/reflection/v1alpha/reflection.proto

$(BUILD)/gen/descriptors.c: $(DESCRIPTORS) tools/embed-bytes.sh
	sh tools/embed-bytes.sh trib_descriptor_set < $< > $@

# The default governance policy, embedded in tributaryd (see server/policy_load.c).
$(BUILD)/gen/default_policy.c: server/default-policy.yaml tools/embed-bytes.sh
	@mkdir -p $(@D)
	sh tools/embed-bytes.sh pol_default_policy_yaml < $< > $@

# ------------------------------------------------------------------ sources
CORE_SRC   := graph/error.c graph/arena.c graph/ref.c
GRAPH_SRC  := $(filter-out $(CORE_SRC),$(wildcard graph/*.c))
INGEST_SRC := $(wildcard ingest/*.c)
SERVER_SRC := $(filter-out server/main.c,$(wildcard server/*.c))
CLIENT_SRC := $(filter-out tools/trib/main.c,$(wildcard tools/trib/*.c))
BENCH_SRC  := $(wildcard tools/bench/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

$(BUILD)/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Wno-unused-parameter -c $< -o $@

LIB_CORE   := $(BUILD)/lib/libtrib_core.a
LIB_PROTO  := $(BUILD)/lib/libtrib_proto.a
LIB_GRAPH  := $(BUILD)/lib/libtrib_graph.a
LIB_INGEST := $(BUILD)/lib/libtrib_ingest.a
LIB_SERVER := $(BUILD)/lib/libtrib_server.a
LIB_CLIENT := $(BUILD)/lib/libtrib_client.a

PROTO_OBJ := $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(GEN_C) $(BUILD)/gen/descriptors.c)

$(LIB_CORE):   $(call obj,$(CORE_SRC))
$(LIB_PROTO):  $(PROTO_OBJ)
$(LIB_GRAPH):  $(call obj,$(GRAPH_SRC))
$(LIB_INGEST): $(call obj,$(INGEST_SRC))
$(LIB_SERVER): $(call obj,$(SERVER_SRC))
$(LIB_SERVER): $(BUILD)/obj/gen/default_policy.o
$(LIB_CLIENT): $(call obj,$(CLIENT_SRC))

$(BUILD)/lib/%.a:
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^

# Link order: dependants before what they depend on.
LIBS_GRAPH  := $(LIB_GRAPH) $(LIB_CORE) $(LIB_PROTO)
LIBS_INGEST := $(LIB_INGEST) $(LIB_CORE) $(LIB_PROTO)
LIBS_SERVER := $(LIB_SERVER) $(LIB_INGEST) $(LIB_GRAPH) $(LIB_CORE) $(LIB_PROTO)
LIBS_CLIENT := $(LIB_CLIENT) $(LIB_INGEST) $(LIB_CORE) $(LIB_PROTO)

# ------------------------------------------------------------------ binaries
TRIBUTARYD := $(BUILD)/bin/tributaryd
TRIB       := $(BUILD)/bin/trib
BENCH      := $(BUILD)/bin/trib-bench
BINS := $(TRIBUTARYD) $(TRIB)

$(TRIBUTARYD): $(call obj,server/main.c) $(LIBS_SERVER)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(TRIB): $(call obj,tools/trib/main.c) $(LIBS_CLIENT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BENCH): $(call obj,$(BENCH_SRC)) $(LIB_CLIENT) $(LIBS_SERVER)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) $(SQLITE_LIBS)

all: $(BINS)

# ------------------------------------------------------------------ tests
# tests/<module>/test_*.c each become one Check binary; other .c files in the
# same directory are helpers linked into every test of that directory.
TEST_DIRS := graph ingest server tools
define test_dir
TEST_SRC_$(1)    := $$(wildcard tests/$(1)/test_*.c)
TEST_HELPERS_$(1) := $$(filter-out $$(TEST_SRC_$(1)),$$(wildcard tests/$(1)/*.c))
TEST_BINS_$(1)   := $$(patsubst %.c,$(BUILD)/%,$$(TEST_SRC_$(1)))
$$(TEST_BINS_$(1)): $(BUILD)/tests/$(1)/%: $(BUILD)/obj/tests/$(1)/%.o $$(call obj,$$(TEST_HELPERS_$(1))) $$(LIBS_$(2))
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(PKG_LIBS) $$(CHECK_LIBS)
endef
$(eval $(call test_dir,graph,GRAPH))
$(eval $(call test_dir,ingest,INGEST))
$(eval $(call test_dir,server,SERVER))
$(eval $(call test_dir,tools,CLIENT))

TEST_BINS := $(foreach d,$(TEST_DIRS),$(TEST_BINS_$(d)))
E2E_TESTS := $(sort $(wildcard tests/e2e/test_*.sh))

tests: $(TEST_BINS) $(BINS)

# Runs every Check binary and end-to-end script; a summary at the end.
test: tests
	@sh tests/run.sh $(BUILD) $(TEST_BINS) -- $(E2E_TESTS)

check: deps
	$(MAKE) test
	$(MAKE) BUILD=build/asan SANITIZE=1 test

# ------------------------------------------------------------------ bench, run
bench: deps
	$(MAKE) $(BENCH) $(BINS)
	$(BENCH) $(BENCH_ARGS)

run: deps
	$(MAKE) all
	@mkdir -p $(DATA_DIR)
	$(TRIBUTARYD) --listen $(ADDR) --data-dir $(DATA_DIR) $(RUN_ARGS)

# A start / serve / shutdown cycle under valgrind.
valgrind: $(BINS)
	sh tests/valgrind.sh $(BUILD)

# ------------------------------------------------------------------ deps, install, clean
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "deps: installing$$missing"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/tributary/proto/tributary/v1
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(PROTO_SRC) $(DESTDIR)$(PREFIX)/share/tributary/proto/tributary/v1/

clean:
	rm -rf build

.PHONY: all tests test check bench run valgrind deps install clean

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
