import Foundation
import SwiftletCore

/// GPT-2's byte-level BPE tokenizer, byte-exact with OpenAI's tokenizer and tiktoken's `gpt2`
/// encoding (docs/data.md).
///
/// Encoding is: UTF-8 bytes → pre-token pieces (`PreTokenizer`, GPT-2's regex written out by
/// hand) → per piece, its vocabulary id if the whole piece is an entry, else byte-pair merges by
/// rank (`BytePairMerger`), memoised in a cache. Decoding concatenates the entries' bytes.
///
/// - Invalid UTF-8 (only through `encode(bytes:)`): each byte that is not part of a well-formed
///   UTF-8 sequence becomes its own piece and so its own single-byte token, and the well-formed
///   stretches around it are encoded as separate texts. `decodeBytes(encode(bytes: x)) == x` holds
///   for every byte sequence, and `decode(encode(s)) == s`, byte for byte, for every `String`.
/// - `<|endoftext|>` (id 50256) is produced only when asked (`allowingEndOfText`); by default the
///   literal text is ordinary characters, as docs/data.md requires for `prepare`.
///
/// Safe to share between threads: each encode call holds a lock around the shared merge cache,
/// so calls on one instance run one at a time; use one instance per thread to encode in parallel.
public final class GPT2Tokenizer: @unchecked Sendable {
  /// The id of `<|endoftext|>`.
  public static let endOfText = 50256
  /// The special token's text.
  public static let endOfTextText = "<|endoftext|>"
  /// Entries in GPT-2's vocabulary (50,000 merges + 256 bytes + `<|endoftext|>`).
  public static let vocabularySize = 50257
  /// Merge lines in `vocab.bpe`.
  static let mergeCount = 50000

  /// Vocabulary entry bytes → id, for the 50,256 ordinary entries.
  private let vocabulary: ByteStringTable
  private let byteTokens: [Int32]
  /// Internal (not private) so that tests can compare its two algorithms.
  let merger: BytePairMerger
  /// Decoding table: entry `id`'s bytes are `entryBytes[entryStarts[id]..<entryStarts[id + 1]]`.
  private let entryBytes: [UInt8]
  private let entryStarts: [Int]
  /// Memoised merges of pieces that are not entries (pieces up to `cacheablePieceBytes` bytes).
  private let cache = ByteStringTable(minimumCapacity: 1 << 14)
  @exclusivity(unchecked) private var cachedTokens: [Int32] = []  // only touched under `lock`
  private static let cacheablePieceBytes = 64
  private static let cacheLimit = 1 << 18  // entries before the cache is cleared (bounded memory)
  private let lock = NSLock()  // guards `cache`, `cachedTokens` and the merger's scratch buffers

  /// Loads `encoder.json` and `vocab.bpe` from a tokenizer folder.
  public convenience init(directory: String) throws {
    try self.init(
      encoderPath: (directory as NSString).appendingPathComponent(GPT2TokenizerFiles.encoderName),
      mergesPath: (directory as NSString).appendingPathComponent(GPT2TokenizerFiles.mergesName))
  }

  /// Loads the tokenizer found by `GPT2TokenizerFiles.locate(explicit:)`: `explicit` (from
  /// `--tokenizer`), else `$SWIFTLET_TOKENIZER`, else the default folder.
  public convenience init(locating explicit: String?) throws {
    try self.init(directory: try GPT2TokenizerFiles.locate(explicit: explicit))
  }

  /// Loads the two files from explicit paths (e.g. `../shared/data/gpt2-encoder.json`). Both must
  /// have the SHA-256 of OpenAI's release; anything else is a `SwiftletError`.
  public init(encoderPath: String, mergesPath: String) throws {
    let encoderFile = try GPT2TokenizerFiles.readVerified(encoderPath, expectedSHA256: GPT2TokenizerFiles.encoderSHA256)
    let mergesFile = try GPT2TokenizerFiles.readVerified(mergesPath, expectedSHA256: GPT2TokenizerFiles.mergesSHA256)
    let entries = try GPT2TokenizerFiles.parseEncoder(encoderFile, path: encoderPath)
    let merges = try GPT2TokenizerFiles.parseMerges(mergesFile, path: mergesPath)
    // The hashes pin the content, so these checks only guard the parsing code itself.
    guard entries.count == GPT2Tokenizer.vocabularySize,
      entries[GPT2Tokenizer.endOfText] == Array(GPT2Tokenizer.endOfTextText.utf8),
      merges.count == GPT2Tokenizer.mergeCount
    else {
      throw SwiftletError("\(encoderPath), \(mergesPath): unexpected vocabulary layout")
    }

    let vocabulary = ByteStringTable(minimumCapacity: GPT2Tokenizer.vocabularySize)
    for id in 0..<GPT2Tokenizer.endOfText { vocabulary.insert(entries[id], value: UInt64(id)) }
    var byteTokens = [Int32](repeating: 0, count: 256)
    for byte in 0..<256 {
      guard let id = vocabulary.value([UInt8(byte)]) else {
        throw SwiftletError("\(encoderPath): byte \(byte) has no entry")
      }
      byteTokens[byte] = Int32(id)
    }
    // Ranks are ids: merge i creates entry 256 + i (the check tiktoken makes when it loads them).
    for (rank, (left, right)) in merges.enumerated() where vocabulary.value(left + right) != UInt64(256 + rank) {
      throw SwiftletError("\(mergesPath): merge \(rank + 1) does not create entry \(256 + rank) of \(encoderPath)")
    }
    // tiktoken merges any two adjacent parts whose concatenation is an entry; list every such pair.
    var pairs = PairTable(capacityFor: 120_000)
    for id in 256..<GPT2Tokenizer.endOfText {
      entries[id].withUnsafeBufferPointer { bytes in
        let base = bytes.baseAddress!
        for cut in 1..<bytes.count {
          if let left = vocabulary.value(base, cut), let right = vocabulary.value(base + cut, bytes.count - cut) {
            pairs.insert(Int32(left), Int32(right), merged: Int32(id))
          }
        }
      }
    }
    var starts = [0]
    for entry in entries { starts.append(starts.last! + entry.count) }
    self.vocabulary = vocabulary
    self.byteTokens = byteTokens
    self.merger = BytePairMerger(pairs: pairs, byteTokens: byteTokens)
    self.entryBytes = entries.flatMap { $0 }
    self.entryStarts = starts
  }

  // MARK: Encoding

  /// The ids of `text`. With `allowingEndOfText`, each literal `<|endoftext|>` becomes id 50256
  /// and the text between them is encoded separately (as tiktoken's `allowed_special` does).
  public func encode(_ text: String, allowingEndOfText: Bool = false) -> [Int] {
    encode(bytes: text.utf8, allowingEndOfText: allowingEndOfText)
  }

  /// The ids of arbitrary bytes (see the type's notes for invalid UTF-8).
  public func encode(bytes: some Collection<UInt8>, allowingEndOfText: Bool = false) -> [Int] {
    var out: [Int32] = []
    let wasContiguous: Void? = bytes.withContiguousStorageIfAvailable {
      appendEncoding(of: $0, allowingEndOfText: allowingEndOfText, to: &out)
    }
    if wasContiguous == nil {
      Array(bytes).withUnsafeBufferPointer { appendEncoding(of: $0, allowingEndOfText: allowingEndOfText, to: &out) }
    }
    return out.map(Int.init)
  }

  /// Appends the ids of `buffer` to `out` (the allocation-light form used by `DatasetPreparer`).
  func appendEncoding(of buffer: UnsafeBufferPointer<UInt8>, allowingEndOfText: Bool, to out: inout [Int32]) {
    lock.lock()
    defer { lock.unlock() }
    guard allowingEndOfText else { return appendOrdinary(buffer, to: &out) }
    let marker = Array(GPT2Tokenizer.endOfTextText.utf8)
    var segmentStart = 0
    var i = 0
    while i + marker.count <= buffer.count {
      if buffer[i] == marker[0] && marker.indices.allSatisfy({ buffer[i + $0] == marker[$0] }) {
        appendOrdinary(UnsafeBufferPointer(rebasing: buffer[segmentStart..<i]), to: &out)
        out.append(Int32(GPT2Tokenizer.endOfText))
        i += marker.count
        segmentStart = i
      } else {
        i += 1
      }
    }
    appendOrdinary(UnsafeBufferPointer(rebasing: buffer[segmentStart...]), to: &out)
  }

  /// Ordinary encoding: no special tokens.
  private func appendOrdinary(_ buffer: UnsafeBufferPointer<UInt8>, to out: inout [Int32]) {
    guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
    out.reserveCapacity(out.count + buffer.count / 3)
    var pieces = PreTokenizer(buffer)
    byteTokens.withUnsafeBufferPointer { byteTokens in
      while let range = pieces.next() {
        let piece = base + range.lowerBound
        let length = range.count
        if length == 1 {
          out.append(byteTokens[Int(piece[0])])
        } else if let id = vocabulary.value(piece, length) {
          out.append(Int32(truncatingIfNeeded: id))
        } else {
          appendMerged(piece, length, to: &out)
        }
      }
    }
  }

  /// A piece that is not an entry: from the cache, else merged (and cached if short).
  private func appendMerged(_ piece: UnsafePointer<UInt8>, _ length: Int, to out: inout [Int32]) {
    guard length <= GPT2Tokenizer.cacheablePieceBytes else {
      return merger.merge(piece, length, into: &out)
    }
    if let packed = cache.value(piece, length) {
      let start = Int(packed >> 8)
      let count = Int(packed & 0xFF)
      cachedTokens.withUnsafeBufferPointer { out.append(contentsOf: $0[start..<start + count]) }
      return
    }
    if cache.count >= GPT2Tokenizer.cacheLimit {
      cache.removeAll()
      cachedTokens.removeAll(keepingCapacity: true)
    }
    let before = out.count
    merger.merge(piece, length, into: &out)
    let start = cachedTokens.count
    cachedTokens.append(contentsOf: out[before...])
    cache.insert(piece, length, value: UInt64(start) << 8 | UInt64(out.count - before))
  }

  // MARK: Decoding

  /// The bytes of `ids` concatenated. An id outside `0..<vocabularySize` (e.g. from a model whose
  /// vocabulary is padded) decodes to U+FFFD's bytes rather than stopping the program.
  public func decodeBytes(_ ids: [Int]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(4 * ids.count)
    for id in ids { out.append(contentsOf: bytes(of: id) ?? [0xEF, 0xBF, 0xBD]) }
    return out
  }

  /// The text of `ids`; byte sequences that are not valid UTF-8 (a multi-byte character split
  /// across a cut) become U+FFFD.
  public func decode(_ ids: [Int]) -> String {
    String(decoding: decodeBytes(ids), as: UTF8.self)
  }

  /// The bytes of one entry (nil for an id outside the vocabulary).
  public func bytes(of id: Int) -> [UInt8]? {
    guard id >= 0 && id < GPT2Tokenizer.vocabularySize else { return nil }
    return Array(entryBytes[entryStarts[id]..<entryStarts[id + 1]])
  }
}
