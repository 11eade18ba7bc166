/// `report.json` as HTML tables, generically: the top-level scalars in one table (known keys
/// first, the rest in key order), then one sub-table per nested object or array of objects,
/// titled by its path (`projection`, `lost`, `runs[0] › gpu`).
enum ReportTables {
  /// The tables' markup for a parsed `report.json`.
  static func render(_ json: ReportValue) -> String {
    guard let members = json.members else {
      return table(caption: "report.json", members: [ReportMember(key: "value", value: json)])
    }
    let ordered =
      ReportFields.preferredOrder.compactMap { key in members.last { $0.key == key } }
      + members.filter { !ReportFields.preferredOrder.contains($0.key) }
    return ([table(caption: "Run ledger (report.json)", members: ordered)] + nested(ordered, path: []))
      .joined(separator: "\n")
  }

  /// Sub-tables for the objects (and arrays holding objects) among `members`, depth first.
  private static func nested(_ members: [ReportMember], path: [String]) -> [String] {
    var out: [String] = []
    for member in members {
      switch member.value {
      case .object(let children):
        let childPath = path + [member.key]
        out.append(table(caption: caption(childPath), members: children))
        out += nested(children, path: childPath)
      case .array(let elements) where elements.contains(where: { !$0.isScalar }):
        let indexed = elements.enumerated().map {
          ReportMember(key: "\(member.key)[\($0)]", value: $1)
        }
        out.append(table(caption: caption(path + [member.key]), members: indexed))
        out += nested(indexed, path: path)
      default:
        continue
      }
    }
    return out
  }

  private static func caption(_ path: [String]) -> String {
    let joined = path.joined(separator: " › ")
    guard path.count == 1, let label = ReportFields.labels[path[0]] else { return joined }
    return "\(label) (\(joined))"
  }

  /// One row per member: key, known label, formatted value (and the exact text when it differs).
  private static func table(caption: String, members: [ReportMember]) -> String {
    let rows = members.map { member -> [HTMLTable.Cell] in
      [
        .markup("<code>\(HTMLEscaping.escape(member.key))</code>"),
        .text(ReportFields.labels[member.key] ?? ""),
        value(key: member.key, member.value),
      ]
    }
    return HTMLTable(caption: caption, columns: ["Key", "Meaning", "Value"], rows: rows).render()
  }

  private static func value(key: String, _ value: ReportValue) -> HTMLTable.Cell {
    switch value {
    case .null:
      return .markup("<span class=\"muted\">null</span>", numeric: true)
    case .bool(let flag):
      return .text(flag ? "true" : "false", numeric: true)
    case .string(let text):
      return .text(text)
    case .number(let number):
      // The exact figure as written is the cell's tooltip; integers the SI form abbreviates
      // (1000 and up) also show it in full, grouped.
      let shown = HTMLEscaping.escape(ReportFields.format(key: key, number: number))
      var exact = ""
      if abs(number) >= 1000, let grouped = NumberFormatting.grouped(number) {
        exact = " <span class=\"exact\">\(grouped)</span>"
      }
      return .markup(
        "<span title=\"\(NumberFormatting.asWritten(number))\">\(shown)</span>\(exact)", numeric: true)
    case .array(let elements) where elements.allSatisfy(\.isScalar):
      let items = elements.map { element -> String in
        switch element {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number): return ReportFields.format(key: key, number: number)
        case .string(let text): return text
        case .array, .object: return ""
        }
      }
      return .text(items.isEmpty ? "[]" : items.joined(separator: ", "))
    case .array(let elements):
      return .markup("<span class=\"muted\">\(elements.count) items, below</span>")
    case .object(let members):
      return .markup("<span class=\"muted\">\(members.count) fields, below</span>")
    }
  }
}
