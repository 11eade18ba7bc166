/// Resume state beyond tensors and the ledger, stored in the `/state` group.
///
/// Scalars become attributes of `/state` (so `h5py` shows them with `f["state"].attrs`);
/// arrays become small datasets `/state/<name>` with a CRC-32 like every other dataset. Keys
/// share one namespace: a name may appear in only one of the dictionaries.
public struct CheckpointState: Equatable, Sendable {
  /// Integer scalars: RNG counters, the optimizer's step, data cursors.
  public var integers: [String: Int64]
  /// Floating-point scalars: loss-scale, smoothed throughput, …
  public var doubles: [String: Double]
  /// Text: e.g. the parallel layout that wrote the file (informational; never needed to load).
  public var strings: [String: String]
  /// Small integer arrays, e.g. one data cursor per data-parallel rank.
  public var integerArrays: [String: [Int64]]
  /// Opaque byte blobs, e.g. a JSON document.
  public var byteArrays: [String: [UInt8]]

  public init(
    integers: [String: Int64] = [:], doubles: [String: Double] = [:],
    strings: [String: String] = [:],
    integerArrays: [String: [Int64]] = [:], byteArrays: [String: [UInt8]] = [:]
  ) {
    self.integers = integers
    self.doubles = doubles
    self.strings = strings
    self.integerArrays = integerArrays
    self.byteArrays = byteArrays
  }

  /// Every key, with duplicates across the dictionaries kept (so they can be detected).
  var allKeys: [String] {
    Array(integers.keys) + Array(doubles.keys) + Array(strings.keys) + Array(integerArrays.keys)
      + Array(byteArrays.keys)
  }
}
