import Foundation

/// Running another program to completion from a test.
public enum ChildProcess {
  /// A finished program: its exit status and its stdout and stderr together.
  public struct Result: Sendable {
    public var status: Int32
    public var output: String
  }

  /// Runs `executable` with `arguments` in `base` (by default this process's environment) plus
  /// `environment`, capturing stdout and stderr together.
  public static func run(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:],
    base: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = base.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    // Read before waiting: a child with more output than the pipe holds would block forever.
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
  }

  /// A finished program: its exit status, and its stdout and stderr apart.
  public struct Streams: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
  }

  /// Runs `process`, set up but not started, to completion with its stdout and stderr captured
  /// apart.
  public static func capture(_ process: Process) throws -> Streams {
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errBox.data = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Streams(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errBox.data, as: UTF8.self))
  }
}
