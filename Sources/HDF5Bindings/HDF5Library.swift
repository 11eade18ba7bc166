import CHDF5
import SwiftletCore

/// Process-wide HDF5 setup and the translation of HDF5 failures into `SwiftletError`s.
///
/// HDF5 prints its whole error stack to stderr by default; Swiftlet turns that off
/// (`H5Eset_auto2`, once per thread) and instead reads the innermost message off the stack,
/// so every failure is one line naming the operation, the object and the file.
enum HDF5Library {
  /// Runs once, before the first HDF5 call made through these bindings.
  static let initialized: Bool = {
    // No library shutdown at exit: every file Swiftlet keeps is closed explicitly, and after a
    // failed write (disk full) HDF5 1.10's exit-time cleanup retries the flush of the abandoned
    // file and can crash. Must precede the first HDF5 call.
    _ = H5dont_atexit()
    _ = H5open()
    return true
  }()

  /// Opens the library once and silences automatic error printing on the calling thread
  /// (HDF5 keeps that setting per thread); called before every HDF5 operation.
  @inline(__always)
  static func ensureInitialized() {
    _ = initialized
    swiftlet_h5e_silence_this_thread()
  }

  /// The most specific message on HDF5's current error stack (then clears the stack).
  static func takeErrorDetail() -> String? {
    final class Collector {
      var messages: [String] = []
    }
    let collector = Collector()
    let context = Unmanaged.passUnretained(collector).toOpaque()
    _ = H5Ewalk2(
      hid_t(H5E_DEFAULT), H5E_WALK_DOWNWARD,
      { _, error, context in
        if let error, let description = error.pointee.desc, let context {
          let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
          collector.messages.append(String(cString: description))
        }
        return 0
      }, context)
    _ = H5Eclear2(hid_t(H5E_DEFAULT))
    // Walking downward goes from the API call to the place that failed; the last message
    // ("truncated file: eof = …", "file signature not found") is the one a user can act on.
    return collector.messages.last(where: { !$0.isEmpty })
  }

  /// A `SwiftletError` for a failed HDF5 call.
  static func error(_ operation: String, object: String, file: String) -> SwiftletError {
    var message = "HDF5 cannot \(operation) '\(object)' in \(file)"
    if let detail = takeErrorDetail() {
      message += ": \(detail)"
    }
    return SwiftletError(message)
  }

  /// Throws unless `code` (an `herr_t` status, an identifier, an `htri_t` truth value or a
  /// count) is non-negative, HDF5's sign of failure; returns it.
  @discardableResult
  static func check<Code: BinaryInteger>(_ code: Code, _ operation: String, object: String, file: String) throws
    -> Code
  {
    if code < 0 { throw error(operation, object: object, file: file) }
    return code
  }
}

/// The HDF5 library version this program is linked with, e.g. "1.10.8".
public var hdf5LibraryVersion: String {
  HDF5Library.ensureInitialized()
  var major: UInt32 = 0
  var minor: UInt32 = 0
  var release: UInt32 = 0
  _ = H5get_libversion(&major, &minor, &release)
  return "\(major).\(minor).\(release)"
}
