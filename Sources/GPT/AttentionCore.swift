import Kernels

/// The part of self-attention between the QKV projection and the output projection:
/// `out[B, T, Cl]` from `qkv[B, T, 3·Cl]` (per token `[q | k | v]`, heads contiguous).
///
/// `TransformerBlock.forward` runs one of two: training's `CausalAttention` over whole
/// sequences, or the decoder's `CachedAttention`, which attends one new position to the
/// key/value cache. Everything else in the block is the same code for both.
protocol AttentionCore {
  /// Fills `out` (and, for the backward pass, `logSumExp[B, Hl, T]`) from `qkv`, using
  /// `scratch` (`CausalAttention.scratchCount(seqLen:)` floats).
  func forward(
    out: FloatPointer, logSumExp: FloatPointer, qkv: UnsafePointer<Float>, scratch: FloatPointer, batch: Int,
    seqLen: Int)
}

extension CausalAttention: AttentionCore {}
