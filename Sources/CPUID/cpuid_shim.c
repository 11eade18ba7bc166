#include "cpuid_shim.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int swiftlet_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) {
  registers[0] = registers[1] = registers[2] = registers[3] = 0;
  // Extended leaves (0x8000_0000 and up) have their own maximum.
  if (__get_cpuid_max(leaf & 0x80000000u, 0) < leaf) return 0;
  __cpuid_count(leaf, subleaf, registers[0], registers[1], registers[2], registers[3]);
  return 1;
}

uint64_t swiftlet_xcr0(void) {
  uint32_t r[4];
  // XGETBV exists only when the OS has enabled XSAVE (CPUID.1:ECX.OSXSAVE, bit 27).
  if (!swiftlet_cpuid(1, 0, r) || !(r[2] & (1u << 27))) return 0;
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((uint64_t)edx << 32) | eax;
}

#else

int swiftlet_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) {
  (void)leaf; (void)subleaf;
  registers[0] = registers[1] = registers[2] = registers[3] = 0;
  return 0;
}

uint64_t swiftlet_xcr0(void) { return 0; }

#endif
