import Checkpointing
import Foundation
import GPT
import HDF5Bindings
import SwiftletCore
import Testing

/// A tiny GPT-2 shape used across the checkpoint tests.
let tinyConfig = GPTConfig(family: .gpt2, nLayer: 2, nHead: 4, dModel: 32, nCtx: 16, vocabSize: 67)

let tinyConfigJSON = """
  {"model": {"family": "gpt2", "n_layer": 2, "n_head": 4, "d_model": 32, "n_ctx": 16, "vocab_size": 67},
   "train": {"lr": 0.0006}}
  """

/// Writes a complete tiny checkpoint (model + two AdamW moments) and returns the tensors.
@discardableResult
func writeTinyCheckpoint(
  directory: String, step: Int, seed: UInt64 = 1, ledger: [String: Double] = ["flops": 1.5e12]
) throws -> [String: [Float]] {
  let writer = try CheckpointWriter(
    directory: directory, step: step, tokensSeen: Int64(step) * 512, config: tinyConfigJSON)
  var tensors: [String: [Float]] = [:]
  for (index, (name, shape)) in try CheckpointTensorNames.tensors(for: tinyConfig).enumerated() {
    for path in [
      CheckpointLayout.modelTensor(name),
      CheckpointLayout.optimizerTensor(kind: "exp_avg", name: name),
      CheckpointLayout.optimizerTensor(kind: "exp_avg_sq", name: name),
    ] {
      let values = testValues(
        count: shape.reduce(1, *), seed: seed &* 1000 &+ UInt64(index) &+ UInt64(path.count))
      try writer.writeTensor(path, shape: shape, values: values)
      tensors[path] = values
    }
  }
  try writer.writeAccounting(ledger)
  try writer.writeState(CheckpointState(integers: ["optimizer_step": Int64(step)]))
  try writer.commit()
  return tensors
}

@Suite("Checkpoint round trip")
struct CheckpointRoundTripTests {
  @Test func tensorsAttributesLedgerAndStateRoundTrip() throws {
    let folder = TemporaryFolder()
    let state = CheckpointState(
      integers: ["rng_counter": 1 << 40, "optimizer_step": 7], doubles: ["loss_scale": 0.5],
      strings: ["layout": "dp=2 tp=1"], integerArrays: ["data_cursor": [0, 4096, -1]],
      byteArrays: ["blob": Array("{}".utf8)])
    let wte = testValues(count: 67 * 32, seed: 9)
    let writer = try CheckpointWriter(
      directory: folder.path, step: 7, tokensSeen: 1 << 33, config: tinyConfigJSON)
    try writer.writeTensor("model/transformer.wte.weight", shape: [67, 32], values: wte)
    try writer.writeTensor(
      "optimizer/exp_avg/transformer.wte.weight", shape: [67, 32], values: wte.map { -$0 })
    try writer.writeAccounting(["flops": 3.25e15, "energy_kwh": 0.125, "co2e_kg": 0.05])
    try writer.writeState(state)
    let path = try writer.commit()
    #expect(path == folder.file("step_00000007.h5"))

    let reader = try CheckpointReader(path: path)
    #expect(reader.step == 7)
    #expect(reader.tokensSeen == 1 << 33)
    #expect(reader.config == tinyConfigJSON)
    #expect(reader.formatVersion == 1)
    #expect(try reader.accounting() == ["flops": 3.25e15, "energy_kwh": 0.125, "co2e_kg": 0.05])
    #expect(try reader.state() == state)
    #expect(try reader.read("model/transformer.wte.weight") == wte)
    #expect(try reader.read("optimizer/exp_avg/transformer.wte.weight") == wte.map { -$0 })
    let listed = try reader.tensors()
    #expect(
      listed.map(\.path) == [
        "model/transformer.wte.weight", "optimizer/exp_avg/transformer.wte.weight",
      ])
    #expect(listed.allSatisfy { $0.shape == [67, 32] && $0.kind == .float32 })
    let expectedCRC = wte.withUnsafeBufferPointer { CRC32.checksum($0) }
    #expect(listed[0].storedChecksum == expectedCRC)
    try reader.verify()
    #expect(try reader.verifyTensors().count == 4)  // 2 tensors + 2 state arrays
  }

  @Test func rootAttributesFollowTheContract() throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(directory: folder.path, step: 3)
    let file = try HDF5File.open(path: folder.file("step_00000003.h5"))
    #expect(try file.stringAttribute("format") == "swiftlet-checkpoint")
    #expect(try file.attributeKind("format_version") == .numbers(.int64, count: 1))
    #expect(try file.int64Attribute("format_version") == 1)
    #expect(try file.int64Attribute("step") == 3)
    #expect(try file.int64Attribute("tokens_seen") == 3 * 512)
    #expect(try file.memberNames() == ["accounting", "model", "optimizer", "state"])
    let names = Set(try CheckpointTensorNames.tensors(for: tinyConfig).map(\.name))
    #expect(Set(try file.openGroup("model").memberNames()) == names)
    #expect(try file.openGroup("optimizer").memberNames() == ["exp_avg", "exp_avg_sq"])
    #expect(!names.contains("lm_head.weight"))
  }

  @Test func tensorWrittenInPiecesEqualsTheWholeTensorAndItsChecksum() throws {
    let folder = TemporaryFolder()
    let shape = [12, 10]
    let whole = testValues(count: 120, seed: 4)
    func box(_ rows: Range<Int>, _ columns: Range<Int>) -> [Float] {
      rows.flatMap { r in columns.map { c in whole[r * 10 + c] } }
    }
    let writer = try CheckpointWriter(directory: folder.path, step: 1, tokensSeen: 0, config: "{}")
    // Row blocks out of order (as rows of wte arrive from vocab-parallel ranks) …
    let rowsTensor = try writer.beginTensor("model/rows", shape: shape)
    for rows in [8..<12, 0..<4, 4..<8] {
      try box(rows, 0..<10).withUnsafeBufferPointer {
        try rowsTensor.write($0, offset: [rows.lowerBound, 0], count: [rows.count, 10])
      }
    }
    try rowsTensor.finish()
    // … and column slices (as c_attn columns arrive from tensor-parallel ranks).
    let columnsTensor = try writer.beginTensor("optimizer/exp_avg/columns", shape: shape)
    for columns in [5..<10, 0..<5] {
      try box(0..<12, columns).withUnsafeBufferPointer {
        try columnsTensor.write($0, offset: [0, columns.lowerBound], count: [12, columns.count])
      }
    }
    try columnsTensor.finish()
    try writer.commit()

    let reader = try CheckpointReader(path: folder.file("step_00000001.h5"))
    let crc = whole.withUnsafeBufferPointer { CRC32.checksum($0) }
    for path in ["model/rows", "optimizer/exp_avg/columns"] {
      #expect(try reader.read(path) == whole)
      #expect(try reader.tensors().first { $0.path == path }?.storedChecksum == crc)
    }
    // Hyperslab reads: what a rank of another layout loads.
    var block = [Float](repeating: 0, count: 3 * 4)
    try block.withUnsafeMutableBufferPointer {
      try reader.read("model/rows", offset: [2, 6], count: [3, 4], into: $0)
    }
    #expect(block == box(2..<5, 6..<10))
    var rows = [Float](repeating: 0, count: 2 * 10)
    try rows.withUnsafeMutableBufferPointer {
      try reader.read("model/rows", rows: 10..<12, into: $0)
    }
    #expect(rows == box(10..<12, 0..<10))
    try reader.verify()
  }

  @Test func incompleteOrOverlappingPiecesFailTheSaveAndLeaveNoFile() throws {
    let folder = TemporaryFolder()
    let values = testValues(count: 40, seed: 5)
    // Missing rows.
    let writer = try CheckpointWriter(directory: folder.path, step: 2, tokensSeen: 0, config: "{}")
    let tensor = try writer.beginTensor("model/x", shape: [4, 10])
    try values.withUnsafeBufferPointer {
      try tensor.write(UnsafeBufferPointer(rebasing: $0[0..<20]), offset: [0, 0], count: [2, 10])
    }
    let missing = #expect(throws: SwiftletError.self) { try tensor.finish() }
    #expect(missing?.message.contains("incomplete") == true)
    #expect(throws: SwiftletError.self) { try writer.commit() }  // failure is terminal
    // Rows written twice.
    let second = try CheckpointWriter(directory: folder.path, step: 2, tokensSeen: 0, config: "{}")
    let twice = try second.beginTensor("model/x", shape: [4, 10])
    try values.withUnsafeBufferPointer { buffer in
      try twice.write(UnsafeBufferPointer(rebasing: buffer[0..<20]), offset: [0, 0], count: [2, 10])
      try twice.write(UnsafeBufferPointer(rebasing: buffer[0..<20]), offset: [1, 0], count: [2, 10])
      try twice.write(UnsafeBufferPointer(rebasing: buffer[0..<10]), offset: [3, 0], count: [1, 10])
    }
    let overlap = #expect(throws: SwiftletError.self) { try twice.finish() }
    #expect(overlap?.message.contains("written twice") == true)
    // A tensor begun but never finished.
    let third = try CheckpointWriter(directory: folder.path, step: 2, tokensSeen: 0, config: "{}")
    _ = try third.beginTensor("model/y", shape: [3])
    let unfinished = #expect(throws: SwiftletError.self) { try third.commit() }
    #expect(unfinished?.message.contains("never finished") == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  @Test func theCheckpointAppearsUnderItsFinalNameOnlyAfterCommit() throws {
    let folder = TemporaryFolder()
    let writer = try CheckpointWriter(directory: folder.path, step: 42, tokensSeen: 0, config: "{}")
    try writer.writeTensor("model/x", shape: [3], values: [1, 2, 3])
    #expect(!FileManager.default.fileExists(atPath: writer.finalPath))
    #expect(FileManager.default.fileExists(atPath: writer.temporaryPath))
    #expect(writer.temporaryPath.hasSuffix("/.step_00000042.h5.tmp-\(getpid())"))
    #expect(try CheckpointDirectory(path: folder.path).entries().isEmpty)
    try writer.commit()
    #expect(FileManager.default.fileExists(atPath: writer.finalPath))
    #expect(!FileManager.default.fileExists(atPath: writer.temporaryPath))
    #expect(try CheckpointDirectory(path: folder.path).entries().map(\.step) == [42])
    #expect(throws: SwiftletError.self) {
      try writer.writeTensor("model/y", shape: [1], values: [0])
    }
  }

  @Test func anAbandonedWriterRemovesItsTemporaryFile() throws {
    let folder = TemporaryFolder()
    var temporary = ""
    do {
      let writer = try CheckpointWriter(
        directory: folder.path, step: 5, tokensSeen: 0, config: "{}")
      temporary = writer.temporaryPath
      try writer.writeTensor("model/x", shape: [2], values: [1, 2])
      // Dropped without commit (an error path in the caller).
    }
    #expect(!temporary.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: temporary))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  @Test func tensorPathsOutsideModelAndOptimizerAreRefused() throws {
    let folder = TemporaryFolder()
    let writer = try CheckpointWriter(directory: folder.path, step: 1, tokensSeen: 0, config: "{}")
    #expect(throws: SwiftletError.self) {
      try writer.writeTensor("weights/x", shape: [1], values: [0])
    }
  }
}
