import Kernels
import TestSupport
import Testing

/// Token embedding from a vocabulary shard plus position embedding, forward and backward.
///
/// The shard holds rows [4, 8) of a 10-row table; tokens below, inside (repeated) and above it
/// occur. Both maps are linear, so outputs are exact copies/sums (checked to 1e-6 relative) and
/// the double finite differences are exact up to ~1e-10; the float backward only adds up to
/// B = 3 terms per entry, so 1e-6 relative is ample, while a dropped or misplaced row is O(1).
struct EmbeddingTests {
  let memory = TestMemory()
  let batch = 3
  let seqLen = 5
  let channels = 6
  let firstRow = 4
  let shardRows = 4
  let vocabulary = 10

  func tokens() -> [Int32] {
    var random = SeededRandom(seed: 71)
    var tokens = random.tokens(batch * seqLen, below: vocabulary)
    // Guarantee the interesting cases: a repeated in-shard token, one below, one above.
    tokens[0] = 5
    tokens[1] = 5
    tokens[7] = 5
    tokens[2] = 0
    tokens[3] = 9
    tokens[4] = Int32(firstRow)
    tokens[5] = Int32(firstRow + shardRows - 1)
    return tokens
  }

  /// out[b, t] = wte_shard[token − firstRow] (0 if outside the shard) + wpe[t].
  func reference(tokens: [Int32], wte: [Double], wpe: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: batch * seqLen * channels)
    for b in 0..<batch {
      for t in 0..<seqLen {
        let local = Int(tokens[b * seqLen + t]) - firstRow
        for c in 0..<channels {
          let token = (0..<shardRows).contains(local) ? wte[local * channels + c] : 0
          out[(b * seqLen + t) * channels + c] = token + wpe[t * channels + c]
        }
      }
    }
    return out
  }

  @Test("token embedding from a shard plus position embedding matches the reference")
  func forwardMatchesReference() {
    var random = SeededRandom(seed: 72)
    let wte = random.floats(shardRows * channels)
    let wpe = random.floats(seqLen * channels)
    let tokens = tokens()
    let out = memory.buffer(repeating: Float.nan, count: batch * seqLen * channels)
    tokenEmbeddingForward(
      out: out.pointer, tokens: memory.buffer(tokens).pointer, table: memory.buffer(wte).pointer,
      firstRow: firstRow, rows: shardRows, count: batch * seqLen, channels: channels)
    positionEmbeddingForward(
      x: out.pointer, table: memory.buffer(wpe).pointer, batch: batch, seqLen: seqLen, channels: channels)
    let error = measureError(
      out.array, reference(tokens: tokens, wte: wte.map(Double.init), wpe: wpe.map(Double.init)))
    report("embedding forward", error)
    #expect(error.relative < 1e-6, "\(error)")
  }

  @Test("token and position embedding backward add double finite-difference gradients")
  func backwardMatchesFiniteDifferences() {
    var random = SeededRandom(seed: 73)
    let wte = random.floats(shardRows * channels)
    let wpe = random.floats(seqLen * channels)
    let dout = random.floats(batch * seqLen * channels)
    let tokens = tokens()
    let starts = (random.floats(shardRows * channels), random.floats(seqLen * channels))
    let dwte = memory.buffer(starts.0)
    let dwpe = memory.buffer(starts.1)
    let doutBuffer = memory.buffer(dout)
    tokenEmbeddingBackward(
      dtable: dwte.pointer, dout: doutBuffer.pointer, tokens: memory.buffer(tokens).pointer,
      firstRow: firstRow, rows: shardRows, count: batch * seqLen, channels: channels)
    positionEmbeddingBackward(
      dtable: dwpe.pointer, dout: doutBuffer.pointer, batch: batch, seqLen: seqLen, channels: channels)

    let (wteD, wpeD) = (wte.map(Double.init), wpe.map(Double.init))
    let gradWte = numericalGradient(at: wteD) {
      weightedSum(reference(tokens: tokens, wte: $0, wpe: wpeD), dout)
    }
    let gradWpe = numericalGradient(at: wpeD) {
      weightedSum(reference(tokens: tokens, wte: wteD, wpe: $0), dout)
    }
    for (name, actual, expected) in [
      ("dwte", difference(dwte.array, starts.0), gradWte),
      ("dwpe", difference(dwpe.array, starts.1), gradWpe),
    ] {
      let error = measureError(actual, expected)
      report("embedding backward \(name)", error)
      #expect(error.relative < 1e-6, "\(name): \(error)")
    }
  }
}
