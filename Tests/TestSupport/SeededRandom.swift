/// SplitMix64 (Steele, Lea & Flood 2014): a tiny deterministic generator, so every test sees
/// the same inputs on every run and a failure can be reproduced.
public struct SeededRandom: RandomNumberGenerator {
  private var state: UInt64

  /// A generator whose sequence is fixed by `seed`.
  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// `count` floats uniform in `range`.
  public mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
    (0..<count).map { _ in Float.random(in: range, using: &self) }
  }

  /// `count` token ids uniform in `0..<upperBound`.
  public mutating func tokens(_ count: Int, below upperBound: Int) -> [Int32] {
    (0..<count).map { _ in Int32.random(in: 0..<Int32(upperBound), using: &self) }
  }
}
