import Foundation
import HDF5Bindings
import SwiftletCore
import Testing

@testable import Checkpointing

#if canImport(Glibc)
  import Glibc
#endif

@Suite("Damaged checkpoints and failed saves")
struct CheckpointDamageTests {
  @Test func checksumCatchesOneFlippedByteInATensor() throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(directory: folder.path, step: 10)
    let original = folder.file("step_00000010.h5")
    let damaged = folder.file("damaged.h5")
    try FileManager.default.copyItem(atPath: original, toPath: damaged)
    let target = "model/transformer.h.1.mlp.c_fc.weight"
    let offset = try #require(try HDF5File.open(path: damaged).openDataset(target).fileOffset)
    try flipByte(at: offset + 1001, in: damaged)

    try CheckpointReader(path: original).verify()
    let reader = try CheckpointReader(path: damaged)  // the header is intact: it opens
    let checks = try reader.verifyTensors()
    #expect(checks.filter { !$0.isOK }.map(\.path) == [target])
    let error = #expect(throws: SwiftletError.self) { try reader.verify() }
    #expect(error?.message.contains(target) == true)
    #expect(error?.message.contains("checksum mismatch") == true)
  }

  @Test(arguments: [0.5, 0.999])
  func truncatedFileIsAOneLineError(keptFraction: Double) throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(directory: folder.path, step: 1)
    let path = folder.file("step_00000001.h5")
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let truncated = folder.file("truncated.h5")
    try data.prefix(Int(Double(data.count) * keptFraction)).write(
      to: URL(fileURLWithPath: truncated))
    let error = #expect(throws: SwiftletError.self) { try CheckpointReader(path: truncated) }
    #expect(error?.message.contains(truncated) == true)
    #expect(error?.message.contains("\n") == false)
  }

  @Test func anHDF5FileFromAnotherProgramIsRefused() throws {
    let folder = TemporaryFolder()
    let path = folder.file("other.h5")
    do {
      let file = try HDF5File.create(path: path)
      try file.writeDataset("weights", values: [Float(1), 2], shape: [2])
      try file.setAttribute("format", "keras")
    }
    let wrongFormat = #expect(throws: SwiftletError.self) { try CheckpointReader(path: path) }
    #expect(
      wrongFormat?.message
        == "\(path) is an HDF5 file but not a Swiftlet checkpoint (format is 'keras')")

    let plain = folder.file("plain.h5")
    _ = try HDF5File.create(path: plain)
    let noFormat = #expect(throws: SwiftletError.self) { try CheckpointReader(path: plain) }
    #expect(noFormat?.message.contains("not a Swiftlet checkpoint") == true)

    let text = folder.file("notes.h5")
    try "not hdf5".write(toFile: text, atomically: true, encoding: .utf8)
    let notHDF5 = #expect(throws: SwiftletError.self) { try CheckpointReader(path: text) }
    #expect(notHDF5?.message == "\(text) is not an HDF5 file")
  }

  @Test func aNewerFormatVersionIsRefusedWithItsNumber() throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(directory: folder.path, step: 1)
    let path = folder.file("step_00000001.h5")
    try HDF5File.open(path: path, mode: .readWrite).setAttribute("format_version", Int64(2))
    try FileChecksum.seal(path)  // a well-formed file of a newer format, not a damaged one
    let error = #expect(throws: SwiftletError.self) { try CheckpointReader(path: path) }
    #expect(error?.message.contains("format_version 2") == true)
  }

  @Test func unwritableFolderFailsCleanlyAndKeepsEarlierCheckpoints() throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(directory: folder.path, step: 100)
    let earlier = folder.file("step_00000100.h5")
    let before = try Data(contentsOf: URL(fileURLWithPath: earlier))
    chmod(folder.path, 0o555)
    defer { chmod(folder.path, 0o755) }
    // Root ignores permission bits; drop the file-system identity of this thread only (Linux
    // fsuid is per thread, so concurrently running tests are unaffected).
    let root = geteuid() == 0
    if root { setFileSystemUserID(65534) }
    let result = Result { try writeTinyCheckpoint(directory: folder.path, step: 200) }
    if root { setFileSystemUserID(0) }

    let error = try #require(throws: SwiftletError.self) { try result.get() }
    #expect(error.message.hasPrefix("checkpoint for step 200 not saved: cannot create "))
    #expect(error.message.contains("Permission denied"))
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    #expect(names == ["step_00000100.h5"])
    #expect(try Data(contentsOf: URL(fileURLWithPath: earlier)) == before)
  }

  @Test func aSaveThatFailsHalfwayLeavesEarlierCheckpointsUntouched() throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(directory: folder.path, step: 100)
    let earlier = folder.file("step_00000100.h5")
    let before = try Data(contentsOf: URL(fileURLWithPath: earlier))
    let writer = try CheckpointWriter(
      directory: folder.path, step: 200, tokensSeen: 0, config: "{}")
    try writer.writeTensor("model/a", shape: [4], values: [1, 2, 3, 4])
    // A wrong-sized buffer stands in for any write error (ENOSPC takes the same path).
    #expect(throws: SwiftletError.self) {
      try writer.writeTensor("model/b", shape: [4], values: [1, 2])
    }
    #expect(throws: SwiftletError.self) { try writer.commit() }
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["step_00000100.h5"])
    #expect(try Data(contentsOf: URL(fileURLWithPath: earlier)) == before)
  }
}

/// Linux `setfsuid(2)`, which Swift's Glibc module does not export: looked up at run time.
private func setFileSystemUserID(_ id: UInt32) {
  typealias SetFSUID = @convention(c) (UInt32) -> Int32
  guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setfsuid") else { return }
  _ = unsafeBitCast(symbol, to: SetFSUID.self)(id)
}

@Suite struct WholeFileChecksumTests {
  @Test func damageAnywhereIsCaughtBeforeHDF5ParsesTheFile() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wfc-\(UUID())").path
    let writer = try CheckpointWriter(directory: directory, step: 1, tokensSeen: 1, config: "{}")
    try writer.writeTensor(CheckpointLayout.modelTensor("w"), shape: [4, 4], values: [Float](repeating: 1, count: 16))
    let path = try writer.commit()
    #expect(throws: Never.self) { try CheckpointReader(path: path).verify() }
    // Superblock (just after the 512-byte user block), and the last byte (metadata).
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    for offset in [520, size - 1] {
      try flipByteLeavingFileChecksum(at: offset, in: path)
      #expect {
        _ = try CheckpointReader(path: path)
      } throws: { ($0 as? SwiftletError)?.message.contains("whole-file checksum mismatch") == true }
      try flipByteLeavingFileChecksum(at: offset, in: path)  // undo
    }
  }
}
