import Foundation
import SwiftletCore
import Testing

@testable import Dataset

/// `swiftlet prepare`'s library side: the split by tokens, shard layout, streaming, and errors.
@Suite struct PrepareTests {
  /// Reads a shard written by prepare, checking its header.
  static func readShard(_ path: String) throws -> [Int] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let count = try data.withUnsafeBytes { try TokenShard.tokenCount(header: $0, fileSize: data.count, path: path) }
    return data.withUnsafeBytes { raw in
      (0..<count).map {
        Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: TokenShard.headerBytes + 2 * $0, as: UInt16.self)))
      }
    }
  }

  static func write(_ text: String, in folder: String, name: String) throws -> String {
    let path = folder + "/" + name
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    return path
  }

  @Test func trainFollowedByValidationIsEachFilesEncoding() throws {
    guard let tokenizer = TestData.tokenizer, let data = TestData.sharedData else { return TestData.skip() }
    let folder = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let shakespeare = try String(contentsOfFile: data + "/tinyshakespeare.txt", encoding: .utf8)
    let mixed = TestData.cases.ordinary.map(\.text).joined(separator: "\n")
    let inputs = [data + "/tinyshakespeare.txt", try PrepareTests.write(mixed, in: folder, name: "mixed.txt")]
    var options = PrepareOptions(inputs: inputs, outputDirectory: folder + "/out")
    options.validationFraction = 0.25
    options.shardTokens = 70_000
    options.blockBytes = 4096  // many blocks, so many cuts
    options.spoolMemoryTokens = 10_000  // spills to the temporary file
    let summary = try DatasetPreparer.run(options, tokenizer: tokenizer)

    let encodings = [tokenizer.encode(shakespeare), tokenizer.encode(mixed)]
    let cuts = encodings.map { DatasetPreparer.splitPoint(tokens: $0.count, validationFraction: 0.25) }
    let expectedTrain = Array(encodings[0][..<cuts[0]] + encodings[1][..<cuts[1]])
    let expectedValidation = Array(encodings[0][cuts[0]...] + encodings[1][cuts[1]...])
    let train = try summary.trainShards.flatMap(PrepareTests.readShard)
    let validation = try summary.validationShards.flatMap(PrepareTests.readShard)
    #expect(train == expectedTrain)
    #expect(validation == expectedValidation)
    #expect(summary.tokens == encodings[0].count + encodings[1].count)
    #expect(summary.trainTokens == train.count && summary.validationTokens == validation.count)
    // Shards are full except the last, named in order, and nothing else is left in the folder.
    let trainSizes = try summary.trainShards.map { try PrepareTests.readShard($0).count }
    #expect(trainSizes.dropLast().allSatisfy { $0 == 70_000 } && trainSizes.count == (train.count + 69_999) / 70_000)
    #expect(summary.trainShards.map { ($0 as NSString).lastPathComponent }.first == "train_000000.bin")
    #expect(
      summary.validationShards.map { ($0 as NSString).lastPathComponent } == ["val_000000.bin", "val_000001.bin"])
    #expect(try PrepareTests.readShard(summary.validationShards[0]).count == 70_000)
    let listing = try FileManager.default.contentsOfDirectory(atPath: folder + "/out").sorted()
    #expect(
      listing == (summary.trainShards + summary.validationShards).map { ($0 as NSString).lastPathComponent }.sorted())
    // The shard stream the trainer reads sees the same tokens.
    let stream = try TokenStream(pattern: folder + "/out/train_*.bin")
    #expect(stream.tokens(offset: 0, length: stream.count).map(Int.init) == expectedTrain)
  }

  @Test func splitPointTakesTheDecimalFractionAtItsWord() {
    #expect(DatasetPreparer.splitPoint(tokens: 338_025, validationFraction: 0.1) == 304_222)
    #expect(DatasetPreparer.splitPoint(tokens: 10, validationFraction: 0.3) == 7)
    // In binary floating point 90 × (1 − 0.3) is 62.99999999999999 and 10 × (1 − 0.9) is 0.9999999999999998.
    #expect(DatasetPreparer.splitPoint(tokens: 90, validationFraction: 0.3) == 63)
    #expect(DatasetPreparer.splitPoint(tokens: 10, validationFraction: 0.9) == 1)
    #expect(DatasetPreparer.splitPoint(tokens: 60, validationFraction: 0.55) == 27)
    #expect(DatasetPreparer.splitPoint(tokens: 10, validationFraction: 0) == 10)
    #expect(DatasetPreparer.splitPoint(tokens: 1, validationFraction: 0.5) == 0)
    #expect(DatasetPreparer.splitPoint(tokens: 100, validationFraction: 0.01) == 99)
  }

  @Test func literalEndOfTextIsTextUnlessAnOptionAsks() throws {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    let folder = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let text = "one<|endoftext|>two\n"
    let input = try PrepareTests.write(text, in: folder, name: "a.txt")
    func prepared(_ configure: (inout PrepareOptions) -> Void) throws -> [Int] {
      var options = PrepareOptions(inputs: [input], outputDirectory: folder + "/out")
      options.validationFraction = 0
      configure(&options)
      let summary = try DatasetPreparer.run(options, tokenizer: tokenizer)
      #expect(summary.validationShards.isEmpty)
      return try summary.trainShards.flatMap(PrepareTests.readShard)
    }
    #expect(try prepared { _ in } == tokenizer.encode(text))
    #expect(try !prepared { _ in }.contains(GPT2Tokenizer.endOfText))
    #expect(try prepared { $0.allowingEndOfText = true } == tokenizer.encode(text, allowingEndOfText: true))
    #expect(try prepared { $0.prependingEndOfText = true } == [GPT2Tokenizer.endOfText] + tokenizer.encode(text))
    // With F = 0 there is no validation shard.
    #expect(!FileManager.default.fileExists(atPath: folder + "/out/val_000000.bin"))
  }

  @Test func shardsOfAnEarlierRunAreReplacedAndOtherFilesKept() throws {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    let folder = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let output = folder + "/out"
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    try TokenShardWriter.write([1, 2, 3], to: output + "/train_000007.bin")
    try TokenShardWriter.write([1, 2, 3], to: output + "/val_000000.bin")
    try "keep".write(toFile: output + "/notes.txt", atomically: false, encoding: .utf8)
    let input = try PrepareTests.write("Hello world, hello shards.\n", in: folder, name: "a.txt")
    let summary = try DatasetPreparer.run(
      PrepareOptions(inputs: [input], outputDirectory: output), tokenizer: tokenizer)
    #expect(summary.removedShards == [output + "/train_000007.bin"])
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: output).sorted() == [
        "notes.txt", "train_000000.bin", "val_000000.bin",
      ])
    #expect(
      try PrepareTests.readShard(output + "/val_000000.bin")
        == Array(tokenizer.encode("Hello world, hello shards.\n").suffix(1)))
  }

  @Test func unusableInputsFailBeforeAnythingIsWritten() throws {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    let folder = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let good = try PrepareTests.write("some text\n", in: folder, name: "good.txt")
    let empty = try PrepareTests.write("", in: folder, name: "empty.txt")
    let cases: [([String], String, String)] = [
      ([good, folder + "/missing.txt"], folder + "/out", "does not exist"),
      ([good, empty], folder + "/out", "is empty"),
      ([folder], folder + "/out", "is a folder"),
      ([], folder + "/out", "no input files"),
      ([good], good, "is not a folder"),
    ]
    for (inputs, output, message) in cases {
      #expect {
        try DatasetPreparer.run(PrepareOptions(inputs: inputs, outputDirectory: output), tokenizer: tokenizer)
      } throws: { error in
        "\(error)".contains(message)
      }
      #expect(!FileManager.default.fileExists(atPath: folder + "/out/train_000000.bin"))
    }
    var options = PrepareOptions(inputs: [good], outputDirectory: folder + "/out")
    options.validationFraction = 1
    #expect(throws: SwiftletError.self) { try DatasetPreparer.run(options, tokenizer: tokenizer) }
    // Nothing at all was left: no shard, no staging folder.
    #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder + "/out")) ?? []).isEmpty)
  }
}
