import Foundation

/// What Linux says about this machine's CPU and memory (`/proc/cpuinfo`, `/proc/meminfo`).
public struct CPUInfo: Equatable, Codable, Sendable {
  /// `model name` of the first processor, e.g. "AMD EPYC 7763 64-Core Processor" (hypervisors
  /// may shorten it to "AMD EPYC").
  public var modelName: String
  /// `vendor_id`, e.g. "AuthenticAMD".
  public var vendor: String
  /// `cpu family` (26 = AMD Zen 5, 25 = Zen 3/4, 6 = most Intel server parts).
  public var family: Int
  /// Cores online on the node (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
  public var cores: Int
  /// Cores this process may run on (its affinity mask; `mpirun` binds ranks), at least 1.
  public var affinityCores: Int
  /// Installed memory of the node (`MemTotal`), bytes.
  public var memoryBytes: Double

  public init(
    modelName: String, vendor: String, family: Int, cores: Int, affinityCores: Int? = nil,
    memoryBytes: Double
  ) {
    self.modelName = modelName
    self.vendor = vendor
    self.family = family
    self.cores = max(1, cores)
    self.affinityCores = max(1, affinityCores ?? cores)
    self.memoryBytes = memoryBytes
  }

  /// This machine, read once.
  public static let current: CPUInfo = read()

  static func read() -> CPUInfo {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
    let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    return parse(cpuinfo: cpuinfo, meminfo: meminfo, cores: online, affinityCores: affinityCount())
  }

  /// Parses the text of `/proc/cpuinfo` and `/proc/meminfo` (`cores`: online cores).
  public static func parse(cpuinfo: String, meminfo: String, cores: Int, affinityCores: Int? = nil) -> CPUInfo {
    func field(_ name: String, in text: String) -> String? {
      for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
          return parts[1].trimmingCharacters(in: .whitespaces)
        }
      }
      return nil
    }
    let kib = field("MemTotal", in: meminfo)?.split(separator: " ").first.flatMap { Double($0) } ?? 0
    return CPUInfo(
      modelName: field("model name", in: cpuinfo) ?? "unknown CPU",
      vendor: field("vendor_id", in: cpuinfo) ?? "unknown",
      family: field("cpu family", in: cpuinfo).flatMap { Int($0) } ?? 0,
      cores: cores, affinityCores: affinityCores, memoryBytes: kib * 1024)
  }

  /// Cores in this process's affinity mask (what `mpirun` bound it to), from the
  /// `Cpus_allowed_list` of `/proc/self/status` (e.g. "0-3,8"); else the online count.
  static func affinityCount() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed_list:") {
      let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
      if let count = countCPUs(inList: list), count > 0 { return count }
    }
    return ProcessInfo.processInfo.activeProcessorCount
  }

  /// Counts the CPUs of a Linux CPU list such as "0-3,8,10-11" (7); nil if malformed.
  public static func countCPUs(inList list: String) -> Int? {
    var total = 0
    for part in list.split(separator: ",") {
      let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      switch bounds.count {
      case 1:
        guard bounds[0] != nil else { return nil }
        total += 1
      case 2:
        guard let low = bounds[0], let high = bounds[1], high >= low else { return nil }
        total += high - low + 1
      default:
        return nil
      }
    }
    return total
  }
}
