import Foundation
import Testing
@testable import Checkpointing

/// A missing prerequisite (a Python module): skipped with a message on a developer's machine, a
/// failure under `CI=true`, where every prerequisite must be present.
func skip(_ reason: String) {
  if ProcessInfo.processInfo.environment["CI"] == "true" {
    Issue.record("\(reason) (CI=true: a missing prerequisite fails the test)")
  } else {
    print("skipped: \(reason)")
  }
}

/// A fresh folder under the system temporary folder, removed when the value is released.
final class TemporaryFolder {
  let path: String

  init(_ label: String = "ckpt") {
    let base = URL(fileURLWithPath: NSTemporaryDirectory())
      .appendingPathComponent("swiftlet-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
    try! FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    path = base.path
  }

  deinit {
    try? FileManager.default.removeItem(atPath: path)
  }

  /// `path/name`.
  func file(_ name: String) -> String {
    URL(fileURLWithPath: path).appendingPathComponent(name).path
  }
}

/// Deterministic test data: a simple integer hash mapped to [-1, 1).
func testValues(count: Int, seed: UInt64) -> [Float] {
  (0..<count).map { index in
    var x = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ seed &* 0xBF58_476D_1CE4_E5B9
    x ^= x >> 31
    x = x &* 0x94D0_49BB_1331_11EB
    x ^= x >> 29
    return Float(x >> 40) / Float(1 << 23) - 1
  }
}

/// Flips every bit of the byte at `offset` of the file at `path`, then re-seals the whole-file
/// checksum (as if the damage happened before the file was sealed), so that the per-dataset
/// CRC-32 checks these tests are about are the ones that must catch it.
func flipByte(at offset: Int, in path: String) throws {
  try flipByteLeavingFileChecksum(at: offset, in: path)
  if (try? Data(contentsOf: URL(fileURLWithPath: path)).prefix(8)) == Data(FileChecksum.magic.utf8.prefix(8)) {
    try FileChecksum.seal(path)
  }
}

/// Flips every bit of the byte at `offset`, leaving the whole-file checksum stale.
func flipByteLeavingFileChecksum(at offset: Int, in path: String) throws {
  let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
  defer { try? handle.close() }
  try handle.seek(toOffset: UInt64(offset))
  let byte = try handle.read(upToCount: 1)![0]
  try handle.seek(toOffset: UInt64(offset))
  try handle.write(contentsOf: Data([byte ^ 0xFF]))
}

/// Result of running a program to completion.
struct ProcessResult {
  var status: Int32
  var output: String
}

/// Runs `executable` with `arguments`, capturing stdout and stderr together.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:])
  throws
  -> ProcessResult
{
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  var env = ProcessInfo.processInfo.environment
  env.merge(environment) { $1 }
  process.environment = env
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return ProcessResult(
    status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

/// A python3 interpreter that can import every module in `modules`, else nil: `$SWIFTLET_PYTHON`
/// if set, else the first `python3` on the PATH (pyenv shims included), else /usr/bin/python3.
func pythonWith(_ modules: [String]) -> Python? {
  let environment = ProcessInfo.processInfo.environment
  var candidates: [String] = []
  if let chosen = environment["SWIFTLET_PYTHON"] { candidates.append(chosen) }
  for folder in (environment["PATH"] ?? "").split(separator: ":") {
    candidates.append("\(folder)/python3")
  }
  candidates.append("/usr/bin/python3")
  for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
    let probe = try? runProcess(candidate, ["-c", "import " + modules.joined(separator: ", ")])
    if probe?.status == 0 { return Python(path: candidate) }
  }
  return nil
}

/// A python3 interpreter found by `pythonWith(_:)`.
struct Python {
  let path: String

  /// Runs python with `arguments` (a script path or `-c CODE`, then its arguments).
  func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    try runProcess(path, arguments, environment: environment)
  }
}

/// The package root (for Tests/Reference scripts), found from this source file's location.
func packageRoot() -> String {
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
}
