import Foundation

/// Reads the energy counters of Intel/AMD RAPL through Linux powercap
/// (`/sys/class/powercap/intel-rapl*/energy_uj`; AMD CPUs use the same driver since Linux 5.8).
///
/// The counters are cumulative microjoules that wrap at `max_energy_range_uj`. Energy over an
/// interval is the difference of two readings, not a power sample times time: codecarbon once
/// sampled RAPL power over 10 ms and extrapolated (codecarbon #117). Each `read()` adds the
/// difference since the previous one, unwrapping at most one wrap per domain; call it more often
/// than the wrap period (max_energy_range_uj / power: tens of minutes at a few hundred watts),
/// e.g. once per training step.
///
/// Domains counted: each package (`package-N`) and each `dram` domain. `core`/`uncore` are
/// parts of their package and `psys` overlaps everything, so they are skipped to avoid double
/// counting. RAPL is per node: only one rank per node may use it (`EnergyMeter`).
public final class RAPLReader {
  struct Domain {
    let energyPath: String
    let name: String
    let maxRange: Double
    var last: Double
  }

  private var domains: [Domain]
  /// Joules accumulated since `init`.
  public private(set) var joules: Double = 0

  /// Opens the readable package and dram domains under `root`; nil when there are none (no
  /// powercap, a VM, or counters readable only by root since CVE-2020-8694).
  public init?(root: String = "/sys/class/powercap") {
    let fm = FileManager.default
    guard let entries = try? fm.contentsOfDirectory(atPath: root) else { return nil }
    var found: [Domain] = []
    // Top-level zones are `intel-rapl:N`; their subzones `intel-rapl:N:M` are nested in them
    // and also linked at the top level. Walk both, de-duplicated by zone name.
    var zones = Set<String>()
    for entry in entries where entry.hasPrefix("intel-rapl:") {
      zones.insert(entry)
      if let subs = try? fm.contentsOfDirectory(atPath: root + "/" + entry) {
        for sub in subs where sub.hasPrefix("intel-rapl:") { zones.insert(entry + "/" + sub) }
      }
    }
    var seen = Set<String>()
    for zone in zones.sorted() {
      let leaf = String(zone.split(separator: "/").last!)
      guard !seen.contains(leaf) else { continue }
      let dir = root + "/" + zone
      guard let name = RAPLReader.text(dir + "/name"),
        name.hasPrefix("package") || name == "dram",
        let energy = RAPLReader.number(dir + "/energy_uj")
      else { continue }
      seen.insert(leaf)
      let range = RAPLReader.number(dir + "/max_energy_range_uj") ?? 0
      found.append(Domain(energyPath: dir + "/energy_uj", name: name, maxRange: range, last: energy))
    }
    guard !found.isEmpty else { return nil }
    domains = found
  }

  /// Domain names read (e.g. ["dram", "package-0"]).
  public var domainNames: [String] { domains.map(\.name).sorted() }

  /// Adds the energy since the previous reading and returns the total since `init`, in joules.
  @discardableResult
  public func read() -> Double {
    for i in domains.indices {
      guard let now = RAPLReader.number(domains[i].energyPath) else { continue }
      var delta = now - domains[i].last
      if delta < 0 {
        // The counter wrapped: it ran from `last` up to the range, then from 0 to `now`.
        delta = domains[i].maxRange > 0 ? domains[i].maxRange - domains[i].last + now : 0
      }
      joules += delta * 1e-6
      domains[i].last = now
    }
    return joules
  }

  static func text(_ path: String) -> String? {
    (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  static func number(_ path: String) -> Double? {
    text(path).flatMap { Double($0) }
  }
}
