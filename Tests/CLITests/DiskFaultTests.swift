import Checkpointing
import Foundation
import TestSupport
import Testing

/// A run directory on a tiny filesystem fills up during a checkpoint (issue 8.4): the job stops
/// with one clear error — or continues without that checkpoint when asked — and the checkpoints
/// written before stay intact. Skips where a tmpfs cannot be mounted (needs root).
@Suite(.serialized)
struct DiskFaultTests {
  /// Mounts a 1 MiB tmpfs; nil where that is not allowed.
  func smallFilesystem() throws -> String? {
    let path = try Harness.temporaryDirectory("tiny-fs")
    let mount = Process()
    mount.executableURL = URL(fileURLWithPath: "/bin/mount")
    mount.arguments = ["-t", "tmpfs", "-o", "size=1m", "tmpfs", path]
    mount.standardError = FileHandle.nullDevice
    try? mount.run()
    mount.waitUntilExit()
    return mount.terminationStatus == 0 ? path : nil
  }

  func unmount(_ path: String) {
    let umount = Process()
    umount.executableURL = URL(fileURLWithPath: "/bin/umount")
    umount.arguments = [path]
    try? umount.run()
    umount.waitUntilExit()
  }

  @Test(arguments: ["stop", "continue"])
  func diskFullDuringACheckpoint(policy: String) throws {
    let data = try Harness.temporaryDirectory("disk-data")
    try Harness.makeShards(in: data)
    guard let fs = try smallFilesystem() else {
      return Prerequisite.missing("cannot mount a tmpfs here (needs root)")
    }
    defer { unmount(fs) }
    let configPath = data + "/config.toml"
    // Each checkpoint of the tiny model is ~360 kB: two fit in 1 MiB, the third does not.
    try TinyModel.config(data: data, runDirectory: fs + "/run").write(
      toFile: configPath, atomically: true, encoding: .utf8)
    let result = try Harness.run(
      [
        "train", "--config", configPath, "--set", "checkpoint.every=2", "--set", "checkpoint.keep=10",
        "--set", "checkpoint.on_error=\(policy)", "--set", "train.eval_every=0",
      ])
    let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
    #expect(!result.stderr.contains("crashed") && !result.stderr.contains("Backtrac"), "no crash: \(result.stderr)")
    let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: ") }
    #expect(
      result.stderr.split(separator: "\n").filter { !$0.isEmpty }.count == errors.count + warnings.count,
      "stderr holds only one-line errors and warnings: \(result.stderr)")
    if policy == "stop" {
      #expect(result.status != 0)
      #expect(errors.count == 1, "one error line: \(result.stderr)")
      #expect(errors.first?.contains("not saved") == true, "\(errors)")
    } else {
      #expect(result.status == 0, "\(result.stderr)")
      #expect(errors.isEmpty)
      #expect(warnings.contains { $0.contains("continuing without it") }, "\(result.stderr)")
    }
    let directory = CheckpointDirectory(runDirectory: fs + "/run")
    let entries = try directory.entries()
    #expect(!entries.isEmpty, "the checkpoints written before the disk filled are kept")
    for entry in entries {
      #expect(throws: Never.self) { try CheckpointReader(path: entry.path).verify() }
    }
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: fs + "/run/checkpoints").filter {
      $0.contains(".tmp-")
    }
    #expect(leftovers.isEmpty, "no temporary file left behind: \(leftovers)")
  }
}
