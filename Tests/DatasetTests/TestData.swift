import Foundation
import Testing

@testable import Dataset

/// Locations of test inputs: the project's shared data folder (`../shared/data` next to the package
/// root) and this target's fixtures.
enum TestData {
  /// The package root, found from this file's path (Tests/DatasetTests/TestData.swift).
  static let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// `../shared/data` relative to the package, or nil when it is not there (tests then skip).
  static let sharedData: String? = {
    let path = URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared/data").path
    return FileManager.default.fileExists(atPath: path + "/gpt2-encoder.json") ? path : nil
  }()

  /// Why tests needing the shared data are skipped.
  static let skipMessage = "no shared data folder at ../shared/data next to the package; skipping"

  /// A missing prerequisite: skipped with a message on a developer's machine, a failure under
  /// `CI=true`, where every prerequisite must be present.
  static func skip(_ reason: String = skipMessage) {
    if ProcessInfo.processInfo.environment["CI"] == "true" {
      Issue.record("\(reason) (CI=true: a missing prerequisite fails the test)")
    } else {
      print(reason)
    }
  }

  private static let loadedTokenizer: Result<GPT2Tokenizer, Error>? = sharedData.map { data in
    Result { try GPT2Tokenizer(encoderPath: data + "/gpt2-encoder.json", mergesPath: data + "/gpt2-vocab.bpe") }
  }

  /// One tokenizer for the whole test run, loaded from the shared data (nil when the data is
  /// absent). Files that are there but do not load fail the asking test.
  static var tokenizer: GPT2Tokenizer? {
    switch loadedTokenizer {
    case .success(let tokenizer)?: return tokenizer
    case .failure(let error)?:
      Issue.record("the GPT-2 tokenizer files in \(sharedData ?? "?") do not load: \(error)")
      return nil
    case nil: return nil
    }
  }

  /// The parsed `tokenizer_cases.json` fixture.
  static let cases: TokenizerCases = {
    let url = Bundle.module.url(forResource: "Fixtures/tokenizer_cases", withExtension: "json")!
    return try! JSONDecoder().decode(TokenizerCases.self, from: Data(contentsOf: url))
  }()

  /// A fresh empty temporary folder.
  static func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "swiftlet-dataset-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

/// The fixture written by Tests/Reference/make_tokenizer_fixture.py from tiktoken.
struct TokenizerCases: Decodable, Sendable {
  struct Case: Decodable, Sendable {
    let text: String
    let ids: [Int]
  }
  struct Shakespeare: Decodable, Sendable {
    let count: Int
    let ids_uint16le_sha256: String
  }
  struct Classes: Decodable, Sendable {
    let letter: [[UInt32]]
    let number: [[UInt32]]
    let whitespace: [[UInt32]]
  }
  let tiktoken_version: String
  let ordinary: [Case]
  let allowing_endoftext: [Case]
  let tinyshakespeare: Shakespeare
  let classes: Classes
}
