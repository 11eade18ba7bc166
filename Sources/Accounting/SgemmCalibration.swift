import CBLAS
import Foundation
import SwiftletCore

/// The float32 GEMM throughput OpenBLAS reaches on this machine: the per-core peak behind the
/// `cpu`/`auto` hardware profile and thus the denominator of MFU on CPUs.
///
/// BRIEF pitfalls: nanoGPT hard-coded the A100 peak and reported 104% MFU on an H100 (#464).
/// Swiftlet measures the machine it runs on: a square `cblas_sgemm` (2·n³ FLOPs), best of
/// repeated calls for about half a second, with 1 thread and with all cores; cached in
/// `${XDG_CACHE_HOME:-$HOME/.cache}/swiftlet/sgemm-peak.json`, keyed by CPU model and threads.
///
/// Measure on an otherwise idle node: ranks that calibrate at the same time share the cores and
/// under-measure. In a job, let one rank per node calibrate while the others wait at a barrier,
/// then every rank reads the cache.
public struct SgemmCalibration: Sendable {
  /// One cached measurement.
  public struct Measurement: Codable, Equatable, Sendable {
    public var cpuModel: String
    public var threads: Int
    /// Best FLOP/s observed.
    public var flopsPerSecond: Double
    public var matrixSize: Int
    /// ISO 8601 time of the measurement.
    public var measuredAt: String

    enum CodingKeys: String, CodingKey {
      case cpuModel = "cpu_model"
      case threads
      case flopsPerSecond = "flops_per_second"
      case matrixSize = "matrix_size"
      case measuredAt = "measured_at"
    }
  }

  struct CacheFile: Codable {
    var version = 1
    var measurements: [Measurement] = []
  }

  /// Where measurements are cached.
  public let cacheURL: URL
  /// Side of the square matrices (1024 or 2048 keep a measurement near half a second).
  public let matrixSize: Int
  /// Seconds spent per thread count.
  public let seconds: Double

  public init(cacheURL: URL = SgemmCalibration.defaultCacheURL, matrixSize: Int = 1024, seconds: Double = 0.5)
  {
    self.cacheURL = cacheURL
    self.matrixSize = matrixSize
    self.seconds = seconds
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

  /// The cached measurement for this CPU model and thread count, if any.
  public func cached(threads: Int, cpuModel: String = CPUInfo.current.modelName) -> Measurement? {
    load().measurements.first { $0.cpuModel == cpuModel && $0.threads == threads }
  }

  /// The cached measurement, or a fresh one (then cached). `remeasure` ignores the cache.
  public func peak(
    threads: Int, cpuModel: String = CPUInfo.current.modelName, remeasure: Bool = false
  ) -> Measurement {
    if !remeasure, let hit = cached(threads: threads, cpuModel: cpuModel) { return hit }
    let measurement = Measurement(
      cpuModel: cpuModel, threads: threads,
      flopsPerSecond: SgemmCalibration.measure(threads: threads, size: matrixSize, seconds: seconds),
      matrixSize: matrixSize, measuredAt: ISO8601DateFormatter().string(from: Date()))
    store(measurement)
    return measurement
  }

  /// Measures (or reads from the cache) this machine with 1 thread and with all its cores:
  /// about one second the first time. The single-thread figure is the per-core peak.
  @discardableResult
  public func calibrateThisMachine(cpu: CPUInfo = .current, remeasure: Bool = false) -> [Measurement] {
    Array(Set([1, cpu.cores])).sorted().map {
      peak(threads: $0, cpuModel: cpu.modelName, remeasure: remeasure)
    }
  }

  /// Best FLOP/s of `size`³ `cblas_sgemm` calls with `threads` OpenBLAS threads over about
  /// `seconds` (the thread count is restored afterwards).
  public static func measure(threads: Int, size: Int = 1024, seconds: Double = 0.5) -> Double {
    let previous = openblas_get_num_threads()
    openblas_set_num_threads(Int32(max(1, threads)))
    defer { openblas_set_num_threads(previous) }
    let count = size * size
    var a = [Float](repeating: 0, count: count)
    var b = [Float](repeating: 0, count: count)
    var c = [Float](repeating: 0, count: count)
    for i in 0..<count {
      a[i] = Float(i % 7) * 0.01
      b[i] = Float(i % 5) * 0.01
    }
    let n = Int32(size)
    let flops = 2 * Double(size) * Double(size) * Double(size)
    func run() {
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          c.withUnsafeMutableBufferPointer { pc in
            cblas_sgemm(
              CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, pa.baseAddress, n,
              pb.baseAddress, n, 0, pc.baseAddress, n)
          }
        }
      }
    }
    run()  // warm-up: thread pool start, page faults
    var best = 0.0
    let deadline = MonotonicClock.now() + seconds
    repeat {
      let start = MonotonicClock.now()
      run()
      let elapsed = MonotonicClock.now() - start
      if elapsed > 0 { best = max(best, flops / elapsed) }
    } while MonotonicClock.now() < deadline
    return best
  }

  func load() -> CacheFile {
    guard let data = try? Data(contentsOf: cacheURL),
      let file = try? JSONDecoder().decode(CacheFile.self, from: data)
    else { return CacheFile() }
    return file
  }

  /// Replaces the entry for the same CPU model and threads; writes atomically. A cache that
  /// cannot be written only costs a re-measurement next time.
  func store(_ measurement: Measurement) {
    var file = load()
    file.measurements.removeAll { $0.cpuModel == measurement.cpuModel && $0.threads == measurement.threads }
    file.measurements.append(measurement)
    file.measurements.sort { ($0.cpuModel, $0.threads) < ($1.cpuModel, $1.threads) }
    let encoder = JSONEncoder()
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
  /// Peak = measured single-thread sgemm FLOP/s × cores (BRIEF: measure the machine, don't trust
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
      let perCore = calibration.calibrateThisMachine(remeasure: remeasure)
        .first { $0.threads == 1 }!.flopsPerSecond
      return thisMachine(perCorePeak: perCore, coresPerDevice: coresPerDevice)
    }
    return try accelerator(named: name)
  }
}
