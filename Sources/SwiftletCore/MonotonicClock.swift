#if canImport(Glibc)
  import Glibc
#endif

/// Seconds from a monotonic clock (immune to wall-clock changes), for timing steps.
public enum MonotonicClock {
  public static func now() -> Double { seconds(CLOCK_MONOTONIC) }

  /// CPU seconds consumed by this process (all threads).
  public static func processCPUSeconds() -> Double { seconds(CLOCK_PROCESS_CPUTIME_ID) }

  private static func seconds(_ clock: clockid_t) -> Double {
    var spec = timespec()
    clock_gettime(clock, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
  }
}
