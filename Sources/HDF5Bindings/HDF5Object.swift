import CHDF5
import SwiftletCore

/// An open HDF5 file, group or dataset: owns one HDF5 identifier and closes it in `deinit`.
///
/// Every object knows the file it lives in and its path inside that file, so each error names
/// both. Attribute access (on files, groups and datasets alike) is in `HDF5Object+Attributes`.
public class HDF5Object: CustomStringConvertible {
  /// The path of the file on disk.
  public let filePath: String
  /// The object's absolute path inside the file (`/` for the file's root group).
  public let path: String

  private var rawID: hid_t
  private let closeFunction: (hid_t) -> herr_t

  init(id: hid_t, filePath: String, path: String, close: @escaping (hid_t) -> herr_t) {
    self.rawID = id
    self.filePath = filePath
    self.path = path
    self.closeFunction = close
  }

  deinit {
    if rawID >= 0 { _ = closeFunction(rawID) }
  }

  /// The identifier, or an error if the object was closed.
  func id() throws -> hid_t {
    HDF5Library.ensureInitialized()
    guard rawID >= 0 else {
      throw SwiftletError("HDF5 object '\(path)' in \(filePath) is used after it was closed")
    }
    return rawID
  }

  /// Closes the object now (instead of at `deinit`). Closing twice is allowed.
  public func close() throws {
    guard rawID >= 0 else { return }
    let status = closeFunction(rawID)
    rawID = -1
    try check(status, "close")
  }

  public var description: String { "'\(path)' in \(filePath)" }

  /// The absolute path of a member called `name` (which may itself contain `/`).
  func childPath(_ name: String) -> String {
    if name.hasPrefix("/") { return name }
    return path == "/" ? "/\(name)" : "\(path)/\(name)"
  }

  // Error helpers naming this object and its file.

  @discardableResult
  func check<Code: BinaryInteger>(_ code: Code, _ operation: String, object: String? = nil) throws -> Code {
    try HDF5Library.check(code, operation, object: object ?? path, file: filePath)
  }

  func checkBool(_ value: htri_t, _ operation: String, object: String? = nil) throws -> Bool {
    try check(value, operation, object: object) > 0
  }
}

/// Closes a short-lived HDF5 identifier (dataspace, datatype, property list, attribute) when
/// the wrapper is released, so early returns and throws cannot leak it.
final class ScopedID {
  let id: hid_t
  private let closeFunction: (hid_t) -> herr_t

  init(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
    self.id = id
    self.closeFunction = close
  }

  deinit {
    if id >= 0 { _ = closeFunction(id) }
  }
}

extension HDF5Object {
  /// A new simple dataspace of `shape` (rank 0 = scalar).
  func makeDataspace(_ shape: [Int], object: String? = nil) throws -> ScopedID {
    let id: hid_t
    if shape.isEmpty {
      id = H5Screate(H5S_SCALAR)
    } else {
      let dims = shape.map { hsize_t($0) }
      id = H5Screate_simple(Int32(dims.count), dims, nil)
    }
    return ScopedID(try check(id, "create a dataspace for", object: object), close: H5Sclose)
  }

  /// A new property list of `propertyClass` (e.g. `swiftlet_h5p_dataset_create()`).
  func makePropertyList(_ propertyClass: hid_t, object: String? = nil) throws -> ScopedID {
    ScopedID(
      try check(H5Pcreate(propertyClass), "create a property list for", object: object),
      close: H5Pclose)
  }
}
