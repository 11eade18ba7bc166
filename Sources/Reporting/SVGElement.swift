/// Writes one SVG element with escaped attribute values: `<line x1="1.5" … />`.
enum SVGElement {
  /// `<name attributes…/>`, or `<name attributes…>text</name>` with `text` escaped, or with
  /// `children` (markup) inside. `Double` values are written as coordinates (`coordinate(_:)`).
  static func make(
    _ name: String, _ attributes: KeyValuePairs<String, Any>, text: String? = nil,
    children: String? = nil
  ) -> String {
    var result = "<\(name)"
    for (key, value) in attributes {
      let written = (value as? Double).map(coordinate) ?? "\(value)"
      result += " \(key)=\"\(HTMLEscaping.escape(written))\""
    }
    if let text { return result + ">\(HTMLEscaping.escape(text))</\(name)>" }
    if let children { return result + ">\(children)</\(name)>" }
    return result + "/>"
  }

  /// A coordinate with one decimal and no trailing `.0` (`12.3`, `40`): short paths, and a
  /// tenth of a unit is far below a pixel at our sizes.
  static func coordinate(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() && abs(rounded) < 1e15
      ? String(Int(rounded)) : String(rounded)
  }
}
