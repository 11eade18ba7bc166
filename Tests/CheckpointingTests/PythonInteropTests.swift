import Checkpointing
import Foundation
import HDF5Bindings
import SwiftletCore
import TestSupport
import Testing

/// Checks against the Python ecosystem; each test skips (with a message) when python3 lacks
/// the modules it needs.
@Suite("Python interoperability")
struct PythonInteropTests {
  /// h5py reads the checkpoint: attributes as str/int/float, tensors with their shapes, and
  /// Python's own zlib.crc32 reproduces every stored checksum.
  @Test func h5pyReadsTheCheckpointAndReproducesItsChecksums() throws {
    guard let python = Python.with(["h5py", "numpy"]) else {
      return Prerequisite.missing("python3 with h5py not found")
    }
    let folder = TemporaryFolder()
    let tensors = try writeTinyCheckpoint(
      directory: folder.path, step: 12, ledger: ["flops": 2.5e12, "co2e_kg": 0.25])
    let wteSum = tensors["model/transformer.wte.weight"]!.reduce(0.0) { $0 + Double($1) }
    let script = """
      import sys, json, zlib, h5py, numpy as np
      f = h5py.File(sys.argv[1], "r")
      a = f.attrs
      assert isinstance(a["format"], str) and a["format"] == "swiftlet-checkpoint", repr(a["format"])
      assert int(a["format_version"]) == 1 and int(a["step"]) == 12 and int(a["tokens_seen"]) == 12 * 512
      assert json.loads(a["config"])["model"]["vocab_size"] == 67
      assert dict(f["accounting"].attrs) == {"flops": 2.5e12, "co2e_kg": 0.25}, dict(f["accounting"].attrs)
      wte = f["model/transformer.wte.weight"]
      assert wte.shape == (67, 32) and wte.dtype == np.float32
      assert abs(float(wte[()].astype(np.float64).sum()) - float(sys.argv[2])) < 1e-6
      assert f["model/transformer.h.1.attn.c_attn.weight"].shape == (32, 96)
      count = 0
      def check(name, obj):
          global count
          if isinstance(obj, h5py.Dataset):
              assert zlib.crc32(obj[()].tobytes()) == int(obj.attrs["crc32"]), name
              count += 1
      f.visititems(check)
      assert count == 3 * (2 + 2 * 12 + 2), count
      print("OK", count)
      """
    let result = try python.run(["-c", script, folder.file("step_00000012.h5"), String(wteSum)])
    #expect(result.status == 0, "\(result.output)")
    #expect(result.output.hasPrefix("OK 84"))
  }

  /// `swiftlet export` output loads in transformers and gives the logits of an independent
  /// plain-torch GPT-2 forward from the checkpoint (Tests/Reference/check_export.py).
  @Test func exportedFolderLoadsInTransformersWithMatchingLogits() throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(directory: folder.path, step: 5)
    let checkpoint = folder.file("step_00000005.h5")
    let output = folder.file("hf")
    let summary = try HuggingFaceExport.export(checkpoint: checkpoint, to: output)
    #expect(summary.tensorCount == 2 + 12 * 2 + 2)
    #expect(summary.parameterCount == tinyConfig.parameterCount)
    #expect(FileManager.default.fileExists(atPath: summary.modelPath))
    guard let python = Python.with(["torch", "transformers", "h5py", "safetensors"]) else {
      return Prerequisite.missing("python3 with torch, transformers, h5py and safetensors not found")
    }
    let script = PackagePaths.reference("check_export.py")
    let result = try python.run(
      [script, "--export-dir", output, "--checkpoint", checkpoint],
      environment: ["HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"])
    #expect(result.status == 0, "\(result.output)")
    #expect(result.output.contains("OK:"))
  }
}

@Suite("Hugging Face export")
struct HuggingFaceExportTests {
  @Test func safetensorsHeaderIsPaddedAndHasHubKeys() throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(directory: folder.path, step: 1)
    let summary = try HuggingFaceExport.export(
      checkpoint: folder.file("step_00000001.h5"), to: folder.file("out"))
    let data = try Data(contentsOf: URL(fileURLWithPath: summary.modelPath))
    let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect(length % 8 == 0)
    let header = try #require(
      try JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + length)) as? [String: Any])
    #expect(header["__metadata__"] as? [String: String] == ["format": "pt"])
    #expect(header["transformer.wte.weight"] == nil)
    let wte = try #require(header["wte.weight"] as? [String: Any])
    #expect(wte["dtype"] as? String == "F32")
    #expect(wte["shape"] as? [Int] == [67, 32])
    #expect(header.keys.contains("h.1.mlp.c_proj.bias"))
    #expect(!header.keys.contains("lm_head.weight"))
    // Data section size equals the parameter count in float32.
    #expect(data.count - 8 - length == tinyConfig.parameterCount * 4)
    let config = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: summary.configPath))) as? [String: Any])
    #expect(config["model_type"] as? String == "gpt2")
    #expect(config["n_embd"] as? Int == 32)
    #expect(config["activation_function"] as? String == "gelu_new")
    #expect(config["tie_word_embeddings"] as? Bool == true)
  }

  @Test func exportRefusesACheckpointMissingATensor() throws {
    let folder = TemporaryFolder()
    let writer = try CheckpointWriter(
      directory: folder.path, step: 1, tokensSeen: 0, config: tinyConfigJSON)
    try writer.writeTensor(
      "model/transformer.wte.weight", shape: [67, 32], values: testValues(count: 67 * 32, seed: 1))
    try writer.commit()
    let error = #expect(throws: SwiftletError.self) {
      try HuggingFaceExport.export(
        checkpoint: folder.file("step_00000001.h5"), to: folder.file("out"))
    }
    #expect(error?.message.contains("transformer.wpe.weight") == true)
  }

  @Test func exportRefusesADamagedCheckpoint() throws {
    let folder = TemporaryFolder()
    try writeTinyCheckpoint(directory: folder.path, step: 1)
    let path = folder.file("step_00000001.h5")
    let offset = try #require(
      try HDF5File.open(path: path).openDataset("model/transformer.wpe.weight").fileOffset)
    try flipByte(at: offset + 3, in: path)
    let error = #expect(throws: SwiftletError.self) {
      try HuggingFaceExport.export(checkpoint: path, to: folder.file("out"))
    }
    #expect(error?.message.contains("transformer.wpe.weight") == true)
    #expect(!FileManager.default.fileExists(atPath: folder.file("out/model.safetensors")))
  }
}
