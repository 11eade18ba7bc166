import Foundation

/// `RUN_DIR/elastic.jsonl`, one line per launch written by `launch/elastic.sh` after each launch
/// ends (docs/operations.md, "Jobs that heal themselves").
enum SupervisorLog {
  /// Launches before this one that crashed and were relaunched (exit code neither 0 nor 75).
  static func restarts(runDirectory: String) -> Int {
    guard let text = try? String(contentsOfFile: runDirectory + "/elastic.jsonl", encoding: .utf8) else { return 0 }
    return text.split(separator: "\n").filter { line in
      guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let code = record["exit_code"] as? Int
      else { return false }
      return code != 0 && code != 75
    }.count
  }
}
