import Foundation
import GPT
import HDF5Bindings
import SwiftletCore

/// What `swiftlet inspect` shows about a checkpoint (docs/checkpoint-format.md): header, model shape,
/// ledger, resume state and tensors, with per-tensor checksum results when verified.
public struct CheckpointSummary {
  public var path: String
  public var fileBytes: Int
  public var formatVersion: Int
  public var step: Int
  public var tokensSeen: Int64
  public var config: String
  /// The source of an imported checkpoint (`imported_from`), nil for one written by training.
  public var importedFrom: String?
  /// The model shape from the config, nil if the config does not give one.
  public var model: GPTConfig?
  public var accounting: [String: Double]
  public var state: CheckpointState
  public var tensors: [CheckpointTensorInfo]
  /// Per-dataset checksum results, nil unless built with `verify: true`.
  public var checks: [CheckpointTensorCheck]?

  /// Reads everything but the tensor data; with `verify`, also re-reads every dataset and
  /// checks its CRC-32.
  public init(path: String, verify: Bool) throws {
    let reader = try CheckpointReader(path: path)
    self.path = path
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    self.fileBytes = (attributes?[.size] as? NSNumber)?.intValue ?? 0
    self.formatVersion = reader.formatVersion
    self.step = reader.step
    self.tokensSeen = reader.tokensSeen
    self.config = reader.config
    self.importedFrom = reader.importedFrom
    self.model = try? CheckpointModelConfig.parse(reader.config)
    self.accounting = try reader.accounting()
    self.state = try reader.state()
    // Numeric-aware order, so h.2 comes before h.10.
    self.tensors = try reader.tensors().sorted {
      $0.path.compare($1.path, options: .numeric) == .orderedAscending
    }
    self.checks = verify ? try reader.verifyTensors() : nil
  }

  /// Datasets whose checksum failed (empty when not verified).
  public var failures: [CheckpointTensorCheck] { (checks ?? []).filter { !$0.isOK } }

  /// Elements of the `/model` tensors.
  public var modelParameterCount: Int {
    tensors.filter { $0.path.hasPrefix(CheckpointLayout.modelGroup + "/") }.reduce(0) {
      $0 + $1.elementCount
    }
  }

  // MARK: Text

  /// A human-readable report; `allTensors` lists optimizer tensors one by one too.
  public func text(allTensors: Bool = false) -> String {
    var lines: [String] = []
    func row(_ label: String, _ value: String) {
      lines.append(label.padding(toLength: 12, withPad: " ", startingAt: 0) + value)
    }
    row(
      "checkpoint",
      "\(path) (\(formatBytes(fileBytes)), \(CheckpointLayout.format) v\(formatVersion))")
    if let importedFrom { row("imported", importedFrom) }
    row("step", "\(step)")
    row("tokens", "\(tokensSeen)")
    if let model {
      row(
        "model",
        "\(model.family.rawValue): n_layer \(model.nLayer), n_head \(model.nHead), d_model \(model.dModel), "
          + "n_ctx \(model.nCtx), vocab_size \(model.vocabSize)"
          + (model.layerNorm == .post ? ", post-LayerNorm" : "")
          + (model.projectsEmbeddings ? ", word_embed_proj_dim \(model.embeddingDim)" : "")
          + " (\(model.parameterCount) parameters)"
      )
    }
    row(
      "ledger",
      accounting.isEmpty
        ? "(none)"
        : accounting.sorted { $0.key < $1.key }.map { "\($0.key) \(formatNumber($0.value))" }
          .joined(separator: ", "))
    row("state", stateDescription)
    let checksByPath = Dictionary(
      (checks ?? []).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    let model = tensors.filter { $0.path.hasPrefix(CheckpointLayout.modelGroup + "/") }
    let optimizer = tensors.filter { !$0.path.hasPrefix(CheckpointLayout.modelGroup + "/") }
    row(
      "tensors",
      "\(model.count) model (\(modelParameterCount) parameters), \(optimizer.count) optimizer")
    let listed =
      allTensors ? tensors : model + optimizer.filter { checksByPath[$0.path]?.isOK == false }
    let width = max(24, listed.map(\.path.count).max() ?? 0) + 2
    for tensor in listed {
      let shape = "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]"
      let check =
        checksByPath[tensor.path].map { $0.isOK ? "ok" : "BAD: \($0.problem ?? "")" } ?? ""
      lines.append(
        "  " + tensor.path.padding(toLength: width, withPad: " ", startingAt: 0)
          + shape.padding(toLength: 16, withPad: " ", startingAt: 0)
          + (tensor.kind?.rawValue ?? "?").padding(toLength: 9, withPad: " ", startingAt: 0)
          + (tensor.storedChecksum.map(CRC32.hex) ?? "no crc32").padding(
            toLength: 12, withPad: " ", startingAt: 0)
          + check)
    }
    if !allTensors {
      for (kind, members) in Dictionary(grouping: optimizer, by: { optimizerKind($0.path) }).sorted(
        by: { $0.key < $1.key })
      {
        lines.append(
          "  \(kind): \(members.count) tensors, \(members.reduce(0) { $0 + $1.elementCount }) elements"
        )
      }
    }
    if let checks {
      let bad = failures.count
      row(
        "checksums",
        bad == 0 ? "all \(checks.count) datasets ok" : "\(bad) of \(checks.count) datasets FAILED")
    } else {
      row("checksums", "not checked (use --verify)")
    }
    row("config", config)
    return lines.joined(separator: "\n")
  }

  private var stateDescription: String {
    var parts: [String] = []
    parts += state.integers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    parts += state.doubles.sorted { $0.key < $1.key }.map { "\($0.key)=\(formatNumber($0.value))" }
    parts += state.strings.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
    parts += state.integerArrays.sorted { $0.key < $1.key }.map { "\($0.key)[\($0.value.count)]" }
    parts += state.byteArrays.sorted { $0.key < $1.key }.map {
      "\($0.key)(\($0.value.count) bytes)"
    }
    return parts.isEmpty ? "(none)" : parts.joined(separator: ", ")
  }

  private func optimizerKind(_ path: String) -> String {
    let parts = path.split(separator: "/")
    return parts.count >= 3 ? parts[0...1].joined(separator: "/") : String(parts.first ?? "")
  }

  // MARK: JSON

  /// One JSON object: `path`, `file_bytes`, `format`, `format_version`, `step`, `tokens_seen`,
  /// `config` (parsed when it is JSON, else the text), `model`, `accounting`, `state`,
  /// `model_parameters`, `tensors` (`name`, `shape`, `dtype`, `crc32`, and `checksum_ok` when
  /// verified), `verified`.
  public func json() throws -> String {
    var object: [String: Any] = [
      "path": path, "file_bytes": fileBytes, "format": CheckpointLayout.format,
      "format_version": formatVersion, "step": step, "tokens_seen": tokensSeen,
      "accounting": accounting, "model_parameters": modelParameterCount, "verified": checks != nil,
    ]
    if let data = config.data(using: .utf8),
      let parsed = try? JSONSerialization.jsonObject(with: data)
    {
      object["config"] = parsed
    } else {
      object["config"] = config
    }
    if let model {
      object["model"] = [
        "family": model.family.rawValue, "n_layer": model.nLayer, "n_head": model.nHead,
        "d_model": model.dModel, "n_ctx": model.nCtx, "vocab_size": model.vocabSize,
        "ffn_dim": model.ffnDim, "layer_norm": model.layerNorm.rawValue,
        "word_embed_proj_dim": model.embeddingDim, "parameters": model.parameterCount,
      ]
    }
    if let importedFrom { object["imported_from"] = importedFrom }
    object["state"] = [
      "integers": state.integers, "doubles": state.doubles, "strings": state.strings,
      "integer_arrays": state.integerArrays, "byte_arrays": state.byteArrays.mapValues { $0.count },
    ]
    let checksByPath = Dictionary(
      (checks ?? []).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    object["tensors"] = tensors.map { tensor -> [String: Any] in
      var entry: [String: Any] = [
        "name": tensor.path, "shape": tensor.shape, "dtype": tensor.kind?.rawValue ?? "unknown",
      ]
      entry["crc32"] = tensor.storedChecksum.map(CRC32.hex) ?? NSNull()
      if let check = checksByPath[tensor.path] {
        entry["checksum_ok"] = check.isOK
        if let problem = check.problem { entry["problem"] = problem }
      }
      return entry
    }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }
}

private func formatBytes(_ bytes: Int) -> String {
  if bytes >= 1 << 30 { return String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) }
  if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
  return "\(bytes) bytes"
}

private func formatNumber(_ value: Double) -> String {
  value == value.rounded() && abs(value) < 1e6
    ? String(Int64(value)) : String(format: "%.6g", value)
}
