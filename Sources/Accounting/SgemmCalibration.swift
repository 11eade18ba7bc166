import CBLAS
import Foundation
import Kernels
import SwiftletCore

/// The float32 GEMM throughput OpenBLAS reaches on this machine: the per-core peak behind the
/// `cpu`/`auto` hardware profile and thus the denominator of MFU on CPUs.
///
/// nanoGPT hard-coded the A100 peak and reported 104% MFU on an H100 (nanoGPT#464); a calibration
/// taken in a busy moment fails the same way (docs/accounting.md, "Peak and MFU"). So the peak is
/// the best of several short trials, spread over time, of the GEMM shapes the run itself executes
/// (`GemmShape.model`), with the loaded OpenBLAS kernel and the run's thread count; and a step
/// that runs faster than the peak raises it (`TrainingAccountant`), so MFU never exceeds 100%.
/// `swiftlet plan` reads a cached measurement of GPT-2 small's shapes from
/// `${XDG_CACHE_HOME:-$HOME/.cache}/swiftlet/sgemm-peak.json`, keyed by CPU model, kernel and threads.
public struct SgemmCalibration: Sendable {
  /// One cached measurement.
  public struct Measurement: Codable, Equatable, Sendable {
    public var cpuModel: String
    /// The OpenBLAS kernel measured (`openblas_get_corename`).
    public var blasCore: String
    public var threads: Int
    /// Best FLOP/s observed over the shapes and trials.
    public var flopsPerSecond: Double
    /// ISO 8601 time of the measurement.
    public var measuredAt: String
  }

  struct CacheFile: Codable {
    var version = 2
    var measurements: [Measurement] = []
  }

  /// Where measurements are cached.
  public let cacheURL: URL
  /// Shapes measured for the cached (planning) figure.
  public let shapes: [GemmShape]
  /// Rounds over the shapes; the best round of each shape counts.
  public let trials: Int

  public init(
    cacheURL: URL = SgemmCalibration.defaultCacheURL,
    shapes: [GemmShape] = GemmShape.model(dModel: 768, vocabSize: 50257, rows: 256), trials: Int = 5
  ) {
    self.cacheURL = cacheURL
    self.shapes = shapes
    self.trials = trials
  }

  /// `${XDG_CACHE_HOME:-$HOME/.cache}/swiftlet/sgemm-peak.json` (`/tmp` when neither is set).
  public static var defaultCacheURL: URL {
    let env = ProcessInfo.processInfo.environment
    let base: String
    if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty {
      base = xdg
    } else if let home = env["HOME"], !home.isEmpty {
      base = home + "/.cache"
    } else {
      base = NSTemporaryDirectory()
    }
    return URL(fileURLWithPath: base).appendingPathComponent("swiftlet/sgemm-peak.json")
  }

  /// The cached measurement for this CPU model, kernel and thread count, if any.
  public func cached(
    threads: Int, cpuModel: String = CPUInfo.current.modelName, blasCore: String = BLASKernelSelection.loadedCore
  ) -> Measurement? {
    load().measurements.first { $0.cpuModel == cpuModel && $0.blasCore == blasCore && $0.threads == threads }
  }

  /// The cached measurement, or a fresh one (then cached). `remeasure` ignores the cache.
  public func peak(
    threads: Int, cpuModel: String = CPUInfo.current.modelName, remeasure: Bool = false
  ) -> Measurement {
    let core = BLASKernelSelection.loadedCore
    if !remeasure, let hit = cached(threads: threads, cpuModel: cpuModel, blasCore: core) { return hit }
    let measurement = Measurement(
      cpuModel: cpuModel, blasCore: core, threads: threads,
      flopsPerSecond: SgemmCalibration.measure(threads: threads, shapes: shapes, trials: trials),
      measuredAt: ISO8601DateFormatter().string(from: Date()))
    store(measurement)
    return measurement
  }

  /// The best FLOP/s any of `shapes` reaches with `threads` OpenBLAS threads. Each round
  /// times every shape once (repeating a small GEMM until 2 ms have passed, so a tiny model's
  /// shapes are timed as reliably as large ones); rounds continue until `trials` are done and at
  /// least `minimumSeconds` have passed, so one slow moment cannot decide the figure. The thread
  /// count is restored afterwards.
  public static func measure(
    threads: Int, shapes: [GemmShape], trials: Int = 5, minimumSeconds: Double = 0.3
  ) -> Double {
    let previous = openblas_get_num_threads()
    openblas_set_num_threads(Int32(max(1, threads)))
    defer { openblas_set_num_threads(previous) }
    let buffers = shapes.map { GemmShape.Operands($0) }
    for operands in buffers { operands.run() }  // warm-up: thread pool start, page faults
    var best = 0.0
    let start = MonotonicClock.now()
    var round = 0
    while round < max(1, trials) || MonotonicClock.now() - start < minimumSeconds {
      for operands in buffers {
        var calls = 0
        let begin = MonotonicClock.now()
        var elapsed = 0.0
        repeat {
          operands.run()
          calls += 1
          elapsed = MonotonicClock.now() - begin
        } while elapsed < 0.002
        best = max(best, Double(calls) * operands.shape.flops / elapsed)
      }
      round += 1
    }
    return best
  }

  /// The cache's keys are the properties' names in snake_case (`cpu_model`, `flops_per_second`).
  func load() -> CacheFile {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    guard let data = try? Data(contentsOf: cacheURL),
      let file = try? decoder.decode(CacheFile.self, from: data), file.version == CacheFile().version
    else { return CacheFile() }
    return file
  }

  /// Replaces the entry for the same CPU model, kernel and threads; writes atomically. A cache
  /// that cannot be written only costs a re-measurement next time.
  func store(_ measurement: Measurement) {
    var file = load()
    file.measurements.removeAll {
      $0.cpuModel == measurement.cpuModel && $0.blasCore == measurement.blasCore && $0.threads == measurement.threads
    }
    file.measurements.append(measurement)
    file.measurements.sort { ($0.cpuModel, $0.blasCore, $0.threads) < ($1.cpuModel, $1.blasCore, $1.threads) }
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard let data = try? encoder.encode(file) else { return }
    try? FileManager.default.createDirectory(
      at: cacheURL.deletingLastPathComponent(), withIntermediateDirectories: true)
    try? data.write(to: cacheURL, options: .atomic)
  }
}

extension HardwareProfile {
  /// This machine's CPU as a device of `coresPerDevice` cores (default: the whole node).
  ///
  /// Peak = measured single-thread sgemm FLOP/s × cores (measure the machine, don't trust
  /// a datasheet). Power = cores × TDP/core (`CPUPowerTable`) + the device's share of the node's
  /// memory × `memoryWattsPerGiB` (codecarbon's 3 W per 8 GB, see docs/accounting.md).
  public static func thisMachine(
    perCorePeak: Double, cpu: CPUInfo = .current, coresPerDevice: Int? = nil,
    power: CPUPower? = nil, memoryWattsPerGiB: Double = EnergyConstants.memoryWattsPerGiB
  ) -> HardwareProfile {
    let cores = max(1, coresPerDevice ?? cpu.cores)
    let corePower = power ?? CPUPowerTable.power(for: cpu)
    let share = Double(cores) / Double(cpu.cores)
    let memory = cpu.memoryBytes * share
    let watts = Double(cores) * corePower.wattsPerCore + memory / gib * memoryWattsPerGiB
    return HardwareProfile(
      name: "cpu", kind: .cpu, description: "\(cpu.modelName), \(cores) of \(cpu.cores) cores",
      peakFlops: perCorePeak * Double(cores), precision: "fp32", averagePowerWatts: watts,
      tdpWatts: nil, memoryBytes: memory,
      sources: [
        "peak: measured cblas_sgemm, \(String(format: "%.1f", perCorePeak / 1e9)) GFLOP/s per core × \(cores)",
        "power: \(corePower.source); memory \(memoryWattsPerGiB) W/GiB (codecarbon v2 methodology)",
        "memory: /proc/meminfo MemTotal × \(cores)/\(cpu.cores) cores",
      ])
  }

  /// The profile called `name`: an accelerator, or this machine's CPU (measured once, then read
  /// from the sgemm cache) for `cpu`/`auto`.
  /// `remeasure` ignores the cache (after a measurement on a busy machine).
  public static func resolve(
    _ name: String, calibration: SgemmCalibration = SgemmCalibration(), coresPerDevice: Int? = nil,
    remeasure: Bool = false
  ) throws -> HardwareProfile {
    if isCPU(name) {
      let perCore = calibration.peak(threads: 1, remeasure: remeasure).flopsPerSecond
      return thisMachine(perCorePeak: perCore, coresPerDevice: coresPerDevice)
    }
    return try accelerator(named: name)
  }
}
