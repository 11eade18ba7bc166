# Swiftlet — the two front-door commands are `make demo` and `make test` (see README.md).
# Both install what they need first, so they work on a fresh Debian 12 machine with Swift.

SHELL := /bin/bash
SWIFT ?= swift
RANKS ?= 2
PYTHON ?= python3
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1

.PHONY: demo test lint format setup setup-python build data bench clean

## The main job: set up, build, prepare tiny Shakespeare, train on $(RANKS) ranks with a
## checkpoint, resume, sample, and print the compute/carbon report.
demo: setup build data
	bash launch/demo.sh

## The whole test suite. Release build (the numerical tests train real models) with testing
## enabled, so one build serves the unit tests and the executable the CLI tests launch. The
## reference tests run under every OpenBLAS kernel this CPU executes (launch/run-tests.sh).
test: setup setup-python lint
	bash launch/setup-tokenizer.sh
	$(SWIFT) build -c release -Xswiftc -enable-testing --build-tests
	bash launch/run-tests.sh

## Formatting: the committed .swift-format, strict (a finding fails the build). `make format` fixes most.
lint:
	$(SWIFT) format lint --strict --configuration .swift-format -r Sources Tests Package.swift

format:
	$(SWIFT) format format --configuration .swift-format -i -r Sources Tests Package.swift

## System packages (Open MPI, OpenBLAS, HDF5) — skipped when already installed.
setup:
	bash launch/setup-system.sh

## Python packages the reference tests use (CPU torch from the local wheel folder, transformers, h5py, tiktoken).
setup-python:
	bash launch/setup-python.sh

build:
	$(SWIFT) build -c release

## Tokenizer files and tiny Shakespeare token shards in data/.
data: build
	bash launch/setup-tokenizer.sh
	bash launch/prepare-shakespeare.sh

## Speed figures: one rank vs PyTorch, T=1024 MFU, dp/tp scaling (see docs/performance.md).
bench: build
	bash launch/bench.sh

clean:
	rm -rf .build runs data
