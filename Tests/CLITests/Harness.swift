import Dataset
import Foundation
import TestSupport
import Testing

/// Runs the built `swiftlet` executable (alone or under `mpirun`) and captures its output.
enum Harness {
  /// The build folder holding both this test bundle and the `swiftlet` executable.
  static let buildDirectory: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    for _ in 0..<6 {
      url = url.deletingLastPathComponent()
      if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("swiftlet").path) { return url }
    }
    return URL(fileURLWithPath: PackagePaths.root + "/.build/debug")
  }()

  static var executable: String { buildDirectory.appendingPathComponent("swiftlet").path }

  /// This process's environment without Open MPI's own variables: another test target in the
  /// same process may have initialised MPI as a singleton, and a child `mpirun` that inherits
  /// its `OMPI_*`/`PMIX_*` variables tries to join that job and hangs.
  static var cleanEnvironment: [String: String] {
    ProcessInfo.processInfo.environment.filter { key, _ in
      !(key.hasPrefix("OMPI_") || key.hasPrefix("PMIX_") || key.hasPrefix("ORTE_") || key.hasPrefix("OPAL_"))
        || key == "OMPI_ALLOW_RUN_AS_ROOT" || key == "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"
    }
  }

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs `swiftlet arguments…`; with `ranks`, under `mpirun -np ranks --oversubscribe`.
  @discardableResult
  static func run(
    _ arguments: [String], ranks: Int? = nil, environment extra: [String: String] = [:], unset: [String] = [],
    program: String? = nil
  ) throws -> Result {
    let executable = program.map { buildDirectory.appendingPathComponent($0).path } ?? Harness.executable
    let process = Process()
    var environment = Harness.cleanEnvironment
    for key in unset { environment[key] = nil }
    environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    environment["OPENBLAS_NUM_THREADS"] = "1"
    for (k, v) in extra { environment[k] = v }
    process.environment = environment
    if let ranks {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", "\(ranks)", executable] + arguments
    } else {
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments
    }
    let result = try ChildProcess.capture(process)
    return Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
  }

  /// Starts `command` (found on PATH) without waiting; output goes to `log` or nowhere.
  static func spawn(_ command: [String], environment extra: [String: String] = [:], log: String? = nil) throws
    -> Process
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = command
    var environment = Harness.cleanEnvironment
    environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    for (k, v) in extra { environment[k] = v }
    process.environment = environment
    if let log {
      FileManager.default.createFile(atPath: log, contents: nil)
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
      process.standardOutput = handle
      process.standardError = handle
    } else {
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
    }
    // The child inherits this thread's signal mask, and test-runner threads block most signals:
    // an mpirun started with SIGUSR1 blocked never forwards it. Start it with none blocked.
    var none = sigset_t()
    var saved = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    try process.run()
    return process
  }

  /// Waits until the job `process` writing to `run` has logged `steps` training steps, then stops
  /// its last rank with SIGSTOP and returns that rank's pid (nil, with an issue recorded and the
  /// job terminated, when its ranks cannot be found). Kill the returned pid when done.
  static func stopLastRank(of process: Process, run: String, ranks: Int, afterSteps steps: Int = 3) -> Int32? {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, ((try? trainRecords(run).count) ?? 0) < steps { usleep(100_000) }
    let pids = rankPIDs(run)
    guard pids.count == ranks, let victim = pids.last else {
      Issue.record("expected \(ranks) ranks running, found \(pids)")
      process.terminate()
      return nil
    }
    kill(victim, SIGSTOP)
    return victim
  }

  /// Waits for `process` at most `seconds`; kills it (and records an issue) when it overruns, so
  /// a lost signal fails the test instead of hanging the suite.
  static func waitForExit(_ process: Process, seconds: Double, _ what: String) {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(50_000) }
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      Issue.record("\(what) did not exit within \(Int(seconds)) s")
      process.waitUntilExit()
    }
  }

  /// Process ids of the ranks whose command line contains `marker`.
  static func rankPIDs(_ marker: String) -> [Int32] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["pgrep", "-f", "swiftlet train .*\(marker)"]
    let pipe = Pipe()
    p.standardOutput = pipe
    try? p.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return text.split(separator: "\n").compactMap { Int32($0) }.filter { pid in
      // Only the ranks, not mpirun itself.
      let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
      return !command.hasPrefix("mpirun")
    }
  }

  /// A fresh temporary folder.
  static func temporaryDirectory(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("swiftlet-test-\(name)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// Writes train and val shards of pseudo-random tokens below `vocab` into `directory`.
  /// The tokens follow a learnable pattern (a noisy cycle), so losses fall during training.
  /// A data folder with tiny shards and the config `make(data)` written into it as
  /// `config.toml`; by default the tiny model with an unused run directory (tests pass --run-dir).
  static func preparedData(
    _ label: String, trainTokens: Int = 4000,
    config make: (_ data: String) -> String = { TinyModel.config(data: $0, runDirectory: $0 + "/unused") }
  ) throws -> (data: String, config: String) {
    let data = try temporaryDirectory(label + "-data")
    try makeShards(in: data, trainTokens: trainTokens)
    let config = data + "/config.toml"
    try make(data).write(toFile: config, atomically: true, encoding: .utf8)
    return (data, config)
  }

  /// `preparedData` plus a run directory the config `make(data, run)` names: the set-up of most
  /// end-to-end tests.
  static func preparedRun(
    _ label: String, config make: (_ data: String, _ run: String) -> String
  ) throws -> (data: String, config: String, run: String) {
    let run = try temporaryDirectory(label + "-base")
    let (data, config) = try preparedData(label) { make($0, run) }
    return (data, config, run)
  }

  /// A seeded linear congruential generator (Knuth's MMIX constants): reproducible test data
  /// and choices on every machine.
  struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      // The high bits are the well-mixed ones: two halves make the 64 bits.
      let high = state >> 32
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return high << 32 | state >> 32
    }
  }

  static func makeShards(in directory: String, vocab: Int = 67, trainTokens: Int = 4000, valTokens: Int = 600) throws {
    var state: UInt64 = 42
    func next() -> Int {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int(state >> 33)
    }
    func tokens(_ count: Int) -> [Int] {
      (0..<count).map { i in next() % 4 == 0 ? next() % vocab : (i * 7) % vocab }
    }
    try TokenShardWriter.write(tokens(trainTokens), to: directory + "/train_000000.bin")
    try TokenShardWriter.write(tokens(valTokens), to: directory + "/val_000000.bin")
  }

  /// The `kind == "train"` records of a run's metrics.jsonl.
  static func trainRecords(_ runDirectory: String) throws -> [[String: Any]] {
    try records(runDirectory).filter { $0["kind"] as? String == "train" }
  }

  static func records(_ runDirectory: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: runDirectory + "/metrics.jsonl", encoding: .utf8)
    return text.split(separator: "\n").map {
      try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
  }
}
