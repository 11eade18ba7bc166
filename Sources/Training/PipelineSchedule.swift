import GPT
import Parallel
import SwiftletCore

/// One optimizer step's forward and backward passes of one pipeline stage under the 1F1B
/// schedule (Narayanan et al. 2021, "PipeDream-Flush"; docs/parallelism.md).
///
/// Stage `s` of `P` runs `min(P − s − 1, M)` warm-up forwards, then alternates one forward and
/// one backward until every micro-batch went forward, then runs the remaining backwards. At most
/// `P − s` micro-batches are between their forward and backward on stage `s`, so that many
/// activation slots suffice: micro-batch `j` uses slot `j mod (P − s)`, whose previous
/// micro-batch has finished its backward by then. Receives are posted as soon as their buffer is
/// free and sends never block, so transfers overlap the compute of other micro-batches.
struct PipelineSchedule {
  let link: PipelineLink
  let microbatches: Int
  let batch: Int
  let seqLen: Int
  /// The model's width, C.
  let channels: Int

  /// Activation slots stage `link.stage` needs.
  var slotCount: Int { max(1, min(link.stages - link.stage, microbatches)) }

  /// Floats of one micro-batch's activations at a stage boundary: `B · T · C`.
  private var activationCount: Int { batch * seqLen * channels }

  /// Runs the forward and backward passes of all micro-batches, accumulating gradients into the
  /// model (`buckets` start with the last micro-batch's backward). `sample(j)` gives micro-batch
  /// `j`'s inputs and targets. Returns the sum of the losses on the last stage (0 elsewhere).
  func train(
    model: GPTModel, lossScale: Float, buckets: GradientBuckets,
    sample: (Int) -> (inputs: [Int32], targets: [Int32]), timing: inout PipelineTiming
  ) throws -> Double {
    let start = MonotonicClock.now()
    let m = microbatches
    let slots = slotCount
    if model.slotCount != slots { model.slotCount = slots }
    var inputReceives: [Int: PipelineLink.Transfer] = [:]
    var gradientReceives: [Int: PipelineLink.Transfer] = [:]
    var sends: [Int: [PipelineLink.Transfer]] = [:]  // by slot
    var lossSum: Double = 0

    func postInputReceive(_ j: Int) throws {
      guard !link.isFirst, j < m else { return }
      let buffer = try model.stageInput(slot: j % slots, batch: batch, seqLen: seqLen)
      inputReceives[j] = try link.receiveActivations(into: buffer, count: activationCount)
    }
    func forward(_ j: Int) throws {
      let slot = j % slots
      for send in sends.removeValue(forKey: slot) ?? [] { try send.wait() }
      if inputReceives[j] == nil { try postInputReceive(j) }
      try inputReceives.removeValue(forKey: j)?.wait()
      let (inputs, targets) = sample(j)
      let computeStart = MonotonicClock.now()
      lossSum += try model.forward(inputs: inputs, targets: targets, batch: batch, seqLen: seqLen, slot: slot)
      timing.busySeconds += MonotonicClock.now() - computeStart
      if !link.isLast {
        sends[slot, default: []].append(
          try link.sendActivations(model.stageOutput(slot: slot), count: activationCount))
        gradientReceives[j] = try link.receiveGradient(into: model.outputGradient(slot: slot), count: activationCount)
      }
    }
    func backward(_ k: Int) throws {
      let slot = k % slots
      try gradientReceives.removeValue(forKey: k)?.wait()
      let computeStart = MonotonicClock.now()
      try model.backward(lossScale: lossScale, buckets: k == m - 1 ? buckets : nil, slot: slot)
      timing.busySeconds += MonotonicClock.now() - computeStart
      if !link.isFirst {
        sends[slot, default: []].append(try link.sendGradient(model.inputGradient(slot: slot), count: activationCount))
      }
      // The slot's input buffer is free again: post the receive of the micro-batch that uses it next.
      try postInputReceive(k + slots)
    }

    for j in 0..<min(slots, m) { try postInputReceive(j) }
    let warmup = min(link.stages - link.stage - 1, m)
    for j in 0..<warmup { try forward(j) }
    for k in 0..<(m - warmup) {
      try forward(warmup + k)
      try backward(k)
    }
    for k in (m - warmup)..<m { try backward(k) }
    for pending in sends.values.joined() { try pending.wait() }
    timing.wallSeconds += MonotonicClock.now() - start
    return lossSum
  }

  /// Forward passes only (evaluation): each stage receives, computes and passes on one
  /// micro-batch after another. Returns the sum of the losses on the last stage (0 elsewhere).
  func evaluate(model: GPTModel, sample: (Int) -> (inputs: [Int32], targets: [Int32])) throws -> Double {
    if model.slotCount < 1 { model.slotCount = 1 }
    var lossSum: Double = 0
    for j in 0..<microbatches {
      if !link.isFirst {
        let buffer = try model.stageInput(slot: 0, batch: batch, seqLen: seqLen)
        try link.receiveActivations(into: buffer, count: activationCount).wait()
      }
      let (inputs, targets) = sample(j)
      lossSum += try model.forward(inputs: inputs, targets: targets, batch: batch, seqLen: seqLen, slot: 0)
      if !link.isLast {
        // Wait before the slot's next forward overwrites the output.
        try link.sendActivations(model.stageOutput(slot: 0), count: activationCount).wait()
      }
    }
    return lossSum
  }
}

/// What one stage's passes over the pipeline schedule took: the bubble it saw is
/// `1 − busySeconds / wallSeconds`.
public struct PipelineTiming: Sendable {
  /// Seconds inside forward and backward compute.
  public var busySeconds: Double = 0
  /// Seconds from the schedule's first operation to its last transfer's completion.
  public var wallSeconds: Double = 0

  public init() {}
}
