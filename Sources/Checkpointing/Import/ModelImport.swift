import Foundation
import GPT
import SwiftletCore

/// Writes released weights as a step-0 Swiftlet checkpoint (docs/fine-tuning.md).
///
/// The file is the section 6 format with every `/model` tensor as float32 and otherwise the
/// source's values; no optimizer state (training from it starts a fresh optimizer, through
/// `model.init_from`), an empty ledger, and the root attribute `imported_from` naming the
/// source. The save is atomic: written as `.<name>.tmp-<pid>` beside the output and renamed
/// when complete, so any error leaves nothing at the output path.
/// Memory: one float32 copy of the largest tensor (plus its 16-bit source for F16/BF16 data).
public enum ModelImport {
  /// The root attribute naming where an imported checkpoint's weights came from.
  public static let importedFromAttribute = "imported_from"

  /// What an import wrote.
  public struct Summary: Sendable {
    public var path: String
    public var tensorCount: Int
    public var parameterCount: Int
    public var origin: String
  }

  /// Reads every tensor of `source` and writes the checkpoint at `output`.
  /// - Parameter configJSON: the run configuration to store (its `model` object describes
  ///   `source.config`, so `sample`, `eval` and `inspect` read the shape from it).
  @discardableResult
  public static func write(_ source: ModelWeightSource, to output: String, configJSON: String) throws -> Summary {
    let tensors = try CheckpointTensorNames.tensors(for: source.config)
    let largest = tensors.map { $0.shape.reduce(1, *) }.max() ?? 0
    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, largest))
    defer { buffer.deallocate() }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), isDirectory.boolValue {
      throw SwiftletError("\(output) is a folder; give the checkpoint file to write, e.g. \(output)/imported.h5")
    }
    for (name, shape) in tensors { try source.check(name, shape: shape) }
    let writer = try CheckpointWriter(path: output, step: 0, tokensSeen: 0, config: configJSON)
    do {
      try writer.writeRootAttribute(importedFromAttribute, source.origin)
      for (name, shape) in tensors {
        let slice = UnsafeMutableBufferPointer(rebasing: buffer[0..<shape.reduce(1, *)])
        try source.read(name, shape: shape, into: slice)
        try writer.writeTensor(CheckpointLayout.modelTensor(name), shape: shape, values: UnsafeBufferPointer(slice))
      }
      try writer.commit()
    } catch {
      writer.abandon()
      // The writer prefixes its own failures; a source error is reported as it is.
      throw error
    }
    return Summary(
      path: output, tensorCount: tensors.count, parameterCount: source.config.parameterCount, origin: source.origin)
  }
}
