import CHDF5
import SwiftletCore

/// What an attribute holds.
public enum HDF5AttributeKind: Equatable, Sendable {
  /// Text, fixed or variable length.
  case string
  /// Numbers of one kind; `count` is 1 for a scalar.
  case numbers(HDF5ElementKind, count: Int)
  /// Anything else (compound, enum, reference, …).
  case other
}

/// Attributes on files, groups and datasets.
///
/// Strings are written as variable-length UTF-8 scalars, which h5py returns as `str` (it
/// returns fixed-length strings as `bytes`); both forms are read. Numbers are written as
/// little-endian scalars. Writing an attribute that exists replaces it.
extension HDF5Object {
  // MARK: Writing

  /// Sets a string attribute (variable length unless `fixedLength`).
  public func setAttribute(_ name: String, _ value: String, fixedLength: Bool = false) throws {
    let type = try makeStringType(variable: !fixedLength, byteCount: max(1, value.utf8.count))
    let space = try makeDataspace([], object: attributePath(name))
    let attribute = try createAttribute(name, type: type.id, space: space.id)
    try value.withCString { text in
      // A fixed-length string is written from its bytes, a variable-length one from a pointer to them.
      var pointer: UnsafePointer<CChar>? = text
      let status = fixedLength ? H5Awrite(attribute.id, type.id, text) : H5Awrite(attribute.id, type.id, &pointer)
      try check(status, "write attribute", object: attributePath(name))
    }
  }

  /// Sets a numeric scalar attribute of `T`'s kind (e.g. `Int64`, `Double`).
  public func setAttribute<T: HDF5Element>(_ name: String, _ value: T) throws {
    let space = try makeDataspace([], object: attributePath(name))
    let attribute = try createAttribute(name, type: T.hdf5Kind.fileType, space: space.id)
    let status = withUnsafeBytes(of: value) { H5Awrite(attribute.id, T.hdf5Kind.memoryType, $0.baseAddress) }
    try check(status, "write attribute", object: attributePath(name))
  }

  // MARK: Reading

  /// Whether attribute `name` exists.
  public func hasAttribute(_ name: String) throws -> Bool {
    try checkBool(H5Aexists(try id(), name), "look up attribute", object: attributePath(name))
  }

  /// The names of all attributes, in alphabetical order.
  public func attributeNames() throws -> [String] {
    final class Collector {
      var names: [String] = []
    }
    let collector = Collector()
    let context = Unmanaged.passUnretained(collector).toOpaque()
    let status = H5Aiterate2(
      try id(), H5_INDEX_NAME, H5_ITER_INC, nil,
      { _, name, _, context in
        if let name, let context {
          Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().names.append(
            String(cString: name))
        }
        return 0
      }, context)
    try check(status, "list the attributes of")
    return collector.names
  }

  /// What attribute `name` holds.
  public func attributeKind(_ name: String) throws -> HDF5AttributeKind {
    let attribute = try openAttribute(name)
    let type = try attributeType(attribute, name)
    if H5Tget_class(type.id) == H5T_STRING { return .string }
    guard let kind = HDF5ElementKind.of(type: type.id) else { return .other }
    return .numbers(kind, count: try attributeElementCount(attribute, name))
  }

  /// Reads a string attribute (fixed or variable length).
  public func stringAttribute(_ name: String) throws -> String {
    let attribute = try openAttribute(name)
    let fileType = try attributeType(attribute, name)
    guard H5Tget_class(fileType.id) == H5T_STRING else {
      throw SwiftletError("attribute '\(name)' of \(description) is not a string")
    }
    guard try attributeElementCount(attribute, name) == 1 else {
      throw SwiftletError(
        "attribute '\(name)' of \(description) holds several strings, expected one")
    }
    let variable = try checkBool(
      H5Tis_variable_str(fileType.id), "read attribute", object: attributePath(name))
    if variable {
      let memoryType = try makeStringType(variable: true, byteCount: 0)
      var pointer: UnsafeMutablePointer<CChar>? = nil
      try check(
        H5Aread(attribute.id, memoryType.id, &pointer), "read attribute",
        object: attributePath(name))
      guard let pointer else { return "" }
      defer { _ = H5free_memory(pointer) }
      return String(cString: pointer)
    }
    // Fixed length: read the bytes as stored (no conversion) into a buffer with room for a NUL.
    let byteCount = H5Tget_size(fileType.id)
    var bytes = [UInt8](repeating: 0, count: byteCount + 1)
    try check(
      H5Aread(attribute.id, fileType.id, &bytes), "read attribute", object: attributePath(name))
    var text = bytes.prefix { $0 != 0 }
    if H5Tget_strpad(fileType.id) == H5T_STR_SPACEPAD {
      while text.last == UInt8(ascii: " ") { text.removeLast() }
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// Reads a scalar integer attribute as `Int64`.
  public func int64Attribute(_ name: String) throws -> Int64 {
    try scalarAttribute(name, allowing: [.int32, .int64, .uint8])
  }

  /// Reads a scalar numeric attribute (floating point or integer) as `Double`.
  public func doubleAttribute(_ name: String) throws -> Double {
    try scalarAttribute(name, allowing: HDF5ElementKind.allCases)
  }

  // MARK: Helpers

  /// Reads a numeric attribute that must hold exactly one number, stored as one of `kinds`.
  private func scalarAttribute<T: HDF5Element>(_ name: String, allowing kinds: [HDF5ElementKind]) throws -> T {
    let attribute = try openAttribute(name)
    let type = try attributeType(attribute, name)
    guard let stored = HDF5ElementKind.of(type: type.id), kinds.contains(stored) else {
      throw SwiftletError(
        "attribute '\(name)' of \(description) is not of the expected kind (\(kinds.map(\.rawValue).joined(separator: " or ")))"
      )
    }
    let count = try attributeElementCount(attribute, name)
    guard count == 1 else {
      throw SwiftletError("attribute '\(name)' of \(description) holds \(count) numbers, expected one")
    }
    return try [T](unsafeUninitializedCapacity: 1) { buffer, initialized in
      // HDF5 converts between numeric types; the kind check above keeps that lossless.
      let status = H5Aread(attribute.id, T.hdf5Kind.memoryType, buffer.baseAddress)
      try check(status, "read attribute", object: attributePath(name))
      initialized = 1
    }[0]
  }

  private func attributePath(_ name: String) -> String { "\(path)@\(name)" }

  private func createAttribute(_ name: String, type: hid_t, space: hid_t) throws -> ScopedID {
    let objectID = try id()
    if try hasAttribute(name) {
      try check(H5Adelete(objectID, name), "replace attribute", object: attributePath(name))
    }
    let attributeID = H5Acreate2(
      objectID, name, type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
    return ScopedID(
      try check(attributeID, "create attribute", object: attributePath(name)), close: H5Aclose)
  }

  private func openAttribute(_ name: String) throws -> ScopedID {
    guard try hasAttribute(name) else {
      throw SwiftletError("\(description) has no attribute '\(name)'")
    }
    let attributeID = H5Aopen(try id(), name, hid_t(H5P_DEFAULT))
    return ScopedID(
      try check(attributeID, "open attribute", object: attributePath(name)), close: H5Aclose)
  }

  private func attributeType(_ attribute: ScopedID, _ name: String) throws -> ScopedID {
    ScopedID(
      try check(
        H5Aget_type(attribute.id), "read the type of attribute", object: attributePath(name)),
      close: H5Tclose)
  }

  private func attributeElementCount(_ attribute: ScopedID, _ name: String) throws -> Int {
    let space = ScopedID(
      try check(
        H5Aget_space(attribute.id), "read the shape of attribute", object: attributePath(name)),
      close: H5Sclose)
    return Int(
      try check(H5Sget_simple_extent_npoints(space.id), "read the shape of attribute", object: attributePath(name)))
  }

  /// A UTF-8 string type: variable length, or exactly `byteCount` bytes padded with NULs (so
  /// a string filling every byte keeps its last character).
  private func makeStringType(variable: Bool, byteCount: Int) throws -> ScopedID {
    let type = ScopedID(
      try check(H5Tcopy(swiftlet_h5t_c_s1()), "create a string type for"), close: H5Tclose)
    try check(
      H5Tset_size(type.id, variable ? swiftlet_h5t_variable() : byteCount),
      "create a string type for")
    try check(H5Tset_cset(type.id, H5T_CSET_UTF8), "create a string type for")
    if !variable {
      try check(H5Tset_strpad(type.id, H5T_STR_NULLPAD), "create a string type for")
    }
    return type
  }
}
