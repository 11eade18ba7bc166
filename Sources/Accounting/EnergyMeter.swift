import SwiftletCore

/// Constants of the energy model, with their sources in docs/accounting.md.
public enum EnergyConstants {
  /// Watts per GiB of installed memory: codecarbon's v2 methodology, "3 Watts for 8 GB"
  /// (Crucial's guidance), i.e. 0.375 W/GiB. codecarbon v3 moved to 5 W per DIMM, which needs
  /// the DIMM count (root only); the per-GiB figure needs only /proc/meminfo.
  public static let memoryWattsPerGiB = 0.375
  public static let joulesPerKWh = 3.6e6
}

/// Energy this rank is responsible for, measured where the hardware allows and estimated where
/// it does not (docs/accounting.md, "Measured vs estimated").
///
/// - RAPL readable (bare metal, permissions granted): the node's package and DRAM counters are
///   differenced over the interval by the node leader; the other ranks of the node report 0, so
///   the node is counted once (codecarbon counted a node once per rank: codecarbon PR #1390).
/// - Otherwise (VMs such as these machines): every rank reports its own CPU time × watts per
///   core (`CPUPowerTable`), and the node leader adds installed memory × W/GiB × wall time.
///
/// Everything is multiplied by the PUE. The training loop sums `takeDelta()` over all ranks
/// (one allreduce per step or per log interval) and adds the sum to the `ComputeLedger`.
public final class EnergyMeter {
  public enum Method: String, Codable, Sendable {
    case rapl
    case cpuTimeEstimate = "cpu_time_estimate"
  }

  /// Wall and CPU seconds; injectable for tests.
  public struct Clock: Sendable {
    public var wallSeconds: @Sendable () -> Double
    public var cpuSeconds: @Sendable () -> Double
    public init(wallSeconds: @escaping @Sendable () -> Double, cpuSeconds: @escaping @Sendable () -> Double) {
      self.wallSeconds = wallSeconds
      self.cpuSeconds = cpuSeconds
    }
    /// CLOCK_MONOTONIC and CLOCK_PROCESS_CPUTIME_ID (all threads of this process).
    public static let system = Clock(
      wallSeconds: { MonotonicClock.now() }, cpuSeconds: { MonotonicClock.processCPUSeconds() })
  }

  /// Energy over one interval, this rank's share.
  public struct Reading: Equatable, Sendable {
    /// Facility energy: IT energy × PUE, kWh. This is what the ledger accumulates.
    public var kWh: Double
    /// Energy at the plug of the hardware (before PUE), kWh.
    public var itKWh: Double
    /// The CPU part of `itKWh` (with RAPL: every domain read, DRAM included when present).
    public var cpuKWh: Double
    /// The memory estimate part of `itKWh` (0 when RAPL measures DRAM, or off the node leader).
    public var memoryKWh: Double
    public var wallSeconds: Double
    public var cpuSeconds: Double
  }

  public let method: Method
  /// Whether this rank counts the per-node parts (RAPL, memory). Exactly one rank per node.
  public let isNodeLeader: Bool
  public let pue: Double
  public let wattsPerCore: Double
  public let memoryWatts: Double
  private let rapl: RAPLReader?
  private let raplHasDRAM: Bool
  private let clock: Clock
  private var lastWall: Double
  private var lastCPU: Double
  private var lastRAPL: Double

  /// - Parameters:
  ///   - isNodeLeader: true on exactly one rank per node (e.g. rank 0 of
  ///     `MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)`).
  ///   - pue: data-centre power usage effectiveness (≥ 1).
  ///   - power: watts per busy core when RAPL is not readable.
  ///   - memoryBytes: the node's installed memory (`MemTotal`).
  ///   - raplRoot: powercap directory; nil disables RAPL (forces the estimate).
  public init(
    isNodeLeader: Bool, pue: Double = 1, power: CPUPower = CPUPowerTable.power(for: .current),
    memoryBytes: Double = CPUInfo.current.memoryBytes,
    memoryWattsPerGiB: Double = EnergyConstants.memoryWattsPerGiB,
    raplRoot: String? = "/sys/class/powercap", clock: Clock = .system
  ) throws {
    guard pue >= 1, pue.isFinite else { throw SwiftletError("PUE must be at least 1.0, got \(pue)") }
    self.isNodeLeader = isNodeLeader
    self.pue = pue
    self.wattsPerCore = power.wattsPerCore
    self.memoryWatts = memoryBytes / 1_073_741_824 * memoryWattsPerGiB
    self.clock = clock
    // Every rank of a node sees the same powercap files, so all agree on the method; only the
    // leader keeps the reader open.
    let reader = raplRoot.flatMap { RAPLReader(root: $0) }
    method = reader == nil ? .cpuTimeEstimate : .rapl
    rapl = isNodeLeader ? reader : nil
    raplHasDRAM = reader?.domainNames.contains("dram") ?? false
    lastWall = clock.wallSeconds()
    lastCPU = clock.cpuSeconds()
    lastRAPL = rapl?.read() ?? 0
  }

  /// This rank's energy since the previous call (or since `init`), and moves the mark.
  public func takeDelta() -> Reading {
    let wall = clock.wallSeconds()
    let cpu = clock.cpuSeconds()
    let dWall = max(0, wall - lastWall)
    let dCPU = max(0, cpu - lastCPU)
    lastWall = wall
    lastCPU = cpu
    var cpuJoules = 0.0
    var memoryJoules = 0.0
    switch method {
    case .rapl:
      if let rapl {
        let total = rapl.read()
        cpuJoules = total - lastRAPL  // package + dram domains of the whole node
        lastRAPL = total
        if !raplHasDRAM { memoryJoules = memoryWatts * dWall }
      }
    case .cpuTimeEstimate:
      cpuJoules = dCPU * wattsPerCore
      if isNodeLeader { memoryJoules = memoryWatts * dWall }
    }
    let it = (cpuJoules + memoryJoules) / EnergyConstants.joulesPerKWh
    return Reading(
      kWh: it * pue, itKWh: it, cpuKWh: cpuJoules / EnergyConstants.joulesPerKWh,
      memoryKWh: memoryJoules / EnergyConstants.joulesPerKWh, wallSeconds: dWall, cpuSeconds: dCPU)
  }
}
