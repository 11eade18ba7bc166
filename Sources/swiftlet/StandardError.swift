import Foundation

extension FileHandle {
  /// Writes UTF-8 text without a newline.
  func write(_ text: String) {
    write(text.data(using: .utf8)!)
  }
}
