import Foundation
import SwiftletCore
import Testing

@testable import Reporting

@Suite struct MetricsHistoryTests {
  private func parse(_ text: String) -> MetricsHistory { MetricsHistory(parsing: Array(text.utf8)) }

  @Test func nullValuesBecomeMissingAndTheRestIsRead() {
    let log = parse(
      """
      {"kind":"train","step":1,"loss":null,"lr":0.001,"grad_norm":null,"tokens":100,"step_ms":5,\
      "tokens_per_s":20000,"mfu":0.3,"flops":6e5,"energy_kwh":1e-6,"co2e_kg":4e-7}

      """)
    #expect(log.train.count == 1)
    let record = log.train[0]
    #expect(record.loss == nil)
    #expect(record.gradientNorm == nil)
    #expect(record.learningRate == 0.001)
    #expect(record.tokens == 100)
    #expect(record.tokensPerSecond == 20000)
    #expect(record.mfu == 0.3)
    #expect(record.energyKWh == 1e-6)
    #expect(record.co2eKg == 4e-7)
    #expect(log.skippedLines == 0)
    #expect(!log.tornLastLine)
  }

  @Test func aTornLastLineIsSkippedAndFlagged() {
    let log = parse(
      """
      {"kind":"train","step":1,"loss":5,"tokens":10}
      {"kind":"train","step":2,"loss":4,"tokens":20}
      {"kind":"train","step":3,"lo
      """)
    #expect(log.train.map(\.step) == [1, 2])
    #expect(log.tornLastLine)
    #expect(log.skippedLines == 0)
  }

  @Test func aCompleteLastLineWithoutNewlineIsKept() {
    let log = parse(
      """
      {"kind":"train","step":1,"loss":5,"tokens":10}
      {"kind":"eval","step":1,"val_loss":5.5}
      """)
    #expect(log.eval.count == 1)
    #expect(!log.tornLastLine)
  }

  @Test func unreadableMiddleLinesAreCountedAndOtherKindsIgnored() {
    let log = parse(
      """
      {"kind":"train","step":1,"loss":5,"tokens":10}
      garbage
      {"kind":"train","loss":4}
      {"kind":"checkpoint","step":2}
      {"kind":"train","step":2,"loss":4,"tokens":20}

      """)
    #expect(log.train.map(\.step) == [1, 2])
    #expect(log.skippedLines == 2)
  }

  @Test func trainLinesAreSortedAndARepeatedStepKeepsItsLastLine() {
    let log = parse(
      """
      {"kind":"train","step":3,"loss":3,"tokens":30}
      {"kind":"train","step":1,"loss":5,"tokens":10}
      {"kind":"train","step":3,"loss":2.5,"tokens":31}

      """)
    #expect(log.train.map(\.step) == [1, 3])
    #expect(log.train[1].loss == 2.5)
    #expect(log.train[1].tokens == 31)
  }

  @Test func evalStepsMapToTokensThroughTheTrainLines() {
    let log = parse(
      """
      {"kind":"train","step":10,"loss":5,"tokens":1000}
      {"kind":"train","step":20,"loss":4,"tokens":3000}
      {"kind":"eval","step":20,"val_loss":4.2}
      {"kind":"eval","step":15,"val_loss":4.6}
      {"kind":"eval","step":5,"val_loss":5.5}
      {"kind":"eval","step":25,"val_loss":3.9}

      """)
    // Sorted by step: 5 (before the first train line), 15 (between), 20 (exact), 25 (after).
    #expect(log.eval.map(\.step) == [5, 15, 20, 25])
    let tokens = log.eval.map(\.tokens)
    #expect(tokens[2] == 3000)  // the train line of the same step
    #expect(tokens[1] == 2000)  // halfway between 1000 and 3000
    #expect(tokens[0] == 0)  // 200 tokens/step between the lines: 1000 - 5 × 200
    #expect(tokens[3] == 4000)  // 3000 + 5 × 200
    #expect(log.eval[0].validationLoss == 5.5)
  }

  @Test func evalTokensAreMissingWhenNoTrainLineHasTokens() {
    let log = parse(
      """
      {"kind":"train","step":1,"loss":5}
      {"kind":"eval","step":1,"val_loss":5.1}

      """)
    #expect(log.eval.first?.tokens == nil)
  }

  @Test func missingOrEmptyMetricsIsAOneLineError() throws {
    let missing = try SyntheticRun.make(metrics: nil)
    defer { missing.remove() }
    let error = #expect(throws: SwiftletError.self) {
      try MetricsHistory.load(runDirectory: missing.directory)
    }
    #expect(error?.message.hasPrefix("no metrics in \(missing.directory): ") == true)
    #expect(error?.message.contains("\n") == false)

    let empty = try SyntheticRun.make(metrics: "")
    defer { empty.remove() }
    let emptyError = #expect(throws: SwiftletError.self) {
      try MetricsHistory.load(runDirectory: empty.directory)
    }
    #expect(emptyError?.message.hasPrefix("no metrics in \(empty.directory): ") == true)

    let evalOnly = try SyntheticRun.make(metrics: "{\"kind\":\"eval\",\"step\":1,\"val_loss\":3}\n")
    defer { evalOnly.remove() }
    #expect(throws: SwiftletError.self) { try MetricsHistory.load(runDirectory: evalOnly.directory) }

    let nowhere = missing.directory + "/does-not-exist"
    #expect(throws: SwiftletError("no metrics in \(nowhere): no such directory")) {
      try MetricsHistory.load(runDirectory: nowhere)
    }
  }
}
