import Checkpointing
import Foundation
import HDF5Bindings
import SwiftletCore
import TestSupport
import Testing

@Suite("Checkpoint directory")
struct CheckpointDirectoryTests {
  @Test func entriesAreSortedByStepAndIgnoreOtherFiles() throws {
    let run = TemporaryFolder("run")
    let directory = CheckpointDirectory(runDirectory: run.path)
    #expect(try directory.entries().isEmpty)  // no folder yet: a fresh run
    for step in [1000, 20, 300] { try writeTinyCheckpoint(directory: directory.path, step: step) }
    for stray in ["notes.txt", "step_12.h5.bak", ".step_00000400.h5.tmp-1", "step_x.h5"] {
      _ = FileManager.default.createFile(atPath: "\(directory.path)/\(stray)", contents: Data())
    }
    #expect(try directory.entries().map(\.step) == [20, 300, 1000])
    #expect(directory.path(forStep: 300) == "\(run.path)/checkpoints/step_00000300.h5")
  }

  @Test func newestValidSkipsADamagedNewestCheckpointAndKeepsIt() throws {
    let folder = TemporaryFolder()
    let directory = CheckpointDirectory(path: folder.path)
    try writeTinyCheckpoint(directory: folder.path, step: 100)
    try writeTinyCheckpoint(directory: folder.path, step: 200)
    try writeTinyCheckpoint(directory: folder.path, step: 300)
    // 300: one flipped data byte (opens, fails its checksum); 200: truncated (does not open).
    let offset = try #require(
      try HDF5File.open(path: directory.path(forStep: 300)).openDataset(
        "model/transformer.wte.weight"
      ).fileOffset)
    try flipByte(at: offset + 8, in: directory.path(forStep: 300))
    let full = try Data(contentsOf: URL(fileURLWithPath: directory.path(forStep: 200)))
    try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: directory.path(forStep: 200)))

    let search = try directory.newestValid()
    #expect(search.reader?.step == 100)
    #expect(search.skipped.map(\.entry.step) == [300, 200])
    #expect(search.skipped[0].reason.contains("checksum mismatch"))
    #expect(search.skipped.allSatisfy { !$0.reason.contains("\n") })
    // Without the checksum pass the damaged data goes unnoticed, the truncation does not.
    #expect(try directory.newestValid(verifyChecksums: false).reader?.step == 300)
    // Nothing was deleted.
    #expect(try directory.entries().map(\.step) == [100, 200, 300])
  }

  @Test func newestValidOfAnEmptyFolderFindsNothing() throws {
    let folder = TemporaryFolder()
    let search = try CheckpointDirectory(path: folder.path).newestValid()
    #expect(search.reader == nil)
    #expect(search.skipped.isEmpty)
  }

  @Test func pruneKeepsTheNewestValidCheckpointsAndNeverAnUnreadableOne() throws {
    let folder = TemporaryFolder()
    let directory = CheckpointDirectory(path: folder.path)
    for step in [1, 2, 3, 4, 5] { try writeTinyCheckpoint(directory: folder.path, step: step) }
    // Step 2 is unreadable: it is neither counted nor deleted.
    try Data("garbage".utf8).write(to: URL(fileURLWithPath: directory.path(forStep: 2)))
    let removed = try directory.prune(keep: 2)
    #expect(removed.map(\.step) == [1, 3])
    #expect(try directory.entries().map(\.step) == [2, 4, 5])
    // keep 0 still keeps the newest.
    try directory.prune(keep: 0)
    #expect(try directory.entries().map(\.step) == [2, 5])
  }

  @Test func staleTemporaryFilesOfDeadProcessesAreRemoved() throws {
    let folder = TemporaryFolder()
    let directory = CheckpointDirectory(path: folder.path)
    try writeTinyCheckpoint(directory: folder.path, step: 1)
    // A process that has certainly exited: a finished child.
    let child = try ChildProcess.run("/bin/sh", ["-c", "echo $$"])
    let deadPID = try #require(Int32(child.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    let dead = folder.file(".step_00000002.h5.tmp-\(deadPID)")
    let mine = folder.file(".step_00000003.h5.tmp-\(getpid())")
    let live = folder.file(".step_00000004.h5.tmp-1")  // pid 1 always runs
    for path in [dead, mine, live] {
      _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
    }

    #expect(try directory.removeStaleTemporaryFiles() == [dead])
    #expect(!FileManager.default.fileExists(atPath: dead))
    #expect(FileManager.default.fileExists(atPath: mine))
    #expect(FileManager.default.fileExists(atPath: live))
    #expect(try directory.entries().map(\.step) == [1])
  }
}
