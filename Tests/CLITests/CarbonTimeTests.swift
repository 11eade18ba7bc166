import Foundation
import TestSupport
import Testing

/// Carbon over time end to end (issue 18, contract section 10): per-step charging from an
/// intensity series, the carbon pause under real `mpirun`, the ledger per launch, bad inputs.
@Suite(.serialized)
struct CarbonTimeTests {
  /// The replayed period starts here; far from today so the real clock can never be confused with it.
  static let start = "2030-01-01T00:00:00Z"

  /// A CSV of `rows` (offset in seconds from `start`, g/kWh).
  static func series(_ rows: [(Double, Double)], in directory: String, name: String = "series.csv") throws -> String {
    var text = "timestamp,gco2_per_kwh\n"
    for (offset, value) in rows {
      let minutes = Int(offset) / 60
      let seconds = offset - Double(minutes * 60)
      text += String(format: "2030-01-01T%02d:%02d:%06.3fZ,%g\n", minutes / 60, minutes % 60, seconds, value)
    }
    let path = directory + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  static func accounting(_ lines: String) -> String { "\n[accounting]\n" + lines }

  /// Clean (at most 500 g/kWh) for the first second of mapped time, dirty from then until the
  /// hour, clean after it. A tiny-model step takes 1–25 ms here (more when mpirun oversubscribes
  /// the cores), so 3,000 steps always outlast the clean second: the first launch pauses after
  /// 40–1,000 steps whatever the machine's speed.
  static let dirtyHour: [(Double, Double)] = [(0, 100), (0.5, 480), (1, 900), (3600, 100)]

  static func ledger(_ run: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: run + "/ledger.jsonl", encoding: .utf8)
    return try text.split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  /// Every step is charged at the series' value when it started: 100 or 900, and its CO2e
  /// increment is its energy increment × that value.
  @Test func everyStepIsChargedAtTheIntensityOfItsStart() throws {
    var seriesPath = ""
    let setup = try Harness.preparedRun("carbon-alternating") { data, run in
      seriesPath = data + "/alternating.csv"
      return TinyModel.config(
        data: data, runDirectory: run,
        extra: Self.accounting("intensity_series = \"\(seriesPath)\"\nclock_start = \"\(Self.start)\""))
    }
    _ = try Self.series(
      (0..<600).map { (Double($0), $0 % 2 == 0 ? 100 : 900) }, in: setup.data, name: "alternating.csv")
    let result = try Harness.run([
      "train", "--config", setup.config, "--set", "train.max_steps=1500", "--set", "train.eval_every=0",
      "--set", "train.log_every=500",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let rows = try Harness.trainRecords(setup.run)
    #expect(rows.count == 1500)
    var worst = 0.0
    var previous: (energy: Double, co2e: Double) = (0, 0)
    var seen: Set<Double> = []
    for row in rows {
      let intensity = try #require(row["grid_intensity"] as? Double, "row without grid_intensity: \(row)")
      seen.insert(intensity)
      #expect(intensity == 100 || intensity == 900, "step \(row["step"]!): \(intensity)")
      let energy = try #require(row["energy_kwh"] as? Double)
      let co2e = try #require(row["co2e_kg"] as? Double)
      let expected = (energy - previous.energy) * intensity / 1000
      let increment = co2e - previous.co2e
      if expected > 0 { worst = max(worst, abs(increment - expected) / expected) } else { #expect(increment == 0) }
      previous = (energy, co2e)
    }
    let last = try #require(rows.last)
    print(
      "alternating 100/900: \(rows.count) steps, intensities seen \(seen.sorted()), max relative error of the "
        + "per-step CO2e \(worst), total \(last["co2e_kg"]!) kg for \(last["energy_kwh"]!) kWh")
    #expect(worst <= 0.02)
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: setup.run + "/report.json")))
        as? [String: Any])
    let mean = try #require(report["grid_intensity"] as? Double)
    #expect(mean >= 100 && mean <= 900)
    #expect((report["segments"] as? [Any])?.count == 1)
    #expect(try Self.ledger(setup.run).first?["ended"] as? String == "finished")
  }

  /// A tiny run with `pause_above = 500` over `dirtyHour`, its clock mapped to the series' start.
  static func runThatTurnsDirty(_ label: String) throws -> (data: String, config: String, run: String) {
    let setup = try Harness.preparedRun(label) { data, run in
      TinyModel.config(
        data: data, runDirectory: run,
        extra: Self.accounting(
          "intensity_series = \"\(data)/dirty.csv\"\nclock_start = \"\(Self.start)\"\npause_above = 500"))
    }
    _ = try Self.series(Self.dirtyHour, in: setup.data, name: "dirty.csv")
    return setup
  }

  /// `pause_above = 500` on 2 ranks: exit 75 with a checkpoint before the dirty hour; resumed
  /// after it, every step is logged once and none ran above 500.
  @Test func pausesBeforeTheDirtyHourAndResumesAfterIt() throws {
    let maxSteps = 3000
    let setup = try Self.runThatTurnsDirty("carbon-pause")
    let common = [
      "train", "--config", setup.config, "--set", "train.max_steps=\(maxSteps)", "--set", "train.eval_every=0",
      "--set", "train.log_every=500",
    ]
    let first = try Harness.run(common, ranks: 2)
    #expect(first.status == 75, "first launch should pause: \(first.stdout) \(first.stderr)")
    let pauseLines = first.stdout.split(separator: "\n").filter { $0.contains("paused before step") }
    #expect(pauseLines.count == 1, "\(first.stdout)")
    #expect(pauseLines.first?.contains("resume at 2030-01-01T01:00:00Z") == true, "\(pauseLines)")
    let before = try Harness.trainRecords(setup.run)
    let paused = before.count
    #expect(paused > 0 && paused < maxSteps)
    #expect(before.map { $0["step"] as! Int } == Array(1...max(1, paused)))
    #expect(FileManager.default.fileExists(atPath: setup.run + String(format: "/checkpoints/step_%08d.h5", paused)))
    #expect(before.allSatisfy { ($0["grid_intensity"] as? Double ?? 1e9) <= 500 })

    let second = try Harness.run(common + ["--set", "accounting.clock_start=2030-01-01T01:00:00Z"], ranks: 2)
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stdout.contains("resuming from"))
    let after = try Harness.trainRecords(setup.run)
    #expect(after.map { $0["step"] as! Int } == Array(1...maxSteps), "every step logged exactly once")
    let intensities = after.compactMap { $0["grid_intensity"] as? Double }
    #expect(intensities.count == maxSteps && intensities.allSatisfy { $0 <= 500 }, "no step above 500")

    let segments = try Self.ledger(setup.run)
    #expect(segments.count == 2)
    #expect(segments.first?["ended"] as? String == "paused")
    #expect(segments.first?["resume_at"] as? String == "2030-01-01T01:00:00Z")
    #expect(segments.last?["ended"] as? String == "finished")
    #expect(segments.last?["first_step"] as? Int == paused)
    let steps = segments.compactMap { $0["steps"] as? Int }
    #expect(steps.reduce(0, +) == maxSteps)
    #expect(segments.allSatisfy { ($0["ranks"] as? Int) == 2 && ($0["hosts"] as? [String])?.count == 1 })
    #expect(Set(segments.compactMap { $0["job_id"] as? String }).count == 1, "a resume continues the job")
    print(
      "carbon pause on 2 ranks: paused after step \(paused) of \(maxSteps) (exit 75), resumed \(steps.last ?? 0) steps; ledger steps \(steps)"
    )
  }

  /// `launch/local.sh --wait-on-pause` on a replayed clock: one invocation pauses, relaunches
  /// with `accounting.clock_start` moved to the resume time, and finishes.
  @Test func localScriptRelaunchesAPausedReplayAtItsResumeTime() throws {
    let maxSteps = 3000
    let setup = try Self.runThatTurnsDirty("carbon-local")
    let log = setup.run + ".log"
    let process = try Harness.spawn(
      [
        "bash", PackagePaths.root + "/launch/local.sh", "--wait-on-pause", "2", "--",
        "--config", setup.config, "--set", "train.max_steps=\(maxSteps)", "--set", "train.eval_every=0",
        "--set", "train.log_every=500",
      ],
      environment: [
        "SWIFTLET_BIN": Harness.executable, "SWIFTLET_PAUSE_WAIT": "0", "OPENBLAS_NUM_THREADS": "1",
        "OMPI_MCA_rmaps_base_oversubscribe": "1",
      ], log: log)
    Harness.waitForExit(process, seconds: 300, "local.sh --wait-on-pause")
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    #expect(process.terminationStatus == 0, "\(text)")
    #expect(text.contains("local.sh: paused for carbon; resuming at 2030-01-01T01:00:00Z"), "\(text)")
    #expect(try Harness.trainRecords(setup.run).map { $0["step"] as! Int } == Array(1...maxSteps))
    #expect(try Self.ledger(setup.run).map { $0["ended"] as? String ?? "" } == ["paused", "finished"])
  }

  /// Past the series' end the last value is held, with exactly one warning.
  @Test func aRunPastTheSeriesEndHoldsItsLastValueWithOneWarning() throws {
    let setup = try Harness.preparedRun("carbon-short") { data, run in
      TinyModel.config(
        data: data, runDirectory: run,
        extra: Self.accounting("intensity_series = \"\(data)/short.csv\"\nclock_start = \"\(Self.start)\""))
    }
    // Two rows 0.1 s apart: the series ends 0.2 s into the run.
    _ = try Self.series([(0, 100), (0.1, 200)], in: setup.data, name: "short.csv")
    let result = try Harness.run(["train", "--config", setup.config, "--set", "train.max_steps=1500"])
    #expect(result.status == 0, "\(result.stderr)")
    let warnings = result.stderr.split(separator: "\n").filter { $0.contains("holding its last value") }
    #expect(warnings.count == 1, "\(result.stderr)")
    #expect(try Harness.trainRecords(setup.run).last?["grid_intensity"] as? Double == 200)
  }

  /// Item 5 of the issue for `train`: one `error:` line, non-zero exit, before any step.
  @Test func badSeriesInputsStopTrainWithOneLine() throws {
    let setup = try Harness.preparedRun("carbon-bad") { data, run in TinyModel.config(data: data, runDirectory: run) }
    let noHeader = setup.data + "/no-header.csv"
    try "2030-01-01T00:00:00Z,100\n".write(toFile: noHeader, atomically: true, encoding: .utf8)
    let late = try Self.series([(3600, 100), (7200, 200)], in: setup.data, name: "late.csv")
    let cases: [([String], String)] = [
      (["--set", "accounting.intensity_series=\(noHeader)"], "missing header"),
      (
        ["--set", "accounting.intensity_series=\(late)", "--set", "accounting.clock_start=\(Self.start)"],
        "starts at 2030-01-01T01:00:00Z, after the run's start"
      ),
      (["--set", "accounting.pause_above=300"], "needs accounting.intensity_series"),
      (
        ["--set", "accounting.intensity_series=\(late)", "--set", "accounting.clock_start=soon"],
        "not an ISO 8601 UTC timestamp"
      ),
      (["--set", "accounting.intensity_series=\(late)", "--set", "accounting.grid_intensity=300"], "give only one"),
    ]
    for (arguments, expected) in cases {
      let result = try Harness.run(["train", "--config", setup.config] + arguments)
      let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
      #expect(result.status != 0, "\(arguments)")
      #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains(expected), "\(result.stderr)")
      if FileManager.default.fileExists(atPath: setup.run + "/metrics.jsonl") {
        let records = try Harness.trainRecords(setup.run)
        #expect(records.isEmpty, "no step may run on bad input")
      }
    }
  }
}
