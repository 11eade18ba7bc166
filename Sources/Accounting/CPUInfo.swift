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
  /// Installed memory of the node (`MemTotal`), bytes.
  public var memoryBytes: Double

  public init(modelName: String, vendor: String, family: Int, cores: Int, memoryBytes: Double) {
    self.modelName = modelName
    self.vendor = vendor
    self.family = family
    self.cores = max(1, cores)
    self.memoryBytes = memoryBytes
  }

  /// This machine, read once.
  public static let current: CPUInfo = read()

  static func read() -> CPUInfo {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
    let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    return parse(cpuinfo: cpuinfo, meminfo: meminfo, cores: online)
  }

  /// Parses the text of `/proc/cpuinfo` and `/proc/meminfo` (`cores`: online cores).
  public static func parse(cpuinfo: String, meminfo: String, cores: Int) -> CPUInfo {
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
      cores: cores, memoryBytes: kib * 1024)
  }
}
