import Testing

@testable import Reporting

@Suite struct JSONParserTests {
  @Test func objectsKeepTheirMembersInFileOrder() throws {
    let value = try JSONParser.parse(#"{"zeta": 1, "alpha": 2, "mid": {"b": true, "a": null}}"#)
    #expect(value.members?.map(\.key) == ["zeta", "alpha", "mid"])
    #expect(value["mid"]?.members?.map(\.key) == ["b", "a"])
    #expect(value["mid"]?["a"] == .null)
    #expect(value["alpha"]?.finiteNumber == 2)
  }

  @Test func numbersKeepTheirTextAndOverflowIsNotFinite() throws {
    let value = try JSONParser.parse("[-0.5e-3, 124439808, 1e400]")
    guard case .array(let items) = value else {
      Issue.record("not an array")
      return
    }
    #expect(items[0] == .number(-0.0005, text: "-0.5e-3"))
    #expect(items[1].finiteNumber == 124_439_808)
    #expect(items[2].finiteNumber == nil)
  }

  @Test func stringEscapesAndSurrogatePairsDecode() throws {
    let value = try JSONParser.parse(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#)
    #expect(value.stringValue == "a\"b\\c/d\né😀")
  }

  @Test(arguments: [
    "", "{", #"{"a":1"#, #"{"a" 1}"#, "[1,]", "01", "1.", "-", "tru", #""abc"#, "{} x", "NaN",
    "\"a\u{01}b\"",
  ])
  func malformedTextIsRejected(text: String) {
    #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
  }

  @Test func nestingBeyondTheLimitIsRejectedNotRecursedInto() {
    let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
    #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
    let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
    #expect(throws: Never.self) { try JSONParser.parse(fine) }
  }
}
