import Foundation
import Testing

/// Contract section 11's bad inputs: each is one `error: …` line, a non-zero exit, and nothing
/// at the output path. The folders are made here, byte by byte (no Python needed).
@Suite(.serialized)
struct ImportBadInputTests {
  let root: String

  init() throws {
    root = try Harness.temporaryDirectory("import-bad")
  }

  /// A 1-layer GPT-2 (C = 4, 2 heads, n_ctx 4) config, with `vocab` tokens.
  static func gpt2Config(vocab: Int = 8, architecture: String = "GPT2LMHeadModel") -> String {
    """
    {"architectures": ["\(architecture)"], "model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 4,
     "n_positions": 4, "vocab_size": \(vocab), "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05}
    """
  }

  /// Its tensors, hub-named, with shapes.
  static func gpt2Tensors(vocab: Int = 8) -> [(String, [Int])] {
    [
      ("wte.weight", [vocab, 4]), ("wpe.weight", [4, 4]), ("h.0.ln_1.weight", [4]), ("h.0.ln_1.bias", [4]),
      ("h.0.attn.c_attn.weight", [4, 12]), ("h.0.attn.c_attn.bias", [12]), ("h.0.attn.c_proj.weight", [4, 4]),
      ("h.0.attn.c_proj.bias", [4]), ("h.0.ln_2.weight", [4]), ("h.0.ln_2.bias", [4]),
      ("h.0.mlp.c_fc.weight", [4, 16]), ("h.0.mlp.c_fc.bias", [16]), ("h.0.mlp.c_proj.weight", [16, 4]),
      ("h.0.mlp.c_proj.bias", [4]), ("ln_f.weight", [4]), ("ln_f.bias", [4]),
    ]
  }

  /// safetensors bytes for `tensors` (float32 zeros); `edit` may change each header entry.
  static func safetensors(
    _ tensors: [(String, [Int])], edit: (String, inout [String: Any]) -> Void = { _, _ in }
  ) throws -> Data {
    var header: [String: Any] = ["__metadata__": ["format": "pt"]]
    var offset = 0
    for (name, shape) in tensors {
      let bytes = shape.reduce(1, *) * 4
      var entry: [String: Any] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes]]
      edit(name, &entry)
      header[name] = entry
      offset += bytes
    }
    let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    var data = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(json)
    data.append(Data(count: offset))
    return data
  }

  /// A folder with `config` and `model` (nil: no model.safetensors).
  func folder(_ name: String, config: String = gpt2Config(), model: Data?) throws -> String {
    let path = root + "/" + name
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    try config.write(toFile: path + "/config.json", atomically: true, encoding: .utf8)
    if let model { try model.write(to: URL(fileURLWithPath: path + "/model.safetensors")) }
    return path
  }

  /// Imports `input` and expects one error line mentioning `fragment`, and nothing written.
  func expectRefused(_ input: String, mentioning fragment: String, _ label: String) throws {
    let outputFolder = root + "/out-" + label.replacingOccurrences(of: " ", with: "-")
    try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
    let result = try Harness.run(["import", "--input", input, "--output", outputFolder + "/model.h5"])
    #expect(result.status != 0, "\(label): should fail")
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1 && lines[0].hasPrefix("error: "), "\(label): one error line, got \(result.stderr)")
    #expect(
      result.stderr.lowercased().contains(fragment.lowercased()), "\(label): '\(fragment)' not in \(result.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: outputFolder).isEmpty, "\(label): something written")
  }

  @Test func theWellFormedFolderImports() throws {
    let good = try folder("good", model: try Self.safetensors(Self.gpt2Tensors()))
    let result = try Harness.run(["import", "--input", good, "--output", root + "/good.h5"])
    #expect(result.status == 0, "\(result.stderr)")
  }

  @Test func truncatedAndOversizedHeaders() throws {
    let whole = try Self.safetensors(Self.gpt2Tensors())
    try expectRefused(try folder("short", model: whole.prefix(5)), mentioning: "truncated", "shorter than 8 bytes")
    try expectRefused(try folder("cut", model: whole.prefix(whole.count - 10)), mentioning: "truncated", "data cut off")
    var beyond = whole
    beyond.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(whole.count).littleEndian) { Data($0) })
    try expectRefused(try folder("beyond", model: beyond), mentioning: "past the end", "header length beyond the file")
    var huge = whole
    huge.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1) << 40) { Data($0) })
    try expectRefused(try folder("huge", model: huge), mentioning: "absurdly large", "absurd header length")
    var garbage = whole
    garbage[9] = UInt8(ascii: "#")
    try expectRefused(try folder("garbage", model: garbage), mentioning: "not a json object", "header not JSON")
  }

  @Test func badEntries() throws {
    /// Expects the GPT-2 file (in folder `name`) whose header entry for `tensor` is changed by
    /// `edit` to be refused.
    func expectEntryRefused(
      _ name: String, _ tensor: String, mentioning fragment: String, _ label: String,
      edit: (inout [String: Any]) -> Void
    ) throws {
      let model = try Self.safetensors(Self.gpt2Tensors()) { entryName, entry in
        if entryName == tensor { edit(&entry) }
      }
      try expectRefused(try folder(name, model: model), mentioning: fragment, label)
    }
    try expectEntryRefused("dtype", "wpe.weight", mentioning: "dtype I64", "unknown dtype") { entry in
      entry["dtype"] = "I64"
      entry["shape"] = [4, 2]
    }
    try expectEntryRefused("overlap", "h.0.ln_1.bias", mentioning: "overlap", "overlapping offsets") { entry in
      entry["data_offsets"] = [0, 16]
    }
    try expectEntryRefused("bounds", "ln_f.bias", mentioning: "past the end", "offsets out of bounds") { entry in
      entry["data_offsets"] = [1_000_000, 1_000_016]
    }
    try expectEntryRefused("bytes", "wpe.weight", mentioning: "needs 80 bytes", "shape and bytes disagree") { entry in
      entry["shape"] = [4, 5]
    }
  }

  @Test func missingOrMisshapedTensors() throws {
    let missing = Self.gpt2Tensors().filter { $0.0 != "h.0.mlp.c_fc.bias" }
    try expectRefused(
      try folder("missing", model: try Self.safetensors(missing)), mentioning: "h.0.mlp.c_fc.bias", "missing tensor")
    let misshaped = Self.gpt2Tensors().map { $0.0 == "h.0.attn.c_proj.weight" ? ($0.0, [2, 8]) : $0 }
    try expectRefused(
      try folder("misshaped", model: try Self.safetensors(misshaped)), mentioning: "shape [2, 8]", "mis-shaped tensor")
  }

  @Test func otherModelsAndFormats() throws {
    let model = try Self.safetensors(Self.gpt2Tensors())
    try expectRefused(
      try folder("llama", config: Self.gpt2Config(architecture: "LlamaForCausalLM"), model: model),
      mentioning: "LlamaForCausalLM", "another architecture")
    let big = try Self.safetensors(Self.gpt2Tensors(vocab: 50304))
    try expectRefused(
      try folder("vocab", config: Self.gpt2Config(vocab: 50304), model: big), mentioning: "50257",
      "vocabulary too large")
    let mistyped = Self.gpt2Config().replacingOccurrences(
      of: "\"layer_norm_epsilon\": 1e-05", with: "\"layer_norm_epsilon\": \"small\"")
    try expectRefused(
      try folder("mistyped", config: mistyped, model: model), mentioning: "layer_norm_epsilon is not of type",
      "a config value of the wrong type, named as config.json spells it")
    let pickled = try folder("pickled", model: nil)
    try Data([0x50, 0x4B, 3, 4]).write(to: URL(fileURLWithPath: pickled + "/pytorch_model.bin"))
    try expectRefused(pickled, mentioning: "safe_serialization=True", "only pytorch_model.bin")
    let llmc = root + "/short.llmc.bin"
    var header = [Int32](repeating: 0, count: 256)
    header[0] = 20240326
    header[1] = 3
    header[2] = 4
    header[3] = 8
    header[4] = 1
    header[5] = 2
    header[6] = 4
    header[7] = 8
    try header.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: llmc))
    try expectRefused(llmc, mentioning: "truncated", "truncated llm.c file")
  }
}
