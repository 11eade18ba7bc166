import Kernels
import Optimizers
import Testing

/// AdamW against a case with a closed form.
@Suite struct AdamWTests {
  /// With a constant gradient g the bias-corrected moments are exactly g and g², so every step
  /// is θ ← θ·(1 − lr·λ) − lr·g / (|g| + ε) (Kingma & Ba 2015, section 2; Loshchilov & Hutter
  /// 2019, decoupled decay). Checked for four steps in double precision.
  @Test func constantGradientFollowsTheClosedForm() {
    let segments = [
      ParameterSegment(name: "w", offset: 0, count: 11, shape: [11], decays: true),
      ParameterSegment(name: "b", offset: 16, count: 5, shape: [5], decays: false),
    ]
    let (lr, wd, eps) = (1e-2, 0.1, 1e-8)
    let adam = AdamW(
      segments: segments, arenaCount: 21, beta1: 0.9, beta2: 0.95, epsilon: eps, weightDecay: wd)
    let parameters = FloatArena(count: 21)
    let gradients = FloatArena(count: 21)
    for i in 0..<21 {
      parameters.base[i] = Float(i) * 0.1 - 1
      gradients.base[i] = Float(i % 7) * 0.3 - 0.9  // includes 0 and both signs
    }
    let initial = Array(parameters.buffer)
    var expected = initial.map(Double.init)
    for _ in 0..<4 {
      adam.update(parameters: parameters.base, gradients: gradients.base, learningRate: lr)
      for segment in segments {
        for i in segment.offset..<(segment.offset + segment.count) {
          let g = Double(gradients.base[i])
          expected[i] = expected[i] * (segment.decays ? 1 - lr * wd : 1) - lr * g / (abs(g) + eps)
        }
      }
    }
    var worst = 0.0
    for segment in segments {
      for i in segment.offset..<(segment.offset + segment.count) {
        worst = max(worst, abs(Double(parameters.base[i]) - expected[i]))
      }
    }
    // Per step the float32 update rounds θ·(1 − lr·λ) − step (γ₃·|θ|) and its m̂/(√v̂ + ε), whose
    // moments carry ≤ 3 roundings per step so far plus √, ÷, + ε, ÷, × (γ_{3t+6}·lr).
    let largest = (initial + expected.map(Float.init)).map { Double(abs($0)) }.max()!
    let bound = (1...4).map { t in ErrorBounds.gamma(3) * (largest + lr) + ErrorBounds.gamma(3 * t + 6) * lr }
      .reduce(0, +)
    print("AdamW closed form: max diff \(worst) after 4 steps, bound \(bound)")
    #expect(worst <= bound)
    #expect(
      Array(parameters.buffer[11..<16]) == Array(initial[11..<16]),
      "the gap between segments is untouched")
  }

  @Test func stateTensorsAreTheMomentsOfEachSegment() {
    let segments = [
      ParameterSegment(name: "w", offset: 0, count: 6, shape: [2, 3], decays: true),
      ParameterSegment(name: "b", offset: 16, count: 3, shape: [3], decays: false),
    ]
    let adam = AdamW(segments: segments, arenaCount: 19)
    let views = adam.stateTensors.map { "\($0.kind)/\($0.segmentName) \($0.shape)" }
    #expect(
      views == ["exp_avg/w [2, 3]", "exp_avg/b [3]", "exp_avg_sq/w [2, 3]", "exp_avg_sq/b [3]"])
    #expect(adam.stateTensors[1].pointer == adam.firstMoment.base + 16)
    #expect(adam.stateTensors[3].pointer == adam.secondMoment.base + 16)
  }
}
