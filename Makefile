# Flashstor: thin front end over CMake and the ci/ scripts. The real build is CMakeLists.txt.
#   make run    install what is missing, build, start a local server on 127.0.0.1:9000
#   make test   install what is missing, build, run every test suite
SHELL := /bin/bash
MAKEFLAGS += --no-print-directory
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build run test unit-test integration-test appliance-test asan-test tsan-test bench \
        fuzz format clean

all: build

deps:
	@ci/install-deps.sh test

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@echo "built $(BUILD)/flashstor"

run: build
	@ci/run-local.sh $(BUILD)/flashstor

test: build
	@ci/test.sh $(BUILD)

unit-test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

integration-test: build
	@ci/integration.sh $(BUILD)/flashstor

appliance-test: build
	@ci/appliance.sh $(BUILD)/flashstor

asan-test: deps
	@ci/asan.sh

tsan-test: deps
	@ci/tsan.sh

bench: build
	@ci/install-deps.sh bench
	@ci/bench.sh $(BUILD)

fuzz:
	@ci/install-deps.sh fuzz
	@ci/fuzz.sh

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz

-include image/image.mk
