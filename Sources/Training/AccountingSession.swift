import GPT
import Parallel

/// The training loop's view of compute accounting: one call per step, cumulative figures back.
final class AccountingSession {
  struct StepEntry {
    var mfu: Double
    var cumulativeFlops: Double
    var cumulativeEnergyKWh: Double
    var cumulativeCO2eKg: Double
    var smoothedStepSeconds: Double
  }

  let config: RunConfig
  let grid: ProcessGrid
  private var flops: Double = 0
  private var smoothed: Double = 0
  private var stepsSeen = 0

  init(config: RunConfig, grid: ProcessGrid) throws {
    self.config = config
    self.grid = grid
  }

  /// Model FLOPs of one step by PaLM Appendix B: (6N + 12·L·C·T) per token.
  var modelFlopsPerStep: Double {
    let m = config.model
    let perToken = 6 * Double(m.parameterCount) + 12 * Double(m.nLayer * m.dModel * config.seqLen)
    return perToken * Double(config.tokensPerStep)
  }

  /// The cumulative ledger as stored in checkpoints (`/accounting` attributes).
  var ledger: [String: Double] {
    ["flops": flops]
  }

  /// Continues the totals of a resumed run.
  func restore(ledger: [String: Double], resumedStep: Int) {
    flops = ledger["flops"] ?? modelFlopsPerStep * Double(resumedStep)
  }

  func recordStep(tokens: Int, seconds: Double, cpuSeconds: Double) throws -> StepEntry {
    flops += modelFlopsPerStep
    stepsSeen += 1
    // Bias-corrected EMA of the step time (llm.c): step 1 includes warm-up and is left out.
    if stepsSeen > 1 {
      smoothed = smoothed == 0 ? seconds : 0.9 * smoothed + 0.1 * seconds
    }
    return StepEntry(
      mfu: 0, cumulativeFlops: flops, cumulativeEnergyKWh: 0, cumulativeCO2eKg: 0,
      smoothedStepSeconds: smoothed == 0 ? seconds : smoothed)
  }
}
