import Foundation
import SwiftletCore

/// Finding, verifying and parsing OpenAI's GPT-2 tokenizer files (`encoder.json`, `vocab.bpe`).
public enum GPT2TokenizerFiles {
  /// File name of the token → id map inside a tokenizer folder.
  public static let encoderName = "encoder.json"
  /// File name of the merge list inside a tokenizer folder.
  public static let mergesName = "vocab.bpe"
  /// SHA-256 of OpenAI's `encoder.json` (the value tiktoken 0.14.0 pins; ../shared/data/README.md).
  public static let encoderSHA256 = "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"
  /// SHA-256 of OpenAI's `vocab.bpe`.
  public static let mergesSHA256 = "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"
  /// The environment variable naming a tokenizer folder.
  public static let environmentVariable = "SWIFTLET_TOKENIZER"

  /// The default tokenizer folder, `${XDG_CACHE_HOME:-$HOME/.cache}/swiftlet/tokenizer`, which
  /// `launch/setup-tokenizer.sh` fills.
  public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) throws
    -> String
  {
    if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty {
      return (cache as NSString).appendingPathComponent("swiftlet/tokenizer")
    }
    guard let home = environment["HOME"], !home.isEmpty else {
      throw SwiftletError(
        "cannot find the default tokenizer folder: neither XDG_CACHE_HOME nor HOME is set; pass --tokenizer DIR")
    }
    return (home as NSString).appendingPathComponent(".cache/swiftlet/tokenizer")
  }

  /// The tokenizer folder to use: `explicit` (from `--tokenizer`), else `$SWIFTLET_TOKENIZER`,
  /// else `defaultDirectory()` (docs/data.md). Does not check that the files are there.
  public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
    throws -> String
  {
    if let explicit, !explicit.isEmpty { return explicit }
    if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty { return fromEnvironment }
    return try defaultDirectory(environment: environment)
  }

  /// Reads a tokenizer file and checks its SHA-256, so a truncated or foreign file is a clear error.
  static func readVerified(_ path: String, expectedSHA256: String) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
      throw SwiftletError(
        "tokenizer file \(path) is missing; run launch/setup-tokenizer.sh, or pass --tokenizer DIR "
          + "(a folder holding encoder.json and vocab.bpe) or set \(environmentVariable)")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SwiftletError("cannot read tokenizer file \(path)")
    }
    let bytes = [UInt8](data)
    let digest = SHA256.hexDigest(of: bytes)
    guard digest == expectedSHA256 else {
      throw SwiftletError(
        "tokenizer file \(path) is corrupt or not OpenAI's GPT-2 file (SHA-256 \(digest.prefix(16))…, "
          + "expected \(expectedSHA256.prefix(16))…); run launch/setup-tokenizer.sh again")
    }
    return bytes
  }

  /// Parses `encoder.json`, a JSON object from token string (in the byte-level alphabet) to id, and
  /// returns each id's bytes.
  static func parseEncoder(_ bytes: [UInt8], path: String) throws -> [[UInt8]] {
    let ids: [String: Int]
    do {
      ids = try JSONDecoder().decode([String: Int].self, from: Data(bytes))
    } catch {
      throw SwiftletError("\(path): not a JSON object of token → integer id")
    }
    var tokens = [[UInt8]?](repeating: nil, count: ids.count)
    for (key, id) in ids {
      guard id >= 0, id < ids.count else { throw SwiftletError("\(path): ids are not 0..<\(ids.count) (\(id))") }
      guard tokens[id] == nil else { throw SwiftletError("\(path): id \(id) appears twice") }
      tokens[id] =
        key == GPT2Tokenizer.endOfTextText
        ? Array(GPT2Tokenizer.endOfTextText.utf8)
        : try ByteLevelAlphabet.bytes(ofScalars: key.unicodeScalars.map(\.value), file: path)
    }
    // Every slot is filled: `ids.count` distinct ids below `ids.count`.
    return tokens.map { $0! }
  }

  /// Parses `vocab.bpe`: a `#version` line, then one merge `left right` per line in rank order.
  static func parseMerges(_ bytes: [UInt8], path: String) throws -> [([UInt8], [UInt8])] {
    var merges: [([UInt8], [UInt8])] = []
    merges.reserveCapacity(50_000)
    var lineNumber = 0
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
      lineNumber += 1
      if line.isEmpty || (lineNumber == 1 && line.starts(with: Array("#version".utf8))) { continue }
      let halves = line.split(separator: 0x20, omittingEmptySubsequences: false)
      guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty else {
        throw SwiftletError("\(path): line \(lineNumber) is not a merge 'left right'")
      }
      merges.append(
        (
          try ByteLevelAlphabet.bytes(ofUTF8: halves[0], file: path),
          try ByteLevelAlphabet.bytes(ofUTF8: halves[1], file: path)
        ))
    }
    return merges
  }
}
