/// Power per busy core of server CPUs: the socket's TDP divided by its cores.
///
/// Used when no RAPL counter can be read (most VMs, including these machines): the energy of a
/// rank is then its measured CPU seconds × watts per core. TDP is the sustained power of a
/// socket with every core busy, so TDP/cores is the power of one fully busy core with its share
/// of the uncore (I/O die, caches, memory controllers); a training rank keeps its cores busy in
/// GEMMs. This replaces codecarbon's constant "50% of TDP" fallback (codecarbon
/// #111, #477), which ignores how busy the process actually is.
public struct CPUPower: Equatable, Codable, Sendable {
  public var wattsPerCore: Double
  /// Which CPU the figure comes from and where it is published.
  public var source: String

  public init(wattsPerCore: Double, source: String) {
    self.wattsPerCore = wattsPerCore
    self.source = source
  }
}

public enum CPUPowerTable {
  struct Entry {
    let match: String
    let tdpWatts: Double
    let cores: Double
    let source: String
    var power: CPUPower {
      CPUPower(
        wattsPerCore: tdpWatts / cores,
        source: "\(source): \(Int(tdpWatts)) W / \(Int(cores)) cores")
    }
  }

  /// Processor specifications published by the vendors (AMD EPYC product pages, Intel ARK).
  static let entries: [Entry] = [
    Entry(
      match: "EPYC 9755", tdpWatts: 500, cores: 128, source: "AMD EPYC 9755 (Zen 5 \"Turin\") default TDP"),
    Entry(
      match: "EPYC 9654", tdpWatts: 360, cores: 96, source: "AMD EPYC 9654 (Zen 4 \"Genoa\") default TDP"),
    Entry(
      match: "EPYC 7763", tdpWatts: 280, cores: 64, source: "AMD EPYC 7763 (Zen 3 \"Milan\") default TDP"),
    Entry(
      match: "Xeon(R) Platinum 8480", tdpWatts: 350, cores: 56,
      source: "Intel Xeon Platinum 8480+ TDP (Intel ARK)"),
    Entry(
      match: "Xeon(R) Platinum 8380", tdpWatts: 270, cores: 40,
      source: "Intel Xeon Platinum 8380 TDP (Intel ARK)"),
  ]

  /// The figure for `cpu`: an exact model match, else its family's flagship (hypervisors often
  /// hide the model, as here: "AMD EPYC", family 26), else a generic server core.
  public static func power(for cpu: CPUInfo) -> CPUPower {
    if let entry = entries.first(where: { cpu.modelName.contains($0.match) }) {
      return entry.power
    }
    let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.match, $0) })
    if cpu.vendor == "AuthenticAMD" {
      if cpu.family == 26, let e = byName["EPYC 9755"] {
        return note(e.power, "model hidden (\"\(cpu.modelName)\"), AMD family 26 = Zen 5")
      }
      if cpu.family == 25, let e = byName["EPYC 7763"] {
        return note(e.power, "model hidden (\"\(cpu.modelName)\"), AMD family 25 = Zen 3/4")
      }
    }
    let generic = byName["EPYC 7763"]!.power
    return note(generic, "no table entry for \"\(cpu.modelName)\"; generic server core")
  }

  private static func note(_ power: CPUPower, _ why: String) -> CPUPower {
    CPUPower(wattsPerCore: power.wattsPerCore, source: "\(power.source) (\(why))")
  }
}
