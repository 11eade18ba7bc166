import CHDF5
import SwiftletCore

/// An open HDF5 dataset: an n-dimensional array of one element kind, read and written whole or
/// by hyperslab (a box given by an offset and a count per dimension).
///
/// Buffers are row-major (C order) and contiguous; a hyperslab buffer holds exactly the box's
/// elements in row-major order of the box. The element type of every buffer must match the
/// dataset's kind: the bindings never convert silently.
public final class HDF5Dataset: HDF5Object {
  /// The extent per dimension (empty for a scalar dataset).
  public let shape: [Int]
  /// The element kind, or nil for a type Swiftlet does not read (strings, compounds).
  public let kind: HDF5ElementKind?

  init(id: hid_t, filePath: String, path: String) throws {
    let space = ScopedID(H5Dget_space(id), close: H5Sclose)
    let type = ScopedID(H5Dget_type(id), close: H5Tclose)
    guard space.id >= 0, type.id >= 0 else {
      _ = H5Dclose(id)
      throw HDF5Library.error("read the shape and type of", object: path, file: filePath)
    }
    var dims = [hsize_t](repeating: 0, count: Int(max(0, H5Sget_simple_extent_ndims(space.id))))
    _ = H5Sget_simple_extent_dims(space.id, &dims, nil)
    self.shape = dims.map { Int($0) }
    self.kind = HDF5ElementKind.of(type: type.id)
    super.init(id: id, filePath: filePath, path: path, close: H5Dclose)
  }

  /// Number of elements (1 for a scalar).
  public var elementCount: Int { shape.reduce(1, *) }

  /// The byte offset of the data in the file once it has been written, nil before. Lets tests
  /// damage a known data byte.
  public var fileOffset: Int? {
    guard let datasetID = try? id() else { return nil }
    let address = H5Dget_offset(datasetID)
    return address == haddr_t.max ? nil : Int(address)
  }

  // MARK: Writing

  /// Writes the whole dataset from `values` (row-major, `elementCount` elements).
  public func write<T: HDF5Element>(_ values: UnsafeBufferPointer<T>) throws {
    try transferWhole(T.self, "write", given: values.count, "\(values.count) values given") {
      H5Dwrite($0, T.hdf5Kind.memoryType, hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), values.baseAddress)
    }
  }

  /// Writes the whole dataset from an array.
  public func write<T: HDF5Element>(_ values: [T]) throws {
    try values.withUnsafeBufferPointer { try write($0) }
  }

  /// Writes the box `offset ..< offset + count` (per dimension) from `values`, which holds the
  /// box's elements contiguously in row-major order.
  public func write<T: HDF5Element>(_ values: UnsafeBufferPointer<T>, offset: [Int], count: [Int])
    throws
  {
    try requireKind(T.self, "write")
    if try validateBox(offset: offset, count: count, bufferCount: values.count, "write") == 0 { return }
    if shape.isEmpty { return try write(values) }  // a scalar has no hyperslabs
    let (memorySpace, fileSpace) = try makeSelection(offset: offset, count: count)
    let status = H5Dwrite(
      try id(), T.hdf5Kind.memoryType, memorySpace.id, fileSpace.id, hid_t(H5P_DEFAULT),
      values.baseAddress)
    try check(status, "write a hyperslab of dataset")
  }

  // MARK: Reading

  /// Reads the whole dataset into `buffer` (exactly `elementCount` elements).
  public func read<T: HDF5Element>(into buffer: UnsafeMutableBufferPointer<T>) throws {
    try transferWhole(T.self, "read", given: buffer.count, "buffer of \(buffer.count)") {
      H5Dread($0, T.hdf5Kind.memoryType, hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), buffer.baseAddress)
    }
  }

  /// Reads the whole dataset into a new array.
  public func read<T: HDF5Element>(as type: T.Type = T.self) throws -> [T] {
    try [T](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
      try read(into: buffer)
      initialized = elementCount
    }
  }

  /// Reads the box `offset ..< offset + count` into `buffer` (row-major order of the box).
  public func read<T: HDF5Element>(
    into buffer: UnsafeMutableBufferPointer<T>, offset: [Int], count: [Int]
  ) throws {
    try requireKind(T.self, "read")
    if try validateBox(offset: offset, count: count, bufferCount: buffer.count, "read") == 0 { return }
    if shape.isEmpty { return try read(into: buffer) }  // a scalar has no hyperslabs
    let (memorySpace, fileSpace) = try makeSelection(offset: offset, count: count)
    let status = H5Dread(
      try id(), T.hdf5Kind.memoryType, memorySpace.id, fileSpace.id, hid_t(H5P_DEFAULT),
      buffer.baseAddress)
    try check(status, "read a hyperslab of dataset")
  }

  // MARK: Helpers

  private func requireKind<T: HDF5Element>(_ type: T.Type, _ operation: String) throws {
    guard kind == T.hdf5Kind else {
      let stored = kind?.rawValue ?? "a type Swiftlet does not read"
      throw SwiftletError(
        "cannot \(operation) \(description) as \(T.hdf5Kind.rawValue): it holds \(stored)")
    }
  }

  /// Throws unless `T` is the stored type and `given` elements (`what`, in words) fill the dataset,
  /// then runs `transfer` (`H5Dwrite` or `H5Dread` of the whole dataset) on the dataset's identifier.
  private func transferWhole<T: HDF5Element>(
    _ type: T.Type, _ operation: String, given: Int, _ what: String, _ transfer: (hid_t) -> herr_t
  ) throws {
    try requireKind(type, operation)
    guard given == elementCount else {
      throw SwiftletError(
        "cannot \(operation) \(description): \(what) for shape \(shape) (\(elementCount) elements)")
    }
    try check(transfer(try id()), "\(operation) dataset")
  }

  /// Throws unless the box `offset ..< offset + count` lies inside the dataset and holds
  /// exactly `bufferCount` elements (the check every hyperslab read and write makes first).
  public func checkHyperslab(offset: [Int], count: [Int], bufferCount: Int) throws {
    _ = try validateBox(offset: offset, count: count, bufferCount: bufferCount, "address")
  }

  /// Checks that the box lies inside the dataset and matches the buffer; returns its size.
  private func validateBox(offset: [Int], count: [Int], bufferCount: Int, _ operation: String)
    throws
    -> Int
  {
    guard offset.count == shape.count, count.count == shape.count else {
      throw SwiftletError(
        "cannot \(operation) \(description): hyperslab offset \(offset) / count \(count) do not match its rank \(shape.count)"
      )
    }
    for axis in shape.indices
    where offset[axis] < 0 || count[axis] < 0 || offset[axis] + count[axis] > shape[axis] {
      throw SwiftletError(
        "cannot \(operation) \(description): hyperslab offset \(offset) count \(count) lies outside shape \(shape)"
      )
    }
    let elements = count.reduce(1, *)
    guard elements == bufferCount else {
      throw SwiftletError(
        "cannot \(operation) \(description): buffer holds \(bufferCount) elements, hyperslab \(count) needs \(elements)"
      )
    }
    return elements
  }

  /// A memory dataspace of the box's shape and the file dataspace with the box selected.
  private func makeSelection(offset: [Int], count: [Int]) throws -> (
    memory: ScopedID, file: ScopedID
  ) {
    let datasetID = try id()
    let fileSpace = ScopedID(try check(H5Dget_space(datasetID), "select in"), close: H5Sclose)
    let start = offset.map { hsize_t($0) }
    let extent = count.map { hsize_t($0) }
    try check(
      H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, start, nil, extent, nil),
      "select a hyperslab of")
    return (try makeDataspace(count), fileSpace)
  }
}
