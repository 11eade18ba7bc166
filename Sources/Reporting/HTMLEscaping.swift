/// Escapes text for HTML and inline SVG, in element content and in quoted attribute values.
enum HTMLEscaping {
  /// `&`, `<`, `>`, `"` and `'` become character references; everything else is kept.
  static func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text.unicodeScalars {
      switch character {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      default: result.unicodeScalars.append(character)
      }
    }
    return result
  }
}
