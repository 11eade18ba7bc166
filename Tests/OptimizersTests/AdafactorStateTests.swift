import Kernels
import Optimizers
import SwiftletCore
import Testing

/// Adafactor's state layout, its memory, resuming through `stateTensors`, and input checks.
@Suite struct AdafactorStateTests {
  /// Segments like ParameterLayout's at tp = 1: GPT-2 order, HF shapes, 16-float alignment.
  static func gpt2Segments(layers: Int, width c: Int, vocab: Int, context: Int) -> (
    segments: [ParameterSegment], arenaCount: Int
  ) {
    var segments: [ParameterSegment] = []
    var offset = 0
    func add(_ name: String, _ shape: [Int]) {
      let count = shape.reduce(1, *)
      segments.append(
        ParameterSegment(
          name: name, offset: offset, count: count, shape: shape, decays: shape.count >= 2))
      offset += (count + 15) / 16 * 16
    }
    add("transformer.wte.weight", [vocab, c])
    add("transformer.wpe.weight", [context, c])
    for i in 0..<layers {
      let p = "transformer.h.\(i)."
      add(p + "ln_1.weight", [c])
      add(p + "ln_1.bias", [c])
      add(p + "attn.c_attn.weight", [c, 3 * c])
      add(p + "attn.c_attn.bias", [3 * c])
      add(p + "attn.c_proj.weight", [c, c])
      add(p + "attn.c_proj.bias", [c])
      add(p + "ln_2.weight", [c])
      add(p + "ln_2.bias", [c])
      add(p + "mlp.c_fc.weight", [c, 4 * c])
      add(p + "mlp.c_fc.bias", [4 * c])
      add(p + "mlp.c_proj.weight", [4 * c, c])
      add(p + "mlp.c_proj.bias", [c])
    }
    add("transformer.ln_f.weight", [c])
    add("transformer.ln_f.bias", [c])
    return (segments, offset)
  }

  /// Seeded values in [-1, 1) (a counter-based hash, so no RNG state is shared between tests).
  static func seeded(_ count: Int, seed: UInt64) -> [Float] {
    (0..<count).map { i in
      var x = (UInt64(i) &+ seed &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
      x ^= x >> 31
      return Float(x >> 40) / Float(1 << 23) - 1
    }
  }

  @Test func gpt2XLStateIsSublinearInTheParameters() throws {
    let (segments, arenaCount) = Self.gpt2Segments(
      layers: 48, width: 1600, vocab: 50257, context: 1024)
    let parameters = segments.reduce(0) { $0 + $1.count }
    #expect(parameters == 1_557_611_200, "GPT-2 1558M has 1,557,611,200 parameters")
    // Without beta1 no state is parameter-sized, so building the optimizer is cheap.
    let optimizer = try Adafactor(segments: segments, arenaCount: arenaCount)
    let allocated = optimizer.stateArenas.reduce(0) { $0 + $1.arena.count }
    let exact = optimizer.stateTensors.reduce(0) { $0 + $1.count }
    let withFirstMoment = allocated + arenaCount
    let adamWBytes = 8 * Double(parameters)
    print(
      "GPT-2 1558M: \(parameters) parameters; AdamW state \(adamWBytes / 1e9) GB; Adafactor state "
        + "\(4 * Double(exact) / 1e6) MB in \(exact) floats "
        + "(\(4 * Double(allocated) / 1e6) MB allocated), "
        + "with beta1 \(4 * Double(withFirstMoment) / 1e9) GB")
    #expect(4 * Double(allocated) < adamWBytes / 1000, "factored state under 0.1% of AdamW's")
  }

  @Test func stateTensorsHaveHuggingFaceShapesAndDisjointStorage() throws {
    let segments = [
      ParameterSegment(name: "w", offset: 0, count: 24, shape: [4, 6], decays: true),
      ParameterSegment(name: "b", offset: 32, count: 6, shape: [6], decays: false),
      ParameterSegment(name: "s", offset: 48, count: 30, shape: [3, 2, 5], decays: true),
    ]
    let optimizer = try Adafactor(segments: segments, arenaCount: 80, beta1: 0.9)
    let shapes = optimizer.stateTensors.map { "\($0.kind)/\($0.segmentName) \($0.shape)" }
    #expect(
      shapes == [
        "exp_avg/w [4, 6]", "exp_avg_sq_row/w [4]", "exp_avg_sq_col/w [6]",
        "exp_avg/b [6]", "exp_avg_sq/b [6]",
        "exp_avg/s [3, 2, 5]", "exp_avg_sq_row/s [3, 2]", "exp_avg_sq_col/s [3, 5]",
      ])
    #expect(
      optimizer.stateArenas.map(\.kind) == [
        "exp_avg", "exp_avg_sq_row", "exp_avg_sq_col", "exp_avg_sq",
      ])
    // Every view lies inside one arena and no two views overlap.
    var claimed: [(start: UnsafeMutablePointer<Float>, end: UnsafeMutablePointer<Float>)] = []
    for tensor in optimizer.stateTensors {
      let inside = optimizer.stateArenas.contains {
        tensor.pointer >= $0.arena.base
          && tensor.pointer + tensor.count <= $0.arena.base + $0.arena.count
      }
      #expect(inside, "\(tensor.kind)/\(tensor.segmentName) lies in an arena")
      let end = tensor.pointer + tensor.count
      #expect(
        !claimed.contains { tensor.pointer < $0.end && $0.start < end },
        "\(tensor.kind)/\(tensor.segmentName) overlaps")
      claimed.append((tensor.pointer, end))
    }
  }

  @Test func resumingFromCopiedStateTensorsContinuesBitIdentically() throws {
    let (segments, count) = Self.gpt2Segments(layers: 1, width: 8, vocab: 21, context: 4)
    let initial = Self.seeded(count, seed: 1)
    let grads = (0..<4).map { Self.seeded(count, seed: 100 + UInt64($0)) }
    func run(_ optimizer: Adafactor, _ parameters: FloatArena, steps: Range<Int>) throws {
      for step in steps {
        try grads[step].withUnsafeBufferPointer {
          try optimizer.update(
            parameters: parameters.base, gradients: $0.baseAddress!, learningRate: 1e-2)
        }
      }
    }
    let straight = try Adafactor(
      segments: segments, arenaCount: count, beta1: 0.9, weightDecay: 0.1)
    let straightParameters = FloatArena(count: count)
    straightParameters.base.update(from: initial, count: count)
    try run(straight, straightParameters, steps: 0..<2)
    // "Checkpoint" after two steps: the parameters, the step and every state tensor by name.
    let saved = Dictionary(
      uniqueKeysWithValues: straight.stateTensors.map {
        (
          "\($0.kind)/\($0.segmentName)",
          Array(UnsafeBufferPointer(start: $0.pointer, count: $0.count))
        )
      })
    let resumedParameters = FloatArena(count: count)
    resumedParameters.base.update(from: straightParameters.base, count: count)
    try run(straight, straightParameters, steps: 2..<4)

    let resumed = try Adafactor(segments: segments, arenaCount: count, beta1: 0.9, weightDecay: 0.1)
    resumed.step = 2
    for tensor in resumed.stateTensors {
      let values = try #require(saved["\(tensor.kind)/\(tensor.segmentName)"])
      tensor.pointer.update(from: values, count: tensor.count)
    }
    try run(resumed, resumedParameters, steps: 2..<4)
    #expect(Array(straightParameters.buffer) == Array(resumedParameters.buffer))
    #expect(Array(straightParameters.buffer) != initial, "the steps changed the parameters")
  }

  @Test func zeroGradientsLeaveParametersAndStateFinite() throws {
    let segments = [
      ParameterSegment(name: "w", offset: 0, count: 12, shape: [3, 4], decays: false),
      ParameterSegment(name: "b", offset: 16, count: 4, shape: [4], decays: false),
    ]
    let optimizer = try Adafactor(segments: segments, arenaCount: 20)
    let parameters = FloatArena(count: 20)
    let initial = Self.seeded(20, seed: 7)
    parameters.base.update(from: initial, count: 20)
    let gradients = FloatArena(count: 20)
    for _ in 0..<3 {
      try optimizer.update(parameters: parameters.base, gradients: gradients.base, learningRate: 0.1)
    }
    // ε₁ keeps 1/√v finite, so U = (1/√v)·0 = 0 exactly.
    #expect(Array(parameters.buffer) == initial)
    #expect(
      optimizer.stateTensors.allSatisfy { t in
        (0..<t.count).allSatisfy { t.pointer[$0] > 0 && t.pointer[$0].isFinite }
      })
  }

  @Test func outOfRangeHyperparametersAreRejected() {
    let segments = [ParameterSegment(name: "b", offset: 0, count: 4, shape: [4], decays: false)]
    #expect(throws: SwiftletError.self) {
      try Adafactor(segments: segments, arenaCount: 4, beta1: 1)
    }
    #expect(throws: SwiftletError.self) {
      try Adafactor(segments: segments, arenaCount: 4, decayRate: 0.5)
    }
    #expect(throws: SwiftletError.self) {
      try Adafactor(segments: segments, arenaCount: 4, epsilon1: 0)
    }
    #expect(throws: SwiftletError.self) {
      try Adafactor(segments: segments, arenaCount: 4, clipThreshold: 0)
    }
    #expect(throws: SwiftletError.self) {
      try Adafactor(segments: segments, arenaCount: 4, weightDecay: -1)
    }
    #expect(throws: Never.self) { try Adafactor(segments: segments, arenaCount: 4, beta1: 0) }
  }
}
