import Foundation
import SwiftletCore

/// `RUN_DIR/metrics.jsonl` (docs/accounting.md): one JSON object per line, written by rank 0.
///
/// On a resume the file is first cut back to the resumed step, so no step appears twice and
/// the lines of steps redone after a crash replace the lost ones.
public final class MetricsLog {
  public let path: String
  private let handle: FileHandle

  /// Opens (creating) the log; when `resumeStep` is given, drops every line whose step is
  /// greater than it, and every line at all when it is 0.
  public init(path: String, resumeStep: Int?) throws {
    self.path = path
    let fm = FileManager.default
    if let resumeStep, fm.fileExists(atPath: path) {
      let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
      var kept: [Substring] = []
      for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let step = (object["step"] as? NSNumber)?.intValue
        else { continue }  // a torn last line from a crash is dropped
        if step <= resumeStep { kept.append(line) }
      }
      let rewritten = kept.map { $0 + "\n" }.joined()
      let temporary = path + ".tmp"
      guard fm.createFile(atPath: temporary, contents: Data(rewritten.utf8)) else {
        throw SwiftletError("cannot write \(temporary): check that the run directory is writable")
      }
      guard rename(temporary, path) == 0 else {
        throw SwiftletError("cannot replace \(path): \(String(cString: strerror(errno)))")
      }
    } else if resumeStep == nil || !fm.fileExists(atPath: path) {
      guard fm.createFile(atPath: path, contents: nil) else {
        throw SwiftletError("cannot create \(path): check that the run directory is writable")
      }
    }
    guard let handle = FileHandle(forWritingAtPath: path) else {
      throw SwiftletError("cannot open \(path) for writing")
    }
    self.handle = handle
    try handle.seekToEnd()
  }

  /// Appends one record; `fields` keep their order. Non-finite numbers become `null`.
  public func write(_ fields: KeyValuePairs<String, JSONScalar>) throws {
    try write(fields.map { ($0.key, $0.value) })
  }

  /// As `write(_:)`, for records whose fields are assembled at run time.
  public func write(_ fields: [(String, JSONScalar)]) throws {
    var line = "{"
    for (i, (key, value)) in fields.enumerated() {
      if i > 0 { line += "," }
      line += "\"\(key)\":\(value.json)"
    }
    line += "}\n"
    do {
      try handle.write(contentsOf: Data(line.utf8))
    } catch {
      throw SwiftletError("cannot append to \(path): \(error.localizedDescription)")
    }
  }

  deinit {
    try? handle.close()
  }
}

/// A JSON scalar with a deterministic, compact rendering.
public enum JSONScalar {
  case int(Int)
  case number(Double)
  case string(String)

  var json: String {
    switch self {
    case .int(let v): return String(v)
    case .number(let v): return v.isFinite ? "\(v)" : "null"
    case .string(let v):
      let escaped = v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      return "\"\(escaped)\""
    }
  }
}
