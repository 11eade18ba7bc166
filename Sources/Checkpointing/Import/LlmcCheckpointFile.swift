import Foundation
import GPT
import SwiftletCore

/// An llm.c GPT-2 checkpoint (`gpt2_124M.bin`, written by llm.c's train_gpt2.py).
///
/// Layout: a header of 256 little-endian int32 — `[0]` magic 20240326, `[1]` version (3 =
/// float32, 2 = bfloat16), `[2]` maxT, `[3]` V, `[4]` L, `[5]` NH, `[6]` C, `[7]` Vp (V padded,
/// e.g. 50304) — then every parameter, in this order, each for all L layers at once:
/// wte [Vp, C], wpe [maxT, C], ln1w/ln1b [L, C], qkvw [L, 3C, C], qkvb [L, 3C],
/// attprojw [L, C, C], attprojb [L, C], ln2w/ln2b [L, C], fcw [L, 4C, C], fcb [L, 4C],
/// fcprojw [L, C, 4C], fcprojb [L, C], lnfw/lnfb [C].
///
/// Linear weights are PyTorch `nn.Linear`'s `[out, in]`; Swiftlet (like Hugging Face's GPT-2
/// `Conv1D`) stores `[in, out]`, so they are transposed on the way. The padded vocabulary rows
/// `V ..< Vp` are dropped (never stored in a checkpoint, docs/checkpoint-format.md).
public final class LlmcCheckpointFile: ModelWeightSource {
  static let magic: Int32 = 20240326

  public let path: String
  public let config: GPTConfig
  public let origin: String
  let dtype: SafetensorsDType
  /// Swiftlet name → (byte offset of the layer-0 block, llm.c shape of one layer's tensor, transposed?).
  private let table: [String: (offset: Int, rows: Int, columns: Int, transpose: Bool)]
  private let file: ReadOnlyFile

  public init(path: String) throws {
    self.path = path
    file = try ReadOnlyFile(path: path, minimumSize: 1024, header: "llm.c's 1024-byte header")
    let header = try file.read(count: 1024, at: 0).withUnsafeBytes { raw in
      (0..<8).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
    }
    guard header[1] == 3 || header[1] == 2 else {
      throw SwiftletError(
        "\(path): llm.c checkpoint version \(header[1]) is not supported (3 = float32, 2 = bfloat16)")
    }
    let dtype: SafetensorsDType = header[1] == 3 ? .f32 : .bf16
    self.dtype = dtype
    let (maxT, v, l, nh, c, vp) = (header[2], header[3], header[4], header[5], header[6], header[7])
    guard [maxT, v, l, nh, c].allSatisfy({ $0 > 0 && $0 < 1 << 24 }), vp >= v, vp < 1 << 24 else {
      throw SwiftletError(
        "\(path): llm.c header is damaged (maxT \(maxT), V \(v), L \(l), NH \(nh), C \(c), Vp \(vp))")
    }
    let config = GPTConfig(family: .gpt2, nLayer: l, nHead: nh, dModel: c, nCtx: maxT, vocabSize: v)
    self.config = config
    do { try config.validate() } catch let error as SwiftletError { throw SwiftletError("\(path): \(error.message)") }
    var offset = 1024
    var table: [String: (offset: Int, rows: Int, columns: Int, transpose: Bool)] = [:]
    func add(_ name: String, _ rows: Int, _ columns: Int, transpose: Bool = false, layers: Int = 1) {
      table[name] = (offset, rows, columns, transpose)
      offset += layers * rows * columns * dtype.size
    }
    add("transformer.wte.weight", vp, c)
    add("transformer.wpe.weight", maxT, c)
    for (name, rows, columns, transpose) in [
      ("ln_1.weight", 1, c, false), ("ln_1.bias", 1, c, false),
      ("attn.c_attn.weight", 3 * c, c, true), ("attn.c_attn.bias", 1, 3 * c, false),
      ("attn.c_proj.weight", c, c, true), ("attn.c_proj.bias", 1, c, false),
      ("ln_2.weight", 1, c, false), ("ln_2.bias", 1, c, false),
      ("mlp.c_fc.weight", 4 * c, c, true), ("mlp.c_fc.bias", 1, 4 * c, false),
      ("mlp.c_proj.weight", c, 4 * c, true), ("mlp.c_proj.bias", 1, c, false),
    ] {
      add("h." + name, rows, columns, transpose: transpose, layers: l)
    }
    add("transformer.ln_f.weight", 1, c)
    add("transformer.ln_f.bias", 1, c)
    self.table = table
    guard file.size == offset else {
      throw SwiftletError(
        "\(path) is \(file.size < offset ? "truncated" : "longer than its header says"): \(file.size) bytes, the header implies \(offset)"
      )
    }
    origin =
      "llm.c checkpoint \(URL(fileURLWithPath: path).standardizedFileURL.path) (version \(header[1]), \(dtype == .f32 ? "float32" : "bfloat16"), Vp \(vp))"
  }

  public func check(_ name: String, shape: [Int]) throws {
    _ = try locate(name, shape: shape)
  }

  public func read(_ name: String, shape: [Int], into buffer: UnsafeMutableBufferPointer<Float>) throws {
    let (start, rows, columns, transpose) = try locate(name, shape: shape)
    let count = rows * columns
    guard buffer.count == count else {
      throw SwiftletError("\(path): tensor '\(name)' has \(count) elements, the buffer \(buffer.count)")
    }
    guard transpose else { return try file.read(dtype, count: count, at: start, into: buffer.baseAddress!) }
    // [out = rows, in = columns] → [in, out].
    let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
    defer { scratch.deallocate() }
    try file.read(dtype, count: count, at: start, into: scratch.baseAddress!)
    for out in 0..<rows {
      for input in 0..<columns {
        buffer[input * rows + out] = scratch[out * columns + input]
      }
    }
  }

  /// Where tensor `name` starts in the file and its stored (llm.c) rows and columns.
  private func locate(_ name: String, shape: [Int]) throws -> (start: Int, rows: Int, columns: Int, transpose: Bool) {
    // transformer.h.{i}.<rest> → the all-layers block "h.<rest>", layer i.
    var key = name
    var layer = 0
    if name.hasPrefix("transformer.h.") {
      let parts = name.dropFirst("transformer.h.".count).split(separator: ".", maxSplits: 1)
      guard parts.count == 2, let index = Int(parts[0]), index < config.nLayer else {
        throw SwiftletError("\(path) has no tensor '\(name)'")
      }
      key = "h." + parts[1]
      layer = index
    }
    guard let entry = table[key] else { throw SwiftletError("\(path) has no tensor '\(name)'") }
    // wte keeps only the real vocabulary rows; everything else is taken whole.
    let rows = key == "transformer.wte.weight" ? config.vocabSize : entry.rows
    let stored =
      entry.transpose ? [entry.columns, entry.rows] : (entry.rows == 1 ? [entry.columns] : [rows, entry.columns])
    guard shape == stored else {
      throw SwiftletError("\(path): tensor '\(name)' has shape \(stored), \(shape) expected")
    }
    let start = entry.offset + layer * entry.rows * entry.columns * dtype.size
    return (start, rows, entry.columns, entry.transpose)
  }
}
