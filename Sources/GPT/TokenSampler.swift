import SwiftletCore

/// Picks the next token from logits: greedy at temperature 0, otherwise softmax(logits / T)
/// restricted to the `topK` most likely tokens (0 = all), drawn with a counter-based RNG so the
/// same seed gives the same text.
public struct TokenSampler {
  public var temperature: Double
  public var topK: Int
  public let rng: CounterRNG

  public init(temperature: Double, topK: Int, seed: UInt64) {
    self.temperature = temperature
    self.topK = topK
    rng = CounterRNG(seed: seed, stream: 0x5a3e)
  }

  public func pick(logits: UnsafePointer<Float>, vocabSize: Int, draw: Int) -> Int {
    if temperature <= 0 {
      var best = 0
      for i in 1..<vocabSize where logits[i] > logits[best] { best = i }
      return best
    }
    var candidates = Array(0..<vocabSize)
    if topK > 0 && topK < vocabSize {
      candidates.sort { logits[$0] > logits[$1] }
      candidates.removeLast(vocabSize - topK)
    }
    let maximum = candidates.map { Double(logits[$0]) }.max()!
    let weights = candidates.map { exp((Double(logits[$0]) - maximum) / temperature) }
    let total = weights.reduce(0, +)
    var threshold = rng.uniform(UInt64(draw)) * total
    for (i, weight) in weights.enumerated() {
      threshold -= weight
      if threshold <= 0 { return candidates[i] }
    }
    return candidates.last!
  }
}

#if canImport(Glibc)
  import Glibc
#endif
