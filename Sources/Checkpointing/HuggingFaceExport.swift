import Foundation
import GPT
import SwiftletCore

/// Exports a checkpoint's model as a Hugging Face folder: `model.safetensors` and `config.json`,
/// loadable with `GPT2LMHeadModel.from_pretrained(folder)` (GPT-2/GPT-3 shapes) or
/// `OPTForCausalLM.from_pretrained(folder)` (OPT; keys are the state-dict names as stored).
///
/// safetensors layout (written by hand, no dependency): 8-byte little-endian header length N,
/// N bytes of JSON (`{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, …,
/// "__metadata__": {"format": "pt"}}`, space-padded to a multiple of 8), then the raw
/// little-endian tensor bytes, offsets relative to the end of the header. Keys are the hub's
/// GPT-2 keys: the state-dict names without `transformer.` (the hub files' 12 `attn.bias` mask
/// buffers are not parameters; transformers rebuilds them). The tied `lm_head.weight` is
/// omitted, as on the hub (`tie_word_embeddings: true`).
public enum HuggingFaceExport {
  /// What an export wrote.
  public struct Summary: Sendable {
    public var modelPath: String
    public var configPath: String
    public var tensorCount: Int
    public var parameterCount: Int
    public var config: GPTConfig
  }

  /// Writes `outputDirectory/model.safetensors` and `outputDirectory/config.json`.
  ///
  /// Memory: one tensor at a time. Every tensor of the checkpoint config's shape must be present
  /// with its documented shape (docs/checkpoint-format.md) and pass its CRC-32.
  @discardableResult
  public static func export(checkpoint path: String, to outputDirectory: String) throws -> Summary {
    let reader = try CheckpointReader(path: path)
    let config = try CheckpointModelConfig.parse(reader.config)
    let expected = try CheckpointTensorNames.tensors(for: config)
    for (name, shape) in expected {
      let tensorPath = CheckpointLayout.modelTensor(name)
      let stored = try reader.shape(of: tensorPath)  // a missing tensor: "checkpoint … has no tensor '…'"
      guard stored == shape else {
        throw SwiftletError(
          "checkpoint \(path): '\(tensorPath)' has shape \(stored), its config implies \(shape)")
      }
    }
    try DurableFiles.createDirectory(outputDirectory)
    let folder = URL(fileURLWithPath: outputDirectory)
    let modelPath = folder.appendingPathComponent("model.safetensors").path
    let configPath = folder.appendingPathComponent("config.json").path
    try writeSafetensors(reader: reader, tensors: expected, to: modelPath)
    try writeAtomically(huggingFaceConfig(for: config), to: configPath)
    return Summary(
      modelPath: modelPath, configPath: configPath, tensorCount: expected.count,
      parameterCount: expected.reduce(0) { $0 + $1.shape.reduce(1, *) }, config: config)
  }

  /// The hub's key for a state-dict name: `transformer.h.0.ln_1.weight` → `h.0.ln_1.weight`;
  /// OPT names (`model.decoder.…`) are kept.
  public static func hubKey(_ name: String) -> String {
    name.hasPrefix("transformer.") ? String(name.dropFirst("transformer.".count)) : name
  }

  /// `config.json` for `GPT2LMHeadModel` or `OPTForCausalLM` with the checkpoint's shape.
  static func huggingFaceConfig(for config: GPTConfig) throws -> Data {
    // GPT-2's <|endoftext|> (50256) where the vocabulary has it; transformers' defaults would
    // otherwise point outside a smaller vocabulary.
    let endOfText: Any = config.vocabSize > 50256 ? 50256 : NSNull()
    if config.family == .opt {
      let json: [String: Any] = [
        "architectures": ["OPTForCausalLM"],
        "model_type": "opt",
        "num_hidden_layers": config.nLayer,
        "num_attention_heads": config.nHead,
        "hidden_size": config.dModel,
        "ffn_dim": config.ffnDim,
        "max_position_embeddings": config.nCtx,
        "vocab_size": config.vocabSize,
        "word_embed_proj_dim": config.embeddingDim,
        "do_layer_norm_before": config.layerNorm == .pre,
        "activation_function": "relu",
        "enable_bias": true,
        "layer_norm_elementwise_affine": true,
        "tie_word_embeddings": true,
        "dropout": 0.0,
        "attention_dropout": 0.0,
        "layerdrop": 0.0,
        "torch_dtype": "float32",
        // Swiftlet trains on GPT-2 token ids, where id 1 (OPT's default pad) is a real token.
        "pad_token_id": NSNull(),
        "bos_token_id": endOfText,
        "eos_token_id": endOfText,
      ]
      return try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
    }
    var json: [String: Any] = [
      "architectures": ["GPT2LMHeadModel"],
      "model_type": "gpt2",
      "n_layer": config.nLayer,
      "n_head": config.nHead,
      "n_embd": config.dModel,
      "n_positions": config.nCtx,
      "n_ctx": config.nCtx,
      "vocab_size": config.vocabSize,
      "activation_function": "gelu_new",
      "layer_norm_epsilon": 1e-5,
      "tie_word_embeddings": true,
      // Swiftlet trains without dropout (docs/configuration.md).
      "resid_pdrop": 0.0,
      "embd_pdrop": 0.0,
      "attn_pdrop": 0.0,
      "torch_dtype": "float32",
    ]
    json["n_inner"] = config.ffnDim == 4 * config.dModel ? NSNull() : config.ffnDim as Any
    json["bos_token_id"] = endOfText
    json["eos_token_id"] = endOfText
    return try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
  }

  /// The safetensors header: JSON padded with spaces to a multiple of 8 bytes.
  static func safetensorsHeader(tensors: [(name: String, shape: [Int])]) throws -> Data {
    var entries: [String: Any] = ["__metadata__": ["format": "pt"]]
    var offset = 0
    for (name, shape) in tensors {
      let bytes = shape.reduce(1, *) * MemoryLayout<Float>.size
      entries[hubKey(name)] = [
        "dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes],
      ]
      offset += bytes
    }
    var header = try JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys])
    header.append(
      contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
    return header
  }

  private static func writeSafetensors(
    reader: CheckpointReader, tensors: [(name: String, shape: [Int])], to path: String
  ) throws {
    let header = try safetensorsHeader(tensors: tensors)
    let temporary = "\(path).tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: temporary, contents: nil),
      let handle = FileHandle(forWritingAtPath: temporary)
    else {
      throw SwiftletError("cannot create \(temporary): check that the folder is writable")
    }
    do {
      var length = UInt64(header.count).littleEndian
      try handle.write(contentsOf: Data(bytes: &length, count: 8))
      try handle.write(contentsOf: header)
      let storedChecksums = Dictionary(
        try reader.tensors().map { ($0.path, $0.storedChecksum) },
        uniquingKeysWith: { first, _ in first })
      let largest = tensors.map { $0.shape.reduce(1, *) }.max() ?? 0
      let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest)
      defer { buffer.deallocate() }
      for (name, shape) in tensors {
        let count = shape.reduce(1, *)
        let slice = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
        let tensorPath = CheckpointLayout.modelTensor(name)
        try reader.read(tensorPath, into: slice)
        // Every byte passes through here anyway: check it, so a damaged checkpoint is never
        // exported as a healthy-looking model.
        if let stored = storedChecksums[tensorPath] ?? nil,
          stored != CRC32.checksum(UnsafeBufferPointer(slice))
        {
          throw SwiftletError(
            "checkpoint \(reader.path) is damaged ('\(tensorPath)' fails its checksum); nothing exported"
          )
        }
        try handle.write(
          contentsOf: Data(bytesNoCopy: slice.baseAddress!, count: count * 4, deallocator: .none))
      }
      try handle.synchronize()
      try handle.close()
      try DurableFiles.rename(temporary, to: path)
    } catch {
      try? handle.close()
      DurableFiles.remove(temporary)
      if let error = error as? SwiftletError { throw error }
      throw SwiftletError("cannot write \(path): \(error.localizedDescription)")
    }
  }

  private static func writeAtomically(_ data: Data, to path: String) throws {
    do {
      try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw SwiftletError("cannot write \(path): \(error.localizedDescription)")
    }
  }
}
