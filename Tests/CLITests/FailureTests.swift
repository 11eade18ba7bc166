import Checkpointing
import Foundation
import Testing

/// What clusters do to jobs: stopped ranks, killed ranks, NaNs (issues 4, 5 and 8).
@Suite(.serialized)
struct FailureTests {
  let data: String
  let configPath: String

  init() throws {
    (data, configPath) = try Harness.preparedData("fail", trainTokens: 20000)
  }

  /// Starts `swiftlet train` under mpirun without waiting.
  func launch(_ arguments: [String], ranks: Int) throws -> Process {
    try Harness.spawn(
      ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", "\(ranks)", Harness.executable] + arguments)
  }

  @Test func aStoppedRankMakesTheJobAbortWithinTheCollectiveTimeout() throws {
    let run = try Harness.temporaryDirectory("sigstop")
    let timeout = 8.0
    let process = try launch(
      [
        "train", "--config", configPath, "--run-dir", run, "--set", "train.max_steps=100000",
        "--set", "parallel.collective_timeout=\(timeout)", "--set", "checkpoint.every=0", "--set", "train.eval_every=0",
      ],
      ranks: 2)
    // Wait until training runs, then stop rank 1.
    guard let victim = Harness.stopLastRank(of: process, run: run, ranks: 2) else { return }
    let stoppedAt = Date()
    process.waitUntilExit()
    let elapsed = Date().timeIntervalSince(stoppedAt)
    print("SIGSTOP of one rank: job aborted after \(String(format: "%.1f", elapsed)) s (timeout \(timeout) s)")
    #expect(process.terminationStatus != 0)
    #expect(elapsed <= timeout * 1.1 + 2.0, "abort took \(elapsed) s for a \(timeout) s timeout")
    kill(victim, SIGKILL)
  }

  @Test func randomSigkillsAlwaysRecoverToTheUninterruptedResult() throws {
    let trials = Int(ProcessInfo.processInfo.environment["SWIFTLET_KILL_TRIALS"] ?? "4") ?? 4
    // Enough steps that every trial still has work left when it is killed (each resumes).
    let steps = 400 * trials + 100
    let common = [
      "--config", configPath, "--set", "train.max_steps=\(steps)", "--set", "checkpoint.every=2",
      "--set", "train.eval_every=0", "--set", "checkpoint.keep=2",
    ]
    let straight = try Harness.temporaryDirectory("kill-straight")
    let reference = try Harness.run(["train", "--run-dir", straight] + common, ranks: 2)
    #expect(reference.status == 0, "\(reference.stderr)")

    let run = try Harness.temporaryDirectory("kill-run")
    var rng = SystemRandomNumberGenerator()
    var recoveries = 0
    for trial in 0..<trials {
      let process = try launch(["train", "--run-dir", run] + common, ranks: 2)
      // Wait until both ranks exist, then kill one at a random moment of start-up, training
      // or a checkpoint save.
      var pids: [Int32] = []
      let deadline = Date().addingTimeInterval(30)
      while pids.count < 2, Date() < deadline, process.isRunning {
        usleep(50_000)
        pids = Harness.rankPIDs(run)
      }
      usleep(UInt32.random(in: 0...2_000_000, using: &rng))
      if let victim = pids.randomElement(using: &rng) { kill(victim, SIGKILL) }
      process.waitUntilExit()
      // Whatever moment the kill hit, every checkpoint under a final name must verify.
      let directory = CheckpointDirectory(runDirectory: run)
      for entry in (try? directory.entries()) ?? [] {
        do {
          try CheckpointReader(path: entry.path).verify()
        } catch {
          Issue.record("trial \(trial): \(entry.path) is visible but not valid: \(error)")
        }
      }
      if process.terminationStatus != 0 { recoveries += 1 }
    }
    // Finish the run with resume = auto.
    let final = try Harness.run(["train", "--run-dir", run] + common, ranks: 2)
    #expect(final.status == 0, "\(final.stderr)")
    print("random SIGKILL: \(recoveries) of \(trials) trials killed a running job; all recovered")
    #expect(recoveries == trials, "every trial should kill a job that is still training")
    let a = try Harness.trainRecords(straight).map { $0["loss"] as! Double }
    let records = try Harness.trainRecords(run)
    #expect(records.map { $0["step"] as! Int } == Array(1...steps), "each step logged exactly once")
    #expect(records.map { $0["loss"] as! Double } == a, "losses bit-identical to the uninterrupted run")
    let weights = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(straight, step: steps),
      CheckpointComparison.finalCheckpoint(run, step: steps))
    #expect(weights.identical, "final weights bit-identical (max diff \(weights.maxDifference))")
  }
}

extension FailureTests {
  @Test(arguments: [(2, 1), (2, 2)])
  func anInjectedNaNOnOneRankIsSkippedOnEveryRank(ranks: Int, tp: Int) throws {
    let run = try Harness.temporaryDirectory("nan-skip")
    let result = try Harness.run(
      [
        "train", "--config", configPath, "--run-dir", run, "--tp", "\(tp)", "--set", "train.on_nonfinite=skip",
        "--set", "debug.inject_nan_step=3", "--set", "debug.inject_nan_rank=1", "--set", "checkpoint.every=1",
        "--set", "checkpoint.keep=20",
      ], ranks: ranks)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stderr.contains("warning: ") && result.stderr.contains("update skipped (1 so far)"), "\(result.stderr)")
    let records = try Harness.trainRecords(run)
    #expect(records.count == 10)
    #expect(records[2]["grad_norm"] is NSNull, "step 3's norm is NaN (written as null)")
    // Skipped means no update: the weights after step 3 equal those after step 2, on every rank
    // (the checkpoint gathers every tensor-parallel shard).
    let same = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(run, step: 2), CheckpointComparison.finalCheckpoint(run, step: 3),
      includeOptimizer: false)
    #expect(same.identical, "step 3 must not change the weights (max diff \(same.maxDifference))")
    let later = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(run, step: 3), CheckpointComparison.finalCheckpoint(run, step: 4),
      includeOptimizer: false)
    #expect(!later.identical, "training continues after the skipped step")
    let report =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/report.json")))
      as! [String: Any]
    #expect(report["skipped_nonfinite_steps"] as? Int == 1, "the report counts the skipped step")
  }

  @Test func anInjectedNaNHaltsTheJobWithOneMessageByDefault() throws {
    let run = try Harness.temporaryDirectory("nan-halt")
    let result = try Harness.run(
      [
        "train", "--config", configPath, "--run-dir", run, "--set", "debug.inject_nan_step=3",
        "--set", "debug.inject_nan_rank=1",
      ], ranks: 2)
    #expect(result.status != 0)
    let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
    #expect(errors.count == 1, "one error line: \(result.stderr)")
    #expect(errors.first?.contains("non-finite loss or gradients at step 3") == true)
    #expect(try Harness.trainRecords(run).count == 2, "steps 1-2 logged, step 3 not")
  }
}

extension FailureTests {
  @Test func badDataOnOneRankBringsTheJobDownNamingTheRank() throws {
    // Only the second data-parallel rank's sequences contain an id ≥ 60 early: shard tokens are
    // below 67, so with vocab_size = 60 some rank meets a bad id, and the job must stop at once.
    let run = try Harness.temporaryDirectory("bad-rank")
    let result = try Harness.run(
      ["train", "--config", configPath, "--run-dir", run, "--set", "model.vocab_size=60"], ranks: 2)
    #expect(result.status != 0)
    #expect(result.stderr.contains("error: rank "), "the message names the failing rank: \(result.stderr)")
    #expect(result.stderr.contains("outside the vocabulary"))
  }

  @Test func sigusr1ToMpirunCheckpointsAndExitsCleanly() throws {
    let run = try Harness.temporaryDirectory("sigusr1")
    let process = try launch(
      [
        "train", "--config", configPath, "--run-dir", run, "--set", "train.max_steps=100000",
        "--set", "checkpoint.every=0", "--set", "train.eval_every=0",
      ], ranks: 2)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, ((try? Harness.trainRecords(run).count) ?? 0) < 3 { usleep(100_000) }
    kill(process.processIdentifier, SIGUSR1)  // what Slurm's --signal=B:USR1 forwards
    Harness.waitForExit(process, seconds: 120, "mpirun after SIGUSR1")
    #expect(process.terminationStatus == 0, "a preempted job exits 0")
    let steps = try Harness.trainRecords(run).count
    let checkpoint = CheckpointComparison.finalCheckpoint(run, step: steps)
    #expect(FileManager.default.fileExists(atPath: checkpoint), "checkpoint of the last step \(steps)")
    #expect(try CheckpointReader(path: checkpoint).step == steps)
  }
}
