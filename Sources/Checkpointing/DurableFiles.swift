import Foundation
import SwiftletCore

#if canImport(Glibc)
  import Glibc
#endif

/// The POSIX steps that make a save durable and atomic: fsync a file, rename it into place,
/// fsync its folder so the rename itself survives a power cut.
enum DurableFiles {
  /// The current `errno` as text.
  static func lastError() -> String {
    String(cString: strerror(errno))
  }

  /// Forces the file's data and metadata to the storage device.
  static func synchronizeFile(_ path: String) throws {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw SwiftletError("cannot open \(path) to sync it: \(lastError())")
    }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else {
      throw SwiftletError("cannot sync \(path) to disk: \(lastError())")
    }
  }

  /// Forces a folder's entries (new, renamed or removed names) to the storage device.
  static func synchronizeDirectory(_ path: String) throws {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY)
    guard descriptor >= 0 else {
      throw SwiftletError("cannot open folder \(path) to sync it: \(lastError())")
    }
    defer { close(descriptor) }
    // Some file systems (and some network mounts) reject fsync on folders; the rename is
    // already atomic there, so only real I/O errors count.
    if fsync(descriptor) != 0, errno != EINVAL, errno != EROFS {
      throw SwiftletError("cannot sync folder \(path) to disk: \(lastError())")
    }
  }

  /// Atomically replaces `destination` by `source` (same file system).
  static func rename(_ source: String, to destination: String) throws {
    guard Glibc.rename(source, destination) == 0 else {
      throw SwiftletError("cannot rename \(source) to \(destination): \(lastError())")
    }
  }

  /// Creates `path` (and its parents) if it is missing; errors name the folder.
  static func createDirectory(_ path: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw SwiftletError("\(path) exists and is not a folder") }
      return
    }
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw SwiftletError("cannot create folder \(path): \(error.localizedDescription)")
    }
  }

  /// Creates an empty file, failing with the operating system's reason (permission denied,
  /// read-only file system, no space, …) as a one-line error.
  static func createEmptyFile(_ path: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw SwiftletError("cannot create \(path): \(lastError())") }
    close(descriptor)
  }

  /// Removes a file, ignoring a missing one.
  static func remove(_ path: String) {
    _ = unlink(path)
  }
}
