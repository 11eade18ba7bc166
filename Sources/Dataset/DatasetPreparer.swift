import Foundation
import SwiftletCore

/// What `swiftlet prepare` should do (docs/data.md).
public struct PrepareOptions: Sendable {
  /// Text files, each encoded as one string.
  public var inputs: [String]
  /// Folder receiving `train_000000.bin`, `val_000000.bin`, … (created if needed).
  public var outputDirectory: String
  /// F: of each file's N tokens, the first `splitPoint(N, F)` ≈ (1 − F)·N go to train and the
  /// rest to validation. Default 0.1 (docs/data.md).
  public var validationFraction: Double = 0.1
  /// Tokens per shard before the next one starts.
  public var shardTokens: Int = 100_000_000
  /// Encode a literal `<|endoftext|>` in the text as token 50256 instead of as characters.
  public var allowingEndOfText = false
  /// Put token 50256 before each file's tokens (GPT-2's document separator).
  public var prependingEndOfText = false
  /// Bytes read per block; memory use is a few blocks.
  public var blockBytes = 8 << 20
  /// Tokens of one file held in memory before they spill to a temporary file.
  public var spoolMemoryTokens = 32 << 20

  public init(inputs: [String], outputDirectory: String) {
    self.inputs = inputs
    self.outputDirectory = outputDirectory
  }
}

/// Where `prepare` is, for a progress display.
public struct PrepareProgress: Sendable {
  /// 0-based index of the input being encoded, and the number of inputs.
  public let fileIndex: Int
  public let fileCount: Int
  public let path: String
  /// Bytes of this input read so far, and its size when known.
  public let bytesRead: Int
  public let fileBytes: Int?
  /// Bytes of all inputs read so far, and seconds since the start.
  public let totalBytesRead: Int
  public let seconds: Double
}

/// What `prepare` wrote.
public struct PrepareSummary: Sendable {
  public let files: Int
  /// Bytes of text read.
  public let bytes: Int
  public let trainTokens: Int
  public let validationTokens: Int
  /// Final paths of the shards written, in order.
  public let trainShards: [String]
  public let validationShards: [String]
  /// Shards of an earlier run in the output folder that this run removed (see `DatasetPreparer`).
  public let removedShards: [String]
  /// Wall time of the whole preparation (reading, encoding, writing).
  public let seconds: Double
  /// The part of `seconds` spent in the tokenizer itself.
  public let encodingSeconds: Double

  /// Tokens over all files (= train + validation).
  public var tokens: Int { trainTokens + validationTokens }
  /// Throughput in megabytes (10⁶ bytes) of text per second.
  public var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds / 1e6 : 0 }
  /// The tokenizer's own throughput (comparable to timing tiktoken's `encode_ordinary`).
  public var encodingMegabytesPerSecond: Double { encodingSeconds > 0 ? Double(bytes) / encodingSeconds / 1e6 : 0 }
}

/// `swiftlet prepare`: encode text files into train and validation token shards.
///
/// - Each input is encoded as one string (streamed through `ChunkedTextReader`, which cuts only
///   where that cannot change the ids), its tokens held in a `TokenSpool` until their count N is
///   known, then the first `splitPoint(N, F)` go to the train shards and the rest to the
///   validation shards, so train followed by validation is exactly the file's encoding.
///   Inputs follow one another in each split's stream of shards.
/// - Shards are written into a hidden staging folder inside the output folder and renamed into
///   place only when every input succeeded, so a failure leaves no new shard under a final name.
///   The run then owns the `train_NNNNNN.bin`/`val_NNNNNN.bin` names of the folder: shards of an
///   earlier run that it did not rewrite are removed, so a glob never mixes two runs.
public enum DatasetPreparer {
  /// The number of a file's `tokens` that go to train: ⌊(1 − F)·N⌋, where (1 − F)·N is nudged up
  /// by a few ulps so that a decimal F such as 0.3 gives the count its decimal value implies
  /// rather than one fewer through binary rounding.
  public static func splitPoint(tokens: Int, validationFraction: Double) -> Int {
    let exact = Double(tokens) * (1 - validationFraction)
    return min(tokens, max(0, Int((exact * (1 + 8 * Double.ulpOfOne)).rounded(.down))))
  }

  /// Runs the preparation with `tokenizer`, calling `progress` after each block read.
  public static func run(
    _ options: PrepareOptions, tokenizer: GPT2Tokenizer, progress: ((PrepareProgress) -> Void)? = nil
  ) throws -> PrepareSummary {
    let start = MonotonicClock.now()
    var encodingSeconds = 0.0
    try validate(options)
    let output = options.outputDirectory
    let staging = try makeStagingFolder(in: output)
    let train = ShardSeriesWriter(directory: staging, prefix: "train", shardTokens: options.shardTokens)
    let validation = ShardSeriesWriter(directory: staging, prefix: "val", shardTokens: options.shardTokens)
    do {
      var totalBytes = 0
      for (index, path) in options.inputs.enumerated() {
        let spool = TokenSpool(
          spillPath: (staging as NSString).appendingPathComponent("tokens.tmp"), memoryLimit: options.spoolMemoryTokens)
        defer { spool.close() }
        if options.prependingEndOfText { try spool.append([Int32(GPT2Tokenizer.endOfText)]) }
        let reader = try ChunkedTextReader(path: path, blockBytes: options.blockBytes)
        var ids: [Int32] = []
        let before = totalBytes
        let bytes = try reader.forEachSegment(
          progress: { read in
            progress?(
              PrepareProgress(
                fileIndex: index, fileCount: options.inputs.count, path: path, bytesRead: read, fileBytes: reader.size,
                totalBytesRead: before + read, seconds: MonotonicClock.now() - start))
          },
          { segment in
            ids.removeAll(keepingCapacity: true)
            let encodingStart = MonotonicClock.now()
            tokenizer.appendEncoding(of: segment, allowingEndOfText: options.allowingEndOfText, to: &ids)
            encodingSeconds += MonotonicClock.now() - encodingStart
            try spool.append(ids)
          })
        guard bytes > 0 else { throw SwiftletError("input \(path) is empty") }
        totalBytes += bytes
        try route(
          spool, trainCount: splitPoint(tokens: spool.count, validationFraction: options.validationFraction),
          train: train, validation: validation)
      }
      try train.finish()
      try validation.finish()
      let removed = try publish(train.completed + validation.completed, into: output)
      try? FileManager.default.removeItem(atPath: staging)
      let final = { (paths: [String]) in
        paths.map { (output as NSString).appendingPathComponent(($0 as NSString).lastPathComponent) }
      }
      return PrepareSummary(
        files: options.inputs.count, bytes: totalBytes, trainTokens: train.count,
        validationTokens: validation.count, trainShards: final(train.completed),
        validationShards: final(validation.completed),
        removedShards: removed, seconds: MonotonicClock.now() - start, encodingSeconds: encodingSeconds)
    } catch {
      train.abandon()
      validation.abandon()
      try? FileManager.default.removeItem(atPath: staging)
      throw error
    }
  }

  /// Rejects bad options and unusable inputs (missing, folder, unreadable, empty) before any work
  /// starts; `run` calls it too.
  public static func validate(_ options: PrepareOptions) throws {
    guard !options.inputs.isEmpty else { throw SwiftletError("no input files given (use --input FILE)") }
    let fraction = options.validationFraction
    guard fraction.isFinite, fraction >= 0, fraction < 1 else {
      throw SwiftletError("--val-fraction must be at least 0 and below 1, got \(fraction)")
    }
    guard options.shardTokens >= 1, options.shardTokens <= Int(Int32.max) else {
      throw SwiftletError("--shard-tokens must be between 1 and \(Int32.max), got \(options.shardTokens)")
    }
    for path in options.inputs {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw SwiftletError("input \(path) does not exist")
      }
      guard !isFolder.boolValue else { throw SwiftletError("input \(path) is a folder, not a text file") }
      guard FileManager.default.isReadableFile(atPath: path) else {
        throw SwiftletError("input \(path) is not readable")
      }
      if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
        attributes[.type] as? FileAttributeType == .typeRegular, (attributes[.size] as? NSNumber)?.intValue == 0
      {
        throw SwiftletError("input \(path) is empty")
      }
    }
  }

  /// Creates the output folder if needed and a fresh hidden staging folder inside it.
  static func makeStagingFolder(in output: String) throws -> String {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: output, isDirectory: &isFolder) {
      guard isFolder.boolValue else { throw SwiftletError("output \(output) exists and is not a folder") }
    } else if let reason = makeFolders(output) {
      throw SwiftletError("cannot create output folder \(output): \(reason)")
    }
    let staging = (output as NSString).appendingPathComponent(
      ".swiftlet-prepare-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.removeItem(atPath: staging)  // left by a killed run with the same pid
    guard mkdir(staging, 0o755) == 0 else {
      throw SwiftletError("output folder \(output) is not writable: \(String(cString: strerror(errno)))")
    }
    return staging
  }

  /// `mkdir -p`; returns the system's reason on failure.
  private static func makeFolders(_ path: String) -> String? {
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty, parent != path, !FileManager.default.fileExists(atPath: parent),
      let reason = makeFolders(parent)
    {
      return reason
    }
    if mkdir(path, 0o755) == 0 || errno == EEXIST { return nil }
    return String(cString: strerror(errno))
  }

  /// Sends the first `trainCount` spooled tokens to `train` and the rest to `validation`.
  static func route(_ spool: TokenSpool, trainCount: Int, train: ShardSeriesWriter, validation: ShardSeriesWriter)
    throws
  {
    var seen = 0
    try spool.replay { block in
      let toTrain = max(0, min(block.count, trainCount - seen))
      if toTrain > 0 { try train.append(UnsafeBufferPointer(rebasing: block[..<toTrain])) }
      if toTrain < block.count { try validation.append(UnsafeBufferPointer(rebasing: block[toTrain...])) }
      seen += block.count
    }
  }

  /// Renames the staged shards into `output`, then removes shards there that this run did not
  /// write. Returns the removed paths.
  static func publish(_ staged: [String], into output: String) throws -> [String] {
    var written = Set<String>()
    for path in staged {
      let name = (path as NSString).lastPathComponent
      let destination = (output as NSString).appendingPathComponent(name)
      guard rename(path, destination) == 0 else {
        throw SwiftletError("cannot move \(name) into \(output): \(String(cString: strerror(errno)))")
      }
      written.insert(name)
    }
    let existing = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
    var removed: [String] = []
    for name in existing.sorted() where isShardName(name) && !written.contains(name) {
      let path = (output as NSString).appendingPathComponent(name)
      if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
    }
    return removed
  }

  /// `train_NNNNNN.bin` or `val_NNNNNN.bin`.
  static func isShardName(_ name: String) -> Bool {
    for prefix in ["train_", "val_"] where name.hasPrefix(prefix) && name.hasSuffix(".bin") {
      let digits = name.dropFirst(prefix.count).dropLast(4)
      return digits.count == 6 && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
    return false
  }

}
