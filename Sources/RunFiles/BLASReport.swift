import Foundation

/// The `blas` object of `report.json`: the BLAS library and kernel a run computed with
/// (docs/operations.md). The same fields as `swiftlet doctor --json`'s `blas`.
public struct BLASReport: Codable, Equatable, Sendable {
  public var library = ""
  public var version = ""
  /// `openblas_get_config()`.
  public var config = ""
  /// The kernel in use, as `OPENBLAS_CORETYPE` spells it.
  public var core = ""
  /// The kernel OpenBLAS picked by itself; nil (written as `null`) when the user forced one.
  @NullWhenAbsent public var coreDetected: String? = nil
  /// Whether `OPENBLAS_CORETYPE` decided the kernel.
  public var forced = false
  /// `openblas`, `swiftlet` or `user`.
  public var chosenBy = ""
  /// Whether the kernel passed Swiftlet's start-up verification.
  public var verified = false
  /// A kernel tried and dropped because it failed verification; not written when none.
  public var rejected: String?

  /// An object with every field empty, for Kernels to fill in.
  public init() {}

  enum CodingKeys: String, CodingKey {
    case library, version, config, core, forced, verified, rejected
    case coreDetected = "core_detected"
    case chosenBy = "chosen_by"
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
