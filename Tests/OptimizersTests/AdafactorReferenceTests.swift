import Kernels
import Optimizers
import Testing

/// Replays Hugging Face Adafactor's five steps from the fixture's gradients and compares the
/// parameters after every step and the final state, tensor by tensor.
@Suite struct AdafactorReferenceTests {
  let fixture: AdafactorFixture
  let segments: [ParameterSegment]
  let arenaCount: Int
  /// Written into the alignment gaps between tensors; an update must never touch it.
  let sentinel: Float = 12345

  init() throws {
    fixture = try AdafactorFixture()
    var offset = 0
    var segments: [ParameterSegment] = []
    for tensor in fixture.tensors {
      let count = tensor.shape.reduce(1, *)
      segments.append(
        ParameterSegment(
          name: tensor.name, offset: offset, count: count, shape: tensor.shape,
          decays: tensor.decays))
      // Gaps of at least one float after each tensor, as ParameterLayout's 16-float alignment.
      offset += (count + 16) / 16 * 16
    }
    self.segments = segments
    arenaCount = offset
  }

  /// The largest |actual − expected| and the largest |expected| of one tensor.
  func difference(_ actual: UnsafePointer<Float>, _ expected: [Float]) -> (
    diff: Float, scale: Float
  ) {
    var diff: Float = 0
    var scale: Float = 0
    for (i, e) in expected.enumerated() {
      diff = max(diff, abs(actual[i] - e))
      scale = max(scale, abs(e))
    }
    return (diff, scale)
  }

  func fill(_ arena: FloatArena, _ values: [String: [Float]]) {
    for i in 0..<arena.count { arena.base[i] = sentinel }
    for segment in segments {
      (arena.base + segment.offset).update(from: values[segment.name]!, count: segment.count)
    }
  }

  func replay(_ run: AdafactorFixture.Run) throws {
    let label = run.beta1.map { "beta1 \($0)" } ?? "no beta1"
    let optimizer = try Adafactor(
      segments: segments, arenaCount: arenaCount, beta1: run.beta1,
      decayRate: fixture.double("decay_rate"),
      epsilon1: fixture.double("eps1"), clipThreshold: fixture.double("clip_threshold"),
      weightDecay: fixture.double("weight_decay"))
    let parameters = FloatArena(count: arenaCount)
    let gradients = FloatArena(count: arenaCount)
    let initial = Dictionary(uniqueKeysWithValues: fixture.tensors.map { ($0.name, $0.initial) })
    fill(parameters, initial)
    // Per tensor, the bound so far: each step adds, for both implementations, the update's
    // relative error times the step size (from the fixture) and γ₃ of |p| (ErrorBounds).
    var bounds = [String: Double]()
    for (step, grads) in fixture.grads.enumerated() {
      fill(gradients, grads)
      try optimizer.update(
        parameters: parameters.base, gradients: gradients.base, learningRate: fixture.double("lr"))
      #expect(optimizer.step == step + 1)
      for segment in segments {
        let expected = run.paramsAfter[step][segment.name]!
        let before = step == 0 ? initial[segment.name]! : run.paramsAfter[step - 1][segment.name]!
        let (diff, scale) = difference(parameters.base + segment.offset, expected)
        let stepSize = zip(expected, before).map { Double(abs($0 - $1)) }.max()!
        bounds[segment.name, default: 0] +=
          2
          * (ErrorBounds.adafactorUpdate(shape: segment.shape, step: step + 1) * stepSize
            + ErrorBounds.gamma(3) * Double(scale))
        let bound = bounds[segment.name]!
        let clipped = run.clipped[step].contains(segment.name) ? " (clipped)" : ""
        print(
          "adafactor \(label) step \(step + 1) \(segment.name)\(clipped): "
            + "max diff \(diff), bound \(bound) (max |p| \(scale), step \(stepSize))"
        )
        #expect(
          Double(diff) <= bound,
          "\(label) step \(step + 1) \(segment.name): max |param diff| \(diff) > bound \(bound)")
      }
    }
    let gaps = (0..<arenaCount).filter { i in
      !segments.contains { ($0.offset..<($0.offset + $0.count)).contains(i) }
    }
    #expect(
      gaps.allSatisfy { parameters.base[$0] == sentinel }, "the update wrote outside the segments")

    let tensors = optimizer.stateTensors
    let expectedCount = run.finalState.values.reduce(0) { $0 + $1.count }
    #expect(
      tensors.count == expectedCount,
      "\(label): state tensors \(tensors.map { "\($0.kind)/\($0.segmentName)" })")
    for tensor in tensors {
      guard let expected = run.finalState[tensor.kind]?[tensor.segmentName] else {
        Issue.record("\(label): Hugging Face has no state \(tensor.kind) for \(tensor.segmentName)")
        continue
      }
      #expect(tensor.shape == expected.shape, "\(tensor.kind)/\(tensor.segmentName) shape")
      // Second moments are positive, so an element-wise relative bound is meaningful.
      var worst: Float = 0
      for (i, e) in expected.values.enumerated() {
        worst = max(worst, abs(tensor.pointer[i] - e) / max(abs(e), .leastNormalMagnitude))
      }
      let (diff, scale) = difference(tensor.pointer, expected.values)
      print(
        "adafactor \(label) state \(tensor.kind)/\(tensor.segmentName): "
          + "max diff \(diff) (max \(scale)), max rel \(worst)"
      )
      // The state after all steps carries every step's update error (first moment, relative to
      // its largest entry) or second-moment error (relative, element-wise): twice the sum.
      let segment = segments.first { $0.name == tensor.segmentName }!
      let steps = fixture.grads.count
      let relative = 2 * (1...steps).map { ErrorBounds.adafactorUpdate(shape: segment.shape, step: $0) }.reduce(0, +)
      if tensor.kind == "exp_avg" {
        #expect(
          Double(diff) <= relative * Double(scale),
          "\(label) \(tensor.kind)/\(tensor.segmentName): max diff \(diff), bound \(relative * Double(scale))")
      } else {
        #expect(
          Double(worst) <= relative,
          "\(label) \(tensor.kind)/\(tensor.segmentName): max relative diff \(worst), bound \(relative)"
        )
      }
    }
  }

  @Test func fiveStepsWithoutFirstMomentMatchHuggingFace() throws {
    let run = try #require(fixture.runs.first { $0.beta1 == nil })
    try replay(run)
  }

  @Test func fiveStepsWithFirstMomentMatchHuggingFace() throws {
    let run = try #require(fixture.runs.first { $0.beta1 != nil })
    try replay(run)
  }

  @Test func fixtureExercisesClippedAndUnclippedUpdates() {
    for run in fixture.runs {
      let clipped = run.clipped.flatMap { $0 }
      #expect(!clipped.isEmpty, "some update is clipped")
      #expect(run.clipped.contains { $0.count < segments.count }, "some update is not clipped")
    }
  }
}
