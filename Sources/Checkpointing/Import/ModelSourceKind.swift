import Foundation
import GPT
import SwiftletCore

/// Recognises what a path holds and opens it.
public enum ModelSourceKind: Equatable, Sendable {
  case huggingFaceFolder, llmcFile, swiftletCheckpoint

  /// The largest vocabulary importable: GPT-2's tokenizer has 50257 tokens (Radford et al. 2019);
  /// OPT's releases pad their own copy of that byte-level BPE to 50272 rows (Zhang et al. 2022).
  static func vocabularyLimit(_ family: GPTConfig.Family) -> Int { family == .opt ? 50272 : 50257 }

  /// Folder → Hugging Face; a file starting with llm.c's magic → llm.c; anything else is taken
  /// for a Swiftlet checkpoint (whose reader then explains what is wrong with it).
  public static func detect(_ path: String) throws -> ModelSourceKind {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw SwiftletError("no such file or folder: \(path)")
    }
    if isDirectory.boolValue { return .huggingFaceFolder }
    guard let handle = FileHandle(forReadingAtPath: path) else { throw SwiftletError("cannot read \(path)") }
    defer { try? handle.close() }
    let head = (try? handle.read(upToCount: 4)) ?? Data()
    if head.count == 4,
      head.withUnsafeBytes({ Int32(littleEndian: $0.loadUnaligned(as: Int32.self)) }) == LlmcCheckpointFile.magic
    {
      return .llmcFile
    }
    if head.starts(with: [0x50, 0x4B]) || head.first == 0x80 {
      // A zip archive or a bare pickle: torch.save's formats (pytorch_model.bin).
      throw HuggingFaceFolder.pickleError(URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }
    return .swiftletCheckpoint
  }

  /// Opens a Hugging Face folder or an llm.c file (not a Swiftlet checkpoint: open that with
  /// `CheckpointReader`) and checks that its vocabulary fits the tokenizer.
  public static func open(_ path: String) throws -> ModelWeightSource {
    let source: ModelWeightSource
    switch try detect(path) {
    case .huggingFaceFolder: source = try HuggingFaceFolder(path: path)
    case .llmcFile: source = try LlmcCheckpointFile(path: path)
    case .swiftletCheckpoint:
      throw SwiftletError("\(path) is neither a Hugging Face folder nor an llm.c checkpoint")
    }
    let limit = vocabularyLimit(source.config.family)
    guard source.config.vocabSize <= limit else {
      throw SwiftletError(
        "\(path) has a vocabulary of \(source.config.vocabSize) tokens, more than the tokenizer's \(limit); swiftlet trains on GPT-2 BPE token ids"
      )
    }
    return source
  }
}
