/// Owns every buffer a test passes to the kernels.
///
/// Kernels take raw pointers, and Swift may release an object right after its last use, which
/// for `buffer.pointer` is *before* the kernel call. Buffers are therefore created through a
/// `TestMemory` stored in the suite: a test method's `self` stays alive for the whole call, and
/// with it every buffer.
final class TestMemory {
  private var owned: [AnyObject] = []

  /// A buffer holding a copy of `values`.
  func buffer<Element>(_ values: [Element]) -> TestBuffer<Element> {
    let buffer = TestBuffer(values)
    owned.append(buffer)
    return buffer
  }

  /// A buffer of `count` copies of `value`.
  func buffer<Element>(repeating value: Element, count: Int) -> TestBuffer<Element> {
    buffer([Element](repeating: value, count: count))
  }
}

/// A heap array with a stable pointer (see `TestMemory` for its lifetime).
final class TestBuffer<Element> {
  let count: Int
  let pointer: UnsafeMutablePointer<Element>

  fileprivate init(_ values: [Element]) {
    count = values.count
    pointer = .allocate(capacity: max(values.count, 1))
    pointer.initialize(from: values, count: values.count)
  }

  deinit {
    pointer.deinitialize(count: count)
    pointer.deallocate()
  }

  /// A copy of the current contents.
  var array: [Element] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

  subscript(index: Int) -> Element {
    get { pointer[index] }
    set { pointer[index] = newValue }
  }
}
