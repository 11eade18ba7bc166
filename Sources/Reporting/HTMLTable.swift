/// An HTML `<table>` whose cells are built from escaped text (or, explicitly, markup).
struct HTMLTable {
  struct Cell {
    /// The cell's markup.
    var html: String
    /// Right-aligned with tabular digits.
    var numeric = false

    /// Text, escaped.
    static func text(_ text: String, numeric: Bool = false) -> Cell {
      Cell(html: HTMLEscaping.escape(text), numeric: numeric)
    }

    /// Markup the caller built from escaped parts.
    static func markup(_ html: String, numeric: Bool = false) -> Cell {
      Cell(html: html, numeric: numeric)
    }
  }

  var caption: String?
  var columns: [String]
  var rows: [[Cell]]

  func render() -> String {
    var out = ["<table>"]
    if let caption { out.append("<caption>\(HTMLEscaping.escape(caption))</caption>") }
    out.append(
      "<thead><tr>" + columns.map { "<th>\(HTMLEscaping.escape($0))</th>" }.joined()
        + "</tr></thead>")
    out.append("<tbody>")
    for row in rows {
      let cells = row.map { cell in
        cell.numeric ? "<td class=\"num\">\(cell.html)</td>" : "<td>\(cell.html)</td>"
      }
      out.append("<tr>" + cells.joined() + "</tr>")
    }
    out.append("</tbody></table>")
    return out.joined(separator: "\n")
  }
}
