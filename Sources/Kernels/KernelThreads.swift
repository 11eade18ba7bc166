import CBLAS
import Dispatch

/// How many threads the Swift-side kernels (attention heads, GELU, cross-entropy rows) split
/// their loops over: the rank's OpenBLAS thread count, set together with it by `setBLASThreads`.
///
/// Each split gives every element or row to exactly one thread and computes it the same way as
/// the serial loop, so results do not depend on the thread count.
public enum KernelThreads {
  nonisolated(unsafe) public internal(set) static var count = 1

  /// Splits `0..<total` into one contiguous range per thread (boundaries multiples of `align`),
  /// serially when `total` is below `minimum` (the dispatch would cost more than it saves).
  public static func forEachRange(_ total: Int, minimum: Int, align: Int = 1, _ body: (Range<Int>) -> Void) {
    let parts = total >= minimum ? min(count, max(1, total / max(1, align))) : 1
    if parts <= 1 {
      body(0..<total)
      return
    }
    let step = (total / parts + align - 1) / align * align
    DispatchQueue.concurrentPerform(iterations: parts) { part in
      let start = min(total, part * step)
      let end = part == parts - 1 ? total : min(total, start + step)
      if start < end { body(start..<end) }
    }
  }

  /// Runs `body` with OpenBLAS held to one thread, for regions that call `gemm` from several
  /// threads of their own (OpenBLAS's pool would otherwise be shared by concurrent calls).
  static func withSingleThreadedBLAS<R>(_ body: () -> R) -> R {
    let saved = Int(openblas_get_num_threads())
    if saved > 1 { openblas_set_num_threads(1) }
    defer { if saved > 1 { openblas_set_num_threads(Int32(saved)) } }
    return body()
  }
}
