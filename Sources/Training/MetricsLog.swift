import Foundation
import RunFiles
import SwiftletCore

/// `RUN_DIR/metrics.jsonl` (docs/accounting.md): one `MetricsRecord` per line, written by rank 0.
///
/// On a resume the file is first cut back to the resumed step, so no step appears twice and
/// the lines of steps redone after a crash replace the lost ones.
public final class MetricsLog {
  public let path: String
  private let handle: FileHandle

  /// Opens (creating) the log and drops every line whose step is greater than `resumeStep`
  /// (every line at all when it is 0, a fresh start).
  public init(path: String, resumeStep: Int) throws {
    self.path = path
    let fm = FileManager.default
    if fm.fileExists(atPath: path) {
      let text = fm.contents(atPath: path) ?? Data()
      let decoder = JSONDecoder()
      var kept = Data()
      for line in text.split(separator: UInt8(ascii: "\n")) {
        // A torn last line from a crash does not decode and is dropped.
        guard let record = try? decoder.decode(MetricsRecord.self, from: Data(line)) else { continue }
        if record.step <= resumeStep {
          kept.append(contentsOf: line)
          kept.append(UInt8(ascii: "\n"))
        }
      }
      let temporary = path + ".tmp"
      guard fm.createFile(atPath: temporary, contents: kept) else {
        throw SwiftletError("cannot write \(temporary): check that the run directory is writable")
      }
      guard rename(temporary, path) == 0 else {
        throw SwiftletError("cannot replace \(path): \(String(cString: strerror(errno)))")
      }
    } else {
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

  /// Appends `record` as one line.
  public func append(_ record: MetricsRecord) throws {
    do {
      try handle.write(contentsOf: try RunFileJSON.line(record, keyOrder: MetricsRecord.keyOrder))
    } catch {
      throw SwiftletError("cannot append to \(path): \(error.localizedDescription)")
    }
  }

  deinit {
    try? handle.close()
  }
}
