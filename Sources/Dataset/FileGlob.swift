import SwiftletCore

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Shell-style path expansion (`data/train_*.bin`), sorted.
public enum FileGlob {
  /// The sorted paths matching `pattern`; a pattern without wildcards matches itself if it exists.
  public static func expand(_ pattern: String) throws -> [String] {
    var result = glob_t()
    defer { globfree(&result) }
    let status = glob(pattern, 0, nil, &result)
    if status == GLOB_NOMATCH { return [] }
    guard status == 0 else { throw SwiftletError("cannot expand path pattern '\(pattern)'") }
    return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
  }
}
