#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// A counter-based random number generator: every value is a pure function of a key and an
/// index, so the same stream can be produced in any order and from any shard of a tensor.
///
/// Initialisation draws element `i` of parameter `name` as `normal(key: hash(seed, name), i)`,
/// which makes the initial weights independent of the parallel layout (docs/architecture.md).
/// The mixer is SplitMix64's finaliser (Steele, Lea & Flood 2014), applied twice per draw.
public struct CounterRNG: Sendable {
  /// The stream's key, already mixed from the seed and a name.
  public let key: UInt64

  /// A stream keyed by `seed` and a `name` (for example a parameter's Hugging Face name).
  public init(seed: UInt64, name: String) {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a offset basis
    for byte in name.utf8 {
      hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    key = CounterRNG.mix(seed &+ CounterRNG.mix(hash))
  }

  /// A stream keyed by `seed` and a numeric `stream` id (for example the step number).
  public init(seed: UInt64, stream: UInt64) {
    key = CounterRNG.mix(seed ^ CounterRNG.mix(stream &+ 0x9e37_79b9_7f4a_7c15))
  }

  /// 64 random bits for counter `index`.
  @inline(__always)
  public func bits(_ index: UInt64) -> UInt64 {
    CounterRNG.mix(key &+ CounterRNG.mix(index &* 0x9e37_79b9_7f4a_7c15 &+ 1))
  }

  /// A uniform double in [0, 1) for counter `index` (53 random bits).
  @inline(__always)
  public func uniform(_ index: UInt64) -> Double {
    Double(bits(index) >> 11) * 0x1.0p-53
  }

  /// A standard normal draw for counter `index` (Box–Muller on two sub-counters).
  @inline(__always)
  public func normal(_ index: UInt64) -> Double {
    let u1 = 1.0 - uniform(index &* 2)  // (0, 1], safe for log
    let u2 = uniform(index &* 2 &+ 1)
    return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
  }

  @inline(__always)
  static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9e37_79b9_7f4a_7c15
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
}
