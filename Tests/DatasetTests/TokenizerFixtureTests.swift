import Foundation
import Testing

@testable import Dataset

/// The tokenizer against tiktoken on hand-picked edge cases and seeded random strings
/// (Fixtures/tokenizer_cases.json, from Tests/Reference/make_tokenizer_fixture.py).
@Suite struct TokenizerFixtureTests {
  @Test func ordinaryCasesMatchTiktoken() throws {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    var mismatches = 0
    for testCase in TestData.cases.ordinary {
      let ids = tokenizer.encode(testCase.text)
      if ids != testCase.ids {
        mismatches += 1
        Issue.record("\(testCase.text.debugDescription): got \(ids), tiktoken \(testCase.ids)")
      }
    }
    #expect(mismatches == 0)
    #expect(TestData.cases.ordinary.count > 400)
  }

  @Test func endOfTextIsSpecialOnlyWhenAllowed() throws {
    guard let tokenizer = TestData.tokenizer else { return TestData.skip() }
    for testCase in TestData.cases.allowing_endoftext {
      #expect(
        tokenizer.encode(testCase.text, allowingEndOfText: true) == testCase.ids, "\(testCase.text.debugDescription)")
      #expect(!tokenizer.encode(testCase.text).contains(GPT2Tokenizer.endOfText))
    }
    #expect(tokenizer.encode("<|endoftext|>", allowingEndOfText: true) == [GPT2Tokenizer.endOfText])
    #expect(tokenizer.decode([GPT2Tokenizer.endOfText]) == "<|endoftext|>")
  }

  /// Every Unicode scalar is classed as tiktoken's regex engine classes it.
  @Test func scalarClassesMatchTiktokenForEveryScalar() {
    func members(_ ranges: [[UInt32]]) -> Set<UInt32> {
      Set(ranges.flatMap { $0[0]...$0[1] })
    }
    let letters = members(TestData.cases.classes.letter)
    let numbers = members(TestData.cases.classes.number)
    let whitespace = members(TestData.cases.classes.whitespace)
    var wrong: [String] = []
    for value in UInt32(0)..<0x11_0000 {
      guard Unicode.Scalar(value) != nil else { continue }
      let expected: ScalarClass =
        letters.contains(value)
        ? .letter : numbers.contains(value) ? .number : whitespace.contains(value) ? .whitespace : .other
      if ScalarClass.of(value) != expected {
        wrong.append("U+\(String(value, radix: 16)) \(ScalarClass.of(value)) != \(expected)")
      }
    }
    #expect(wrong.isEmpty, "\(wrong.count) scalars differ, e.g. \(wrong.prefix(10))")
    #expect(whitespace.count == 25)
  }
}
