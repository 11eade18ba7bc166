import Foundation
import Testing

/// What to do when a test's prerequisite (Python modules, Chromium, root, the shared data
/// folder) is missing: skip with a message on a developer's machine, fail under `CI=true`, where
/// CI installs everything and a silent skip would hide a broken set-up.
public enum Prerequisite {
  /// Whether the tests run under CI (`CI=true`).
  public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

  /// Records that `reason` stops the calling test: prints `skipped: reason`, or under CI records
  /// a failure. The caller returns right after.
  public static func missing(_ reason: String) {
    if isCI {
      Issue.record("\(reason) (CI=true: a missing prerequisite fails the test)")
    } else {
      print("skipped: \(reason)")
    }
  }
}
