import Accounting
import Foundation
import Parallel
import SwiftletCore

/// `RUN_DIR/ledger.jsonl`: one `JobSegment` line per launch of `train`, written by rank 0 when
/// the launch ends (finished, paused, preempted or stopped). docs/accounting.md, "The ledger".
final class SegmentLedger {
  static let fileName = "ledger.jsonl"

  let jobID: String
  let hosts: [String]
  let ranks: Int
  /// Real UTC start of this launch.
  let start = Date().timeIntervalSince1970
  private let monotonicStart = MonotonicClock.now()
  private var baseline = ComputeLedger()
  private var firstStep = 0
  private var lost = ComputeLedger.LostWork(steps: 0, tokens: 0, flops: 0, energyKWh: 0, co2eKg: 0, wallSeconds: 0)

  /// Collects the host names of all ranks on rank 0 (collective).
  init(grid: ProcessGrid) throws {
    ranks = grid.worldSize
    let width = 64
    var name = [CChar](repeating: 0, count: width + 1)
    gethostname(&name, width)
    let mine = Array(String(cString: name).utf8.prefix(width)) + [UInt8](repeating: 0, count: width)
    var all = [UInt8](repeating: 0, count: grid.isCoordinator ? width * grid.worldSize : 1)
    if grid.worldSize > 1 {
      try mine.withUnsafeBufferPointer { input in
        try all.withUnsafeMutableBufferPointer { output in
          try grid.world.gather(input.baseAddress!, count: width, into: output.baseAddress, root: 0)
        }
      }
    } else {
      all = Array(mine.prefix(width))
    }
    var hosts: [String] = []
    if grid.isCoordinator {
      for rank in 0..<grid.worldSize {
        let bytes = all[rank * width..<(rank + 1) * width].prefix { $0 != 0 }
        let host = String(decoding: bytes, as: UTF8.self)
        if !hosts.contains(host) { hosts.append(host) }
      }
    }
    self.hosts = hosts
    let environment = ProcessInfo.processInfo.environment
    let compact = UTCTimestamp.string(start.rounded(.down)).filter { $0 != "-" && $0 != ":" }
    jobID =
      environment["SLURM_JOB_ID"].flatMap { $0.isEmpty ? nil : $0 }
      ?? "local-\(hosts.first ?? "host")-\(compact)-\(getpid())"
  }

  /// Where this launch's figures start: the ledger after the resume (lost work included) and
  /// the lost work booked by that resume.
  func begin(ledger: ComputeLedger, step: Int, lostAtResume: ComputeLedger.LostWork?) {
    baseline = ledger
    firstStep = step
    if let lostAtResume { lost = lostAtResume }
  }

  /// This launch's line, from the ledger now.
  func segment(
    ledger: ComputeLedger, step: Int, ended: String, resumeAt: Double? = nil, clock: (start: Double, end: Double)? = nil
  ) -> JobSegment {
    JobSegment(
      jobID: jobID, hosts: hosts, ranks: ranks, start: UTCTimestamp.string(start),
      end: UTCTimestamp.string(Date().timeIntervalSince1970), firstStep: firstStep, lastStep: step,
      steps: ledger.steps - baseline.steps, tokens: ledger.tokens - baseline.tokens,
      energyKWh: ledger.energyKWh - baseline.energyKWh, co2eKg: ledger.co2eKg - baseline.co2eKg,
      wallSeconds: MonotonicClock.now() - monotonicStart, lostSteps: lost.steps, lostEnergyKWh: lost.energyKWh,
      lostCO2eKg: lost.co2eKg, ended: ended, resumeAt: resumeAt.map(UTCTimestamp.string),
      clockStart: clock.map { UTCTimestamp.string($0.start) }, clockEnd: clock.map { UTCTimestamp.string($0.end) })
  }

  /// Appends `segment` to `runDirectory/ledger.jsonl` (rank 0).
  static func append(_ segment: JobSegment, runDirectory: String) throws {
    let path = runDirectory + "/" + fileName
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var line = try encoder.encode(segment)
    line.append(10)
    if !FileManager.default.fileExists(atPath: path) {
      guard FileManager.default.createFile(atPath: path, contents: nil) else {
        throw SwiftletError("cannot create \(path): check that the run directory is writable")
      }
    }
    guard let handle = FileHandle(forWritingAtPath: path) else {
      throw SwiftletError("cannot open \(path) for writing")
    }
    defer { try? handle.close() }
    do {
      try handle.seekToEnd()
      try handle.write(contentsOf: line)
    } catch {
      throw SwiftletError("cannot append to \(path): \(error.localizedDescription)")
    }
  }

  /// Removes `runDirectory/ledger.jsonl` (a run that starts from step 0 without a checkpoint).
  static func reset(runDirectory: String) {
    try? FileManager.default.removeItem(atPath: runDirectory + "/" + fileName)
  }

  /// Every line of `runDirectory/ledger.jsonl` as JSON objects (unreadable lines skipped).
  static func read(runDirectory: String) -> [[String: Any]] {
    guard let text = try? String(contentsOfFile: runDirectory + "/" + fileName, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
  }
}
