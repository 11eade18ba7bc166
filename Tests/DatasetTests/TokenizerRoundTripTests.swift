import Foundation
import TestSupport
import Testing

@testable import Dataset

/// decode(encode(x)) == x, for text and for arbitrary bytes (the invalid UTF-8 policy).
@Suite struct TokenizerRoundTripTests {
  @Test func fixtureTextsRoundTrip() {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    for testCase in TestData.cases.ordinary {
      // Compare bytes: String == would accept any canonically equivalent text.
      #expect(Array(tokenizer.decode(tokenizer.encode(testCase.text)).utf8) == Array(testCase.text.utf8))
    }
  }

  @Test func randomBytesRoundTrip() {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    var generator = SeededRandom(seed: 7)
    for _ in 0..<200 {
      let length = Int(generator.next() % 64)
      // Mix plain ASCII with arbitrary bytes so both valid and invalid stretches occur.
      let bytes = (0..<length).map { _ -> UInt8 in
        let r = generator.next()
        return r % 3 == 0 ? UInt8(truncatingIfNeeded: r >> 8) : UInt8(0x20 + (r >> 8) % 0x5F)
      }
      #expect(tokenizer.decodeBytes(tokenizer.encode(bytes: bytes)) == bytes)
    }
  }

  @Test func eachInvalidByteIsItsOwnToken() throws {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    // 0xFF can never occur in UTF-8; E2 82 is a truncated euro sign; C0 AF an overlong '/'.
    let bytes: [UInt8] =
      Array("ab".utf8) + [0xFF] + Array("cd ".utf8) + [0xE2, 0x82] + Array(" x".utf8) + [0xC0, 0xAF]
    let ids = tokenizer.encode(bytes: bytes)
    let pieces = ids.map { tokenizer.bytes(of: $0)! }
    #expect(pieces.contains([0xFF]))
    #expect(pieces.contains([0xE2]) && pieces.contains([0x82]))
    #expect(pieces.contains([0xC0]) && pieces.contains([0xAF]))
    // The valid stretches encode as separate texts: "cd " ends a text, so its space stays with it.
    #expect(
      ids == tokenizer.encode("ab") + [tokenizer.encode(bytes: [0xFF])[0]] + tokenizer.encode("cd ")
        + tokenizer.encode(bytes: [0xE2]) + tokenizer.encode(bytes: [0x82]) + tokenizer.encode(" x")
        + tokenizer.encode(bytes: [0xC0]) + tokenizer.encode(bytes: [0xAF]))
    #expect(tokenizer.decodeBytes(ids) == bytes)
  }

  @Test func stringAndByteEncodingsAgreeOnValidText() {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    for testCase in TestData.cases.ordinary.prefix(60) {
      #expect(tokenizer.encode(bytes: Array(testCase.text.utf8)) == tokenizer.encode(testCase.text))
    }
  }

  @Test func idsOutsideTheVocabularyDecodeToReplacementCharacter() {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    #expect(tokenizer.decode([15496, 50257, -1, 995]) == "Hello\u{FFFD}\u{FFFD} world")
    #expect(tokenizer.bytes(of: 50257) == nil)
  }
}
