import Foundation
import TestSupport
import Testing

/// `launch/elastic.sh`, the supervisor that relaunches a job after a crash: random SIGKILLs of
/// ranks healed without a person, bit-identical to an uninterrupted run; a deterministic crash
/// recognised and not looped; a stop signal honoured without a restart.
@Suite(.serialized)
struct ElasticTests {
  static let script = PackagePaths.root + "/launch/elastic.sh"

  /// A model large enough that 40 steps with a checkpoint after each take a few seconds.
  static func config(data: String, run: String) -> String {
    TinyModel.config(data: data, runDirectory: run, extra: "[checkpoint]\nevery = 1\nkeep = 2")
      .replacingOccurrences(of: "n_layer = 2", with: "n_layer = 4")
      .replacingOccurrences(of: "d_model = 32", with: "d_model = 128")
      .replacingOccurrences(of: "n_ctx = 16", with: "n_ctx = 64")
      .replacingOccurrences(of: "seq_len = 16", with: "seq_len = 64")
      .replacingOccurrences(of: "max_steps = 10", with: "max_steps = 40")
      .replacingOccurrences(of: "eval_every = 5", with: "eval_every = 0")
  }

  static func elastic(_ arguments: [String], log: String) throws -> Process {
    try Harness.spawn(
      ["bash", script] + arguments, environment: ["SWIFTLET_BIN": Harness.executable, "OPENBLAS_NUM_THREADS": "1"],
      log: log)
  }

  static func launches(_ run: String) throws -> [[String: Any]] {
    let text = (try? String(contentsOfFile: run + "/elastic.jsonl", encoding: .utf8)) ?? ""
    return try text.split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  /// The newest step in metrics.jsonl, tolerating a line being written.
  static func progress(_ run: String) -> Int {
    let text = (try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap {
      (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int
    }.max() ?? 0
  }

  @Test func threeKillsOfRandomRanksAreHealedBitIdentically() throws {
    let (_, config, baseline) = try Harness.preparedRun("elastic") { Self.config(data: $0, run: $1) }
    let uninterrupted = try Harness.run(["train", "--config", config], ranks: 2)
    #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")

    let run = try Harness.temporaryDirectory("elastic-run")
    let log = run + ".log"
    let supervisor = try Self.elastic(
      ["--backoff", "0.2", "--max-restarts", "5", "2", "--", "--config", config, "--run-dir", run], log: log)
    // Seeded choices: a step window for each kill, which rank, and a small delay into the step.
    var rng = Harness.SeededGenerator(seed: 20261203)
    for (number, window) in [(1, 3...12), (2, 15...24), (3, 27...35)] {
      let threshold = Int.random(in: window, using: &rng)
      let deadline = Date().addingTimeInterval(120)
      // The number-th launch must be running and past the threshold.
      while Date() < deadline, supervisor.isRunning,
        (try Self.launches(run)).count != number - 1 || Self.progress(run) < threshold
          || Harness.rankPIDs(run).count < 2
      {
        usleep(10_000)
      }
      usleep(UInt32.random(in: 0...50_000, using: &rng))
      let victims = Harness.rankPIDs(run)
      try #require(!victims.isEmpty, "kill \(number): no rank to kill (step \(Self.progress(run)))")
      kill(victims.randomElement(using: &rng)!, SIGKILL)
    }
    Harness.waitForExit(supervisor, seconds: 300, "elastic.sh")
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    #expect(supervisor.terminationStatus == 0, "\(output)")

    let launches = try Self.launches(run)
    #expect(launches.count == 4, "\(launches)")
    #expect(
      launches.prefix(3).allSatisfy { ($0["exit_code"] as? Int ?? 0) != 0 } && launches.last?["exit_code"] as? Int == 0)
    let steps = try Harness.trainRecords(run).map { $0["step"] as! Int }
    #expect(steps == Array(1...40), "every step logged exactly once")
    let losses = try Harness.trainRecords(run).map { $0["loss"] as! Double }
    let reference = try Harness.trainRecords(baseline).map { $0["loss"] as! Double }
    #expect(losses == reference, "losses bit-identical to the uninterrupted run")
    let comparison = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(run, step: 40), CheckpointComparison.finalCheckpoint(baseline, step: 40))
    #expect(comparison.identical && comparison.tensors > 0, "final weights differ by \(comparison.maxDifference)")
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/report.json")))
        as? [String: Any])
    #expect(report["restarts"] as? Int == 3)
    #expect(output.contains("restarts   3 after crashes"), "\(output)")
  }

  @Test func aCrashAtTheSameStepTwiceStopsInsteadOfLooping() throws {
    let (_, config, run) = try Harness.preparedRun("elastic-crash") { Self.config(data: $0, run: $1) }
    let log = run + ".log"
    // A NaN at step 5 halts the job (train.on_nonfinite = halt) every time it gets there.
    let supervisor = try Self.elastic(
      ["--backoff", "0.1", "--max-restarts", "5", "2", "--", "--config", config, "--set", "debug.inject_nan_step=5"],
      log: log)
    Harness.waitForExit(supervisor, seconds: 120, "elastic.sh")
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    #expect(supervisor.terminationStatus == 1)
    #expect(output.contains("elastic: stopping: the job failed twice at step 5"), "\(output)")
    #expect(try Self.launches(run).count == 2)
  }

  @Test func aStopSignalCheckpointsWithoutARestart() throws {
    let (_, config, run) = try Harness.preparedRun("elastic-stop") { Self.config(data: $0, run: $1) }
    let log = run + ".log"
    let supervisor = try Self.elastic(
      [
        "--backoff", "0.1", "2", "--", "--config", config, "--set", "train.max_steps=100000", "--set",
        "checkpoint.every=0",
      ],
      log: log)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, Self.progress(run) < 3 { usleep(20_000) }
    kill(supervisor.processIdentifier, SIGTERM)
    Harness.waitForExit(supervisor, seconds: 120, "elastic.sh after SIGTERM")
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    #expect(supervisor.terminationStatus == 0, "a stopped job exits 0: \(output)")
    #expect(try Self.launches(run).count == 1, "no restart after a stop signal")
    let steps = Self.progress(run)
    #expect(FileManager.default.fileExists(atPath: CheckpointComparison.finalCheckpoint(run, step: steps)), "\(output)")
  }

  @Test func badOptionsAreOneLineErrors() throws {
    for arguments in [["--max-restarts", "x"], ["--hostfile", "/nonexistent"], ["--backoff", "soon"]] {
      let process = try Harness.spawn(
        ["bash", Self.script] + arguments + ["--", "--config", "x.toml"], log: "/tmp/elastic-bad.log")
      process.waitUntilExit()
      let output = (try? String(contentsOfFile: "/tmp/elastic-bad.log", encoding: .utf8)) ?? ""
      #expect(
        process.terminationStatus == 2 && output.hasPrefix("error: ") && output.split(separator: "\n").count == 1,
        "\(output)")
    }
  }
}

extension ElasticTests {
  /// Two network-namespace nodes × 2 ranks (dp 4); node1 is lost mid-run; the job continues on
  /// node0 at dp 2 with the same global batch (Tests/Reference/elastic_netns_test.sh).
  @Test func aLostNodeIsDroppedAndTheJobFinishesOnTheOtherAtHalfTheDataParallelSize() throws {
    let process = try Harness.spawn(
      ["bash", PackagePaths.reference("elastic_netns_test.sh")],
      environment: ["SWIFTLET_BIN": Harness.executable], log: "/tmp/elastic-netns.log")
    Harness.waitForExit(process, seconds: 300, "elastic_netns_test.sh")
    let output = (try? String(contentsOfFile: "/tmp/elastic-netns.log", encoding: .utf8)) ?? ""
    print(output.split(separator: "\n").suffix(6).joined(separator: "\n"))
    #expect(process.terminationStatus == 0, "\(output)")
    if output.contains("SKIP:") {
      Prerequisite.missing("the network-namespace cluster could not be built")
    } else {
      #expect(output.contains("PASS: dp 4 on 2 nodes → dp 2 on node0"), "\(output)")
    }
  }
}
