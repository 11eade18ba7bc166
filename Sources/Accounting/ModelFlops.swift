import GPT

/// Analytic training FLOPs of a GPT model: the numerators of MFU and of published compute tables.
///
/// Two conventions are kept apart on purpose (docs/accounting.md):
///
/// - **`flops` = 6·N·D**, where N is the parameter count and D the tokens trained on: the
///   convention of published compute tables (Brown et al. 2020, GPT-3 Table D.1; Kaplan et al.
///   2020, section 2.1). 2·N per token for the forward pass, twice that for the backward pass.
/// - **`model_flops` = (6·N + 12·n_layer·d_model·seq_len)·D**: PaLM's "model FLOPs" (Chowdhery
///   et al. 2022, Appendix B), which adds the attention score and value matmuls, `QKᵀ` and `PV`,
///   counted over full `T×T` matrices (2·T·C each per token per layer, ×3 for forward and
///   backward). This is the numerator of MFU everywhere in Swiftlet.
///
/// The attention term differs by 2× between the formulas in the wild: llm.c counts
/// `6N + 6·L·C·T` (it halves the term for the causal mask), nanoGPT and PaLM count
/// `6N + 12·L·C·T`. Swiftlet uses PaLM's (docs/accounting.md), so MFU figures compare with PaLM's and nanoGPT's.
///
/// N is `GPTConfig.parameterCount`, all trainable parameters with the tied head counted once
/// (docs/accounting.md; the position table is looked up, not multiplied, so 6·N slightly
/// overcounts by 6·n_ctx·d_model, under 1% for every preset).
public enum ModelFlops {
  /// PaLM model FLOPs per token: `6·N + 12·n_layer·d_model·seq_len`.
  public static func perToken(parameters: Double, nLayer: Int, dModel: Int, seqLen: Int) -> Double {
    6 * parameters + 12 * Double(nLayer) * Double(dModel) * Double(seqLen)
  }

  /// PaLM model FLOPs per token of `config` at sequence length `seqLen`.
  public static func perToken(_ config: GPTConfig, seqLen: Int) -> Double {
    perToken(
      parameters: Double(config.parameterCount), nLayer: config.nLayer, dModel: config.dModel,
      seqLen: seqLen)
  }

  /// PaLM model FLOPs of one optimizer step that consumes `tokensPerStep` tokens over ALL ranks.
  ///
  /// Pass the global token count (docs/configuration.md: `batch_size` is global); dividing by the
  /// number of devices is MFU's business, done once (nanoGPT PR #619 divided twice).
  public static func perStep(_ config: GPTConfig, tokensPerStep: Int, seqLen: Int) -> Double {
    perToken(config, seqLen: seqLen) * Double(tokensPerStep)
  }

  /// The published-table convention: `6·N·D`.
  public static func sixND(parameters: Double, tokens: Double) -> Double {
    6 * parameters * tokens
  }
}

/// Model FLOPs utilisation (PaLM Appendix B): achieved model FLOP/s over the peak of the devices.
public enum MFU {
  /// `modelFlops / seconds / (devices × peakPerDevice)`.
  ///
  /// - Parameters:
  ///   - modelFlops: PaLM model FLOPs done by the WHOLE job in `seconds` (global tokens).
  ///   - devices: every device of the job, i.e. the global number of ranks. The division by the
  ///     world happens here and only here.
  ///   - peakPerDevice: FLOP/s one device (rank) can reach, e.g. `HardwareProfile.peakFlops`.
  public static func utilisation(
    modelFlops: Double, seconds: Double, devices: Int, peakPerDevice: Double
  ) -> Double {
    guard seconds > 0, devices > 0, peakPerDevice > 0 else { return 0 }
    return modelFlops / seconds / (Double(devices) * peakPerDevice)
  }
}
