import Foundation
import GPT
import SwiftletCore

/// A Hugging Face model folder: `config.json` plus `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (`{"weight_map": {tensor: file}}`).
///
/// Names: `save_pretrained` writes state-dict names (`transformer.h.0.ln_1.weight`,
/// `model.decoder.layers.0.fc1.weight`); the hub's original files drop the outer module
/// (`h.0.ln_1.weight`, `decoder.layers.0.fc1.weight`). Both are accepted. The tied
/// `lm_head.weight` and GPT-2's `attn.bias` mask buffers are not read. Weights are stored as
/// Swiftlet stores them (GPT-2 `Conv1D` `[in, out]`, OPT `nn.Linear` `[out, in]`), so a tensor is
/// copied, only widened to float32.
public final class HuggingFaceFolder: ModelWeightSource {
  public let path: String
  public let config: GPTConfig
  public let origin: String
  private let files: [String: SafetensorsFile]
  /// Tensor name (as stored) → file name.
  private let location: [String: String]

  public init(path: String) throws {
    self.path = path
    let manager = FileManager.default
    let single = path + "/model.safetensors"
    let index = path + "/model.safetensors.index.json"
    let hasConfig = manager.fileExists(atPath: path + "/config.json")
    if !manager.fileExists(atPath: single) && !manager.fileExists(atPath: index) {
      let pickles = ["pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack"]
      if pickles.contains(where: { manager.fileExists(atPath: path + "/" + $0) }) {
        throw HuggingFaceFolder.pickleError(path)
      }
      throw SwiftletError(
        hasConfig
          ? "\(path) has no model.safetensors or model.safetensors.index.json"
          : "\(path) is not a Hugging Face model folder (no config.json, no model.safetensors)")
    }
    let hfConfig = try HuggingFaceModelConfig.load(folder: path)
    config = try hfConfig.modelShape(source: path)
    var files: [String: SafetensorsFile] = [:]
    if manager.fileExists(atPath: single) {
      let file = try SafetensorsFile(path: single)
      files["model.safetensors"] = file
      location = file.entries.keys.reduce(into: [:]) { $0[$1] = "model.safetensors" }
    } else {
      location = try HuggingFaceFolder.weightMap(index)
      for name in Set(location.values) {
        guard !name.contains("/") else { throw SwiftletError("\(index) names a shard outside the folder: \(name)") }
        files[name] = try SafetensorsFile(path: path + "/" + name)
      }
    }
    self.files = files
    let dtypes = Set(files.values.flatMap { $0.entries.values.map(\.dtype.rawValue) }).sorted()
    origin =
      "Hugging Face \(hfConfig.architecture) folder \(URL(fileURLWithPath: path).standardizedFileURL.path)"
      + " (\(dtypes.joined(separator: ", ")), \(files.count) safetensors file\(files.count == 1 ? "" : "s"))"
  }

  /// The one-line error for a folder of pickled weights, with the conversion recipe.
  static func pickleError(_ path: String) -> SwiftletError {
    SwiftletError(
      "\(path) holds pickled PyTorch weights (pytorch_model.bin); swiftlet reads safetensors only. Convert with: "
        + "python3 -c \"from transformers import AutoModelForCausalLM as M; "
        + "M.from_pretrained('\(path)').save_pretrained('\(path)-safetensors', safe_serialization=True)\"")
  }

  private static func weightMap(_ index: String) throws -> [String: String] {
    struct Index: Decodable { var weight_map: [String: String] }
    guard let data = FileManager.default.contents(atPath: index),
      let parsed = try? JSONDecoder().decode(Index.self, from: data)
    else { throw SwiftletError("\(index) is not a valid safetensors index (no weight_map)") }
    return parsed.weight_map
  }

  public func read(_ name: String, shape: [Int], into buffer: UnsafeMutableBufferPointer<Float>) throws {
    let (file, stored) = try locate(name, shape: shape)
    try file.read(stored, into: buffer)
  }

  public func check(_ name: String, shape: [Int]) throws {
    _ = try locate(name, shape: shape)
  }

  /// The file and stored name of tensor `name`, checked against `shape`.
  private func locate(_ name: String, shape: [Int]) throws -> (SafetensorsFile, String) {
    let candidates = [
      name, HuggingFaceExport.hubKey(name), name.hasPrefix("model.") ? String(name.dropFirst(6)) : name,
    ]
    guard let stored = candidates.first(where: { location[$0] != nil }), let fileName = location[stored] else {
      throw SwiftletError("\(path) lacks tensor '\(HuggingFaceExport.hubKey(name))' that its config.json implies")
    }
    guard let file = files[fileName], let entry = file.entries[stored] else {
      throw SwiftletError("\(path): the index puts '\(stored)' in \(fileName), which does not hold it")
    }
    guard entry.shape == shape else {
      throw SwiftletError("\(path): tensor '\(stored)' has shape \(entry.shape), its config.json implies \(shape)")
    }
    return (file, stored)
  }
}
