/// Measures the float32 GEMM throughput OpenBLAS reaches on this machine: the denominator of
/// MFU (BRIEF: measure the peak of the machine we run on instead of trusting a datasheet).
public enum SgemmPeak {
  /// FLOP/s of a square `size`³ `cblas_sgemm` with the current thread count, best of a few runs
  /// lasting about `seconds` in total.
  public static func measure(threads: Int, size: Int = 1024, seconds: Double = 1.0) -> Double {
    let previous = blasThreads
    setBLASThreads(threads)
    defer { setBLASThreads(previous) }
    let a = FloatArena(count: size * size)
    let b = FloatArena(count: size * size)
    let c = FloatArena(count: size * size)
    for i in 0..<(size * size) {
      a.base[i] = Float(i % 7) * 0.01
      b.base[i] = Float(i % 5) * 0.01
    }
    let flops = 2 * Double(size) * Double(size) * Double(size)
    var best = 0.0
    let deadline = clock() + seconds
    gemm(c.base, a.base, b.base, m: size, n: size, k: size)  // warm-up
    repeat {
      let start = clock()
      gemm(c.base, a.base, b.base, m: size, n: size, k: size)
      best = max(best, flops / (clock() - start))
    } while clock() < deadline
    FlopCounter.reset()
    return best
  }

  private static func clock() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
  }
}

#if canImport(Glibc)
  import Glibc
#endif
