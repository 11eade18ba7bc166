import Foundation
import Testing

@testable import Reporting

@Suite struct HTMLTests {
  @Test func escapingReplacesEveryMarkupCharacter() {
    #expect(
      HTMLEscaping.escape(#"<script>alert("x" & 'y')</script>"#)
        == "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;")
    #expect(HTMLEscaping.escape("plain é 😀") == "plain é 😀")
  }

  @Test func tableCellsFromTextAreEscapedAndNumbersRightAligned() {
    let table = HTMLTable(
      caption: "a < b", columns: ["K&V"],
      rows: [[.text("<b>", numeric: true)], [.markup("<i>ok</i>")]])
    let html = table.render()
    #expect(html.contains("<caption>a &lt; b</caption>"))
    #expect(html.contains("<th>K&amp;V</th>"))
    #expect(html.contains("<td class=\"num\">&lt;b&gt;</td>"))
    #expect(html.contains("<td><i>ok</i></td>"))
  }

  @Test func reportJSONBecomesTablesWithKnownKeysFirstAndNestedObjectsBelow() throws {
    let text = #"""
      {"zzz_unknown": "<odd>", "mfu": 0.412, "params": 124439808, "energy_kwh": 1.5,
       "projection": {"tokens": 3e11, "co2e_kg": 12.5, "deep": {"x": 1}},
       "runs": [{"a": 1}, {"a": 2}], "tags": ["x", "y"], "missing": null}
      """#
    let json = try JSONDecoder().decode(ReportValue.self, from: Data(text.utf8))
    let html = ReportTables.render(json)
    // Known keys come first in the preferred order, then the others in key order.
    let order = [
      "<code>params</code>", "<code>energy_kwh</code>", "<code>mfu</code>",
      "<code>zzz_unknown</code>",
    ]
    let positions = order.map { html.range(of: $0)?.lowerBound }
    #expect(positions.allSatisfy { $0 != nil })
    #expect(zip(positions, positions.dropFirst()).allSatisfy { $0! < $1! })
    #expect(html.contains("&lt;odd&gt;"))
    #expect(!html.contains("<odd>"))
    #expect(html.contains("41.2 %"))
    #expect(html.contains("124M"))
    #expect(html.contains("124,439,808"))
    #expect(html.contains("1.5 kWh"))
    #expect(html.contains("12.5 kg"))
    #expect(html.contains("x, y"))
    #expect(html.contains("Projection to the full run (projection)"))
    #expect(html.contains("projection › deep"))
    #expect(html.contains("<code>runs[1]</code>"))
    // Tables: top level, projection, projection › deep, runs, and one per item of runs.
    #expect(html.components(separatedBy: "<table>").count - 1 == 6)
  }
}
