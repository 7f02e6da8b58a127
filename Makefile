# Entry points: `make run` and `make test` work on a fresh Debian 12 machine (they install
# what is missing first). `make build` leaves the weft binary at build/weft.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
CC := clang-19
CXX := clang++-19
export CC CXX

.PHONY: all deps build debug asan gcc fuzz run test unit clean

all: build

deps:
	@bash scripts/install-deps.sh

build/build.ninja: | deps
	@cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

build: deps build/build.ninja
	@cmake --build build -j $(JOBS)

debug: deps
	@cmake -S . -B build-debug -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-debug -j $(JOBS)

asan: deps
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

gcc: deps
	@cmake -S . -B build-gcc -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc-12 -DCMAKE_CXX_COMPILER=g++-12 >/dev/null
	@cmake --build build-gcc -j $(JOBS)

fuzz: deps
	@cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=ON -DWEFT_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

run: build
	@bash scripts/run-example.sh

test: build
	@bash scripts/test.sh

clean:
	rm -rf build build-debug build-asan build-gcc build-fuzz
