#if canImport(Glibc)
  import Glibc
#endif

/// Seconds from a monotonic clock (immune to wall-clock changes), for timing steps.
public enum MonotonicClock {
  public static func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
  }

  /// CPU seconds consumed by this process (all threads).
  public static func processCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
  }
}
