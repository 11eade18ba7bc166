import Foundation

/// The `blas` object of `report.json`: the BLAS library and kernel a run computed with
/// (docs/operations.md). The same fields as `swiftlet doctor --json`'s `blas`.
public struct BLASReport: Equatable, Sendable {
  public var library: String
  public var version: String
  /// `openblas_get_config()`.
  public var config: String
  /// The kernel in use, as `OPENBLAS_CORETYPE` spells it.
  public var core: String
  /// The kernel OpenBLAS picked by itself; nil (written as `null`) when the user forced one.
  public var coreDetected: String?
  /// Whether `OPENBLAS_CORETYPE` decided the kernel.
  public var forced: Bool
  /// `openblas`, `swiftlet` or `user`.
  public var chosenBy: String
  /// Whether the kernel passed Swiftlet's start-up verification.
  public var verified: Bool
  /// A kernel tried and dropped because it failed verification; not written when none.
  public var rejected: String?

  /// A `blas` object with these fields.
  public init(
    library: String, version: String, config: String, core: String, coreDetected: String?, forced: Bool,
    chosenBy: String, verified: Bool, rejected: String?
  ) {
    self.library = library
    self.version = version
    self.config = config
    self.core = core
    self.coreDetected = coreDetected
    self.forced = forced
    self.chosenBy = chosenBy
    self.verified = verified
    self.rejected = rejected
  }
}

extension BLASReport: Codable {
  enum CodingKeys: String, CodingKey {
    case library, version, config, core, forced, verified, rejected
    case coreDetected = "core_detected"
    case chosenBy = "chosen_by"
  }

  /// As the synthesized encoding, except that a missing `core_detected` is an explicit `null`.
  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(library, forKey: .library)
    try container.encode(version, forKey: .version)
    try container.encode(config, forKey: .config)
    try container.encode(core, forKey: .core)
    try container.encode(coreDetected, forKey: .coreDetected)
    try container.encode(forced, forKey: .forced)
    try container.encode(chosenBy, forKey: .chosenBy)
    try container.encode(verified, forKey: .verified)
    try container.encodeIfPresent(rejected, forKey: .rejected)
  }
}

extension BLASReport {
  /// The object as JSONSerialization values, for JSON documents that add keys of their own
  /// (`doctor --json`, `bench --json`).
  public var jsonObject: [String: Any] {
    let data = (try? RunFileJSON.line(self)) ?? Data("{}".utf8)
    return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
  }
}
