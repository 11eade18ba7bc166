import Foundation
import TestSupport
import Testing

@testable import Dataset

/// Locations of test inputs: the project's shared data folder (`../shared/data` next to the package
/// root) and this target's fixtures.
enum TestData {
  /// `../shared/data` next to the package, or nil when it is not there (tests then skip).
  static let sharedData = PackagePaths.sharedData

  /// Why tests needing the shared data are skipped.
  static let skipMessage = "no shared data folder at ../shared/data next to the package"

  /// The shared data folder is missing: skipped with `skipMessage`, or a failure under CI.
  static func skip() { Prerequisite.missing(skipMessage) }

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
