#pragma once
#include <stdint.h>

/// Runs CPUID for `leaf`/`subleaf` and stores EAX, EBX, ECX, EDX in `registers`.
/// Returns 0 (and zeros) when the leaf is above the CPU's maximum or the CPU is not x86.
int swiftlet_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]);

/// XCR0: which register states the operating system saves on a context switch (bit 1 SSE,
/// 2 AVX, 5-7 AVX-512, 17-18 AMX). 0 when XGETBV is not available.
uint64_t swiftlet_xcr0(void);
