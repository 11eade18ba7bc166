import SwiftletCore

/// The memory bandwidth one thread reaches on this machine, for judging memory-bound phases
/// (the optimizer streams parameters, gradients and state once per step).
///
/// A STREAM-style triad, `a[i] = b[i] + s·c[i]`, over arrays far larger than the caches: 3 × 4
/// bytes move per element (the write-allocate read of `a` is not counted, as STREAM does not).
public enum MemoryBandwidth {
  /// Best bytes per second of `passes` triads over `count` floats per array.
  public static func triad(count: Int = 1 << 25, passes: Int = 4) -> Double {
    let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
    let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer {
      a.deallocate()
      b.deallocate()
      c.deallocate()
    }
    for i in 0..<count {
      a[i] = 0
      b[i] = Float(i & 1023)
      c[i] = 1
    }
    var best = 0.0
    for _ in 0..<passes {
      let start = MonotonicClock.now()
      for i in 0..<count { a[i] = b[i] + 3 * c[i] }
      let elapsed = MonotonicClock.now() - start
      best = max(best, 12 * Double(count) / elapsed)
    }
    // Keep the result observable so the loop is not optimised away.
    if a[count / 2] < 0 { print(a[count / 2]) }
    return best
  }
}
