import Foundation

/// A python3 interpreter for the reference checks (Tests/Reference), found once per module set.
public struct Python: Sendable {
  /// The interpreter's path.
  public let path: String

  /// The first interpreter that imports every module in `modules`, else nil: `$SWIFTLET_PYTHON`
  /// if set, else each `python3` on the PATH in order (pyenv shims included), else
  /// /usr/bin/python3.
  public static func with(_ modules: [String]) -> Python? {
    let environment = ProcessInfo.processInfo.environment
    var candidates: [String] = []
    if let chosen = environment["SWIFTLET_PYTHON"], !chosen.isEmpty { candidates.append(chosen) }
    for folder in (environment["PATH"] ?? "").split(separator: ":") {
      candidates.append("\(folder)/python3")
    }
    candidates.append("/usr/bin/python3")
    let probe = ["-c", "import " + modules.joined(separator: ", ")]
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
      if (try? ChildProcess.run(candidate, probe))?.status == 0 { return Python(path: candidate) }
    }
    return nil
  }

  /// Runs python with `arguments` (a script path or `-c CODE`, then its arguments) in `base`
  /// plus `environment`; see `ChildProcess.run`.
  public func run(
    _ arguments: [String], environment: [String: String] = [:],
    base: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> ChildProcess.Result {
    try ChildProcess.run(path, arguments, environment: environment, base: base)
  }
}
