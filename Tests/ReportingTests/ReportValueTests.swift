import Foundation
import Testing

@testable import Reporting

/// `report.json` read generically for the page's tables.
@Suite struct ReportValueTests {
  private func decode(_ text: String) throws -> ReportValue {
    try JSONDecoder().decode(ReportValue.self, from: Data(text.utf8))
  }

  @Test func objectMembersAreSortedByKeyAsReportJSONIsWritten() throws {
    let value = try decode(#"{"zeta": 1, "alpha": 2, "mid": {"b": true, "a": null}}"#)
    #expect(value.members?.map(\.key) == ["alpha", "mid", "zeta"])
    #expect(
      value.members?[1].value.members == [
        ReportMember(key: "a", value: .null), ReportMember(key: "b", value: .bool(true)),
      ])
    #expect(value.members?[0].value == .number(2))
  }

  @Test func booleansNumbersAndStringsStayApart() throws {
    #expect(
      try decode("[true, 1, 0, false, \"1\", -0.5e-3]")
        == .array([.bool(true), .number(1), .number(0), .bool(false), .string("1"), .number(-0.0005)]))
    #expect(try decode(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\né😀"))
  }

  @Test(arguments: ["", "{", #"{"a":1"#, #"{"a" 1}"#, "tru", #""abc"#, "{} x", "NaN"])
  func malformedTextIsRejected(text: String) {
    #expect(throws: (any Error).self) { try decode(text) }
  }

  @Test func deepNestingIsRejectedNotRecursedInto() throws {
    let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
    #expect(throws: (any Error).self) { try decode(deep) }
    let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
    #expect(throws: Never.self) { try decode(fine) }
  }

  @Test func numbersShowAsWritten() {
    #expect(NumberFormatting.asWritten(124_439_808) == "124439808")
    #expect(NumberFormatting.asWritten(0.41) == "0.41")
    #expect(NumberFormatting.asWritten(1e-05) == "1e-05")
  }
}
