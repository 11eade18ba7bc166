#if canImport(Glibc)
  import Glibc
#endif

/// A pointer to float32 memory owned elsewhere (a view into a parameter or activation arena).
public typealias FloatPointer = UnsafeMutablePointer<Float>

/// Owns one contiguous, zero-initialised, 64-byte-aligned float32 allocation.
///
/// Parameters, gradients and optimizer state each live in one arena per rank (one
/// allreduce per bucket, one loop per optimizer, one memcpy per checkpoint tensor); named
/// tensors are views into it.
public final class FloatArena {
  public let count: Int
  public let base: FloatPointer

  public init(count: Int) {
    self.count = count
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
    base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    base.initialize(repeating: 0, count: max(count, 1))
  }

  deinit {
    base.deallocate()
  }

  /// The whole arena as a buffer.
  public var buffer: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: base, count: count)
  }

  /// Sets every element to zero.
  public func zero() {
    base.update(repeating: 0, count: count)
  }

  /// Sets the elements in `range` to zero and gives the whole memory pages inside it back to the
  /// operating system (`madvise(MADV_DONTNEED)`: they read as zero and take no memory until written
  /// again). ZeRO-2 uses it for the gradients a rank does not own.
  public func release(_ range: Range<Int>) {
    guard !range.isEmpty else { return }
    let pageFloats = Int(sysconf(Int32(_SC_PAGESIZE))) / 4
    let start = base + range.lowerBound
    // Whole pages strictly inside the range; the partial pages at its ends are zeroed by hand.
    let firstPage = (Int(bitPattern: start) + pageFloats * 4 - 1) / (pageFloats * 4) * (pageFloats * 4)
    let end = Int(bitPattern: base + range.upperBound)
    let lastPage = end / (pageFloats * 4) * (pageFloats * 4)
    guard firstPage < lastPage else {
      start.update(repeating: 0, count: range.count)
      return
    }
    let head = (firstPage - Int(bitPattern: start)) / 4
    let tail = (end - lastPage) / 4
    start.update(repeating: 0, count: head)
    (base + range.upperBound - tail).update(repeating: 0, count: tail)
    if madvise(UnsafeMutableRawPointer(bitPattern: firstPage), lastPage - firstPage, MADV_DONTNEED) != 0 {
      // Not releasable (should not happen for heap memory): zero it instead.
      (start + head).update(repeating: 0, count: range.count - head - tail)
    }
  }
}
