import Foundation

/// Where the tests find the package and the project's shared folder.
public enum PackagePaths {
  /// The package root, from this file's path (Tests/TestSupport/PackagePaths.swift).
  public static let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// `Tests/Reference/name` (the Python reference scripts and shell checks).
  public static func reference(_ name: String) -> String {
    root + "/Tests/Reference/" + name
  }

  /// `../shared/data` next to the package root, when it holds the GPT-2 tokenizer files.
  public static let sharedData: String? = {
    let path = URL(fileURLWithPath: root).deletingLastPathComponent()
      .appendingPathComponent("shared/data").path
    return FileManager.default.fileExists(atPath: path + "/gpt2-encoder.json") ? path : nil
  }()
}
