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
}
