import Foundation
import Testing

@testable import RunFiles

/// `metrics.jsonl` lines (contract section 5), written and read by the same types.
@Suite struct MetricsRecordTests {
  private func line(_ record: MetricsRecord) throws -> String {
    String(decoding: try RunFileJSON.line(record), as: UTF8.self)
  }

  private func read(_ text: String) throws -> MetricsRecord {
    try JSONDecoder().decode(MetricsRecord.self, from: Data(text.utf8))
  }

  @Test func aTrainLineHasEveryContractKeyAndNullForNonFiniteValues() throws {
    let metrics = TrainMetrics(
      step: 3, loss: 5.25, learningRate: 6e-4, gradientNorm: .nan, tokens: 24_576, stepMilliseconds: 512.5,
      tokensPerSecond: 16_000, mfu: 0.375, flops: 1.5e12, energyKWh: 1e-05, co2eKg: 4.75e-06)
    #expect(
      try line(.train(metrics))
        == #"{"co2e_kg":4.75e-06,"energy_kwh":1e-05,"flops":1500000000000,"grad_norm":null,"kind":"train","#
        + #""loss":5.25,"lr":0.0006,"mfu":0.375,"step":3,"step_ms":512.5,"tokens":24576,"tokens_per_s":16000}"#
        + "\n")
    var read = metrics
    read.gradientNorm = nil
    #expect(try self.read(try line(.train(metrics))) == .train(read))
  }

  @Test func gridIntensityIsWrittenOnlyWithASeries() throws {
    let without = try line(.train(TrainMetrics(step: 1, loss: 4)))
    #expect(!without.contains("grid_intensity"))
    let with = try line(.train(TrainMetrics(step: 1, loss: 4, gridIntensity: 212.5)))
    #expect(with.contains(#""grid_intensity":212.5"#))
    #expect(try read(with) == .train(TrainMetrics(step: 1, loss: 4, gridIntensity: 212.5)))
  }

  @Test func anEvalLine() throws {
    #expect(
      try line(.eval(EvalMetrics(step: 20, validationLoss: 4.5))) == #"{"kind":"eval","step":20,"val_loss":4.5}"# + "\n"
    )
    #expect(try line(.eval(EvalMetrics(step: 20, validationLoss: .infinity))).contains(#""val_loss":null"#))
  }

  @Test func readingKeepsWhatItCanAndNeedsAStep() throws {
    // A bad value loses that value only.
    #expect(
      try read(#"{"kind":"train","step":2,"loss":"x","tokens":20.0}"#) == .train(TrainMetrics(step: 2, tokens: 20)))
    #expect(try read(#"{"kind":"checkpoint","step":7}"#) == .other(kind: "checkpoint", step: 7))
    #expect(try read(#"{"step":7}"#).step == 7)
    #expect(throws: (any Error).self) { try read(#"{"kind":"train","loss":4}"#) }
    #expect(throws: (any Error).self) { try read(#"{"kind":"eval","step":1.5}"#) }
  }

  @Test func aLogReadsLineByLineSkippingATornLastLine() {
    let log = Data(
      (#"{"kind":"train","step":1,"loss":5}"# + "\n" + #"{"kind":"eval","step":1,"val_loss":5.5}"# + "\n"
        + #"{"kind":"train","st"#).utf8)
    let records = RunFileJSON.records(MetricsRecord.self, in: log)
    #expect(records == [.train(TrainMetrics(step: 1, loss: 5)), .eval(EvalMetrics(step: 1, validationLoss: 5.5))])
  }
}
