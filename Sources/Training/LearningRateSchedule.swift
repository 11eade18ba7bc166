import Foundation

/// Linear warm-up then cosine decay (docs/configuration.md; Loshchilov & Hutter 2017's cosine,
/// as in GPT-3 and nanoGPT):
///
///     lr(s) = lr · (s + 1) / W                                   for s < W
///     lr(s) = min_lr + ½ (1 + cos(π · (s − W) / (S − W))) (lr − min_lr)   otherwise
///
/// where `s` is the 0-based update index, W = warmup_steps and S = max_steps. With W = 0 and
/// min_lr = lr the rate is constant.
struct LearningRateSchedule: Sendable {
  let peak: Double
  let minimum: Double
  let warmupSteps: Int
  let totalSteps: Int

  func rate(atStep step: Int) -> Double {
    if step < warmupSteps {
      return peak * Double(step + 1) / Double(warmupSteps)
    }
    let span = max(1, totalSteps - warmupSteps)
    let progress = min(1, Double(step - warmupSteps) / Double(span))
    return minimum + 0.5 * (1 + cos(Double.pi * progress)) * (peak - minimum)
  }
}
