import Foundation
import SwiftletCore
import Testing

@testable import Dataset

/// Finding and verifying the tokenizer files (contract section 4).
@Suite struct TokenizerFilesTests {
  @Test func locationPrefersOptionThenEnvironmentThenCache() throws {
    let environment = ["SWIFTLET_TOKENIZER": "/from/env", "XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"]
    #expect(try GPT2TokenizerFiles.locate(explicit: "/from/option", environment: environment) == "/from/option")
    #expect(try GPT2TokenizerFiles.locate(explicit: nil, environment: environment) == "/from/env")
    #expect(
      try GPT2TokenizerFiles.locate(explicit: nil, environment: ["XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"])
        == "/xdg/swiftlet/tokenizer")
    // An empty XDG_CACHE_HOME counts as unset, as in the XDG spec and the shell's ${VAR:-default}.
    #expect(
      try GPT2TokenizerFiles.locate(explicit: nil, environment: ["XDG_CACHE_HOME": "", "HOME": "/home/u"])
        == "/home/u/.cache/swiftlet/tokenizer")
    #expect(throws: SwiftletError.self) { try GPT2TokenizerFiles.locate(explicit: nil, environment: [:]) }
  }

  @Test func missingOrCorruptFilesAreClearErrors() throws {
    guard let data = TestData.sharedData else { return TestData.skip() }
    let folder = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    #expect(
      performing: { try GPT2Tokenizer(directory: folder) },
      throws: { error in
        "\(error)".contains("encoder.json is missing")
      })
    let encoder = try Data(contentsOf: URL(fileURLWithPath: data + "/gpt2-encoder.json"))
    var merges = try Data(contentsOf: URL(fileURLWithPath: data + "/gpt2-vocab.bpe"))
    try encoder.write(to: URL(fileURLWithPath: folder + "/encoder.json"))
    merges[1000] ^= 1  // one flipped bit
    try merges.write(to: URL(fileURLWithPath: folder + "/vocab.bpe"))
    #expect(
      performing: { try GPT2Tokenizer(directory: folder) },
      throws: { error in
        "\(error)".contains("vocab.bpe is corrupt")
      })
    try encoder.prefix(encoder.count - 10).write(to: URL(fileURLWithPath: folder + "/encoder.json"))  // truncated
    #expect(
      performing: { try GPT2Tokenizer(directory: folder) },
      throws: { error in
        "\(error)".contains("encoder.json is corrupt")
      })
  }

  @Test func byteAlphabetIsAPermutationWithSpaceAsGWithDot() {
    let scalars = ByteLevelAlphabet.scalarForByte
    #expect(Set(scalars).count == 256)
    #expect(scalars[0x20] == 0x120 && scalars[0x0A] == 0x10A && scalars[0x41] == 0x41)
    #expect(scalars.max() == 0x143)
  }

  @Test func encoderJSONGivesEachIDItsBytesAndRejectsGarbage() throws {
    let text = #"{"a\"b": 1, "\u0120x\/": 2 ,"<|endoftext|>":0}"#
    let tokens = try GPT2TokenizerFiles.parseEncoder(Array(text.utf8), path: "t.json")
    #expect(tokens == [Array("<|endoftext|>".utf8), [0x61, 0x22, 0x62], [0x20, 0x78, 0x2F]])
    for bad in [
      #"{"a": }"#, #"{"a": 1"#, #"{"a": 0} x"#, #"{"a": "0"}"#, #"{"a": 0, "b": 0}"#, #"{"a": 0, "b": 2}"#,
      #"{"a": -1}"#, #"{"\u0200": 0}"#, "[0]",
    ] {
      #expect(throws: SwiftletError.self, "\(bad)") {
        try GPT2TokenizerFiles.parseEncoder(Array(bad.utf8), path: "t.json")
      }
    }
  }
}
