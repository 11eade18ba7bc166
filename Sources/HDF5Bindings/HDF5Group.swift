import CHDF5
import SwiftletCore

/// What a group member is.
public enum HDF5MemberKind: Sendable {
  case group, dataset, other
}

/// An open HDF5 group: creates and opens nested groups and datasets, lists its members.
///
/// Names may be nested paths (`"optimizer/exp_avg"`); member names themselves may contain dots
/// (Hugging Face tensor names such as `transformer.h.0.ln_1.weight`) but not `/`.
public class HDF5Group: HDF5Object {
  /// Creates group `name` below this one, with any missing intermediate groups.
  public func createGroup(_ name: String) throws -> HDF5Group {
    let linkProperties = try makeIntermediateGroupLinkProperties(object: childPath(name))
    return try childGroup(
      name, H5Gcreate2(try id(), name, linkProperties.id, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)), "create group")
  }

  /// Opens the existing group `name`.
  public func openGroup(_ name: String) throws -> HDF5Group {
    try childGroup(name, H5Gopen2(try id(), name, hid_t(H5P_DEFAULT)), "open group")
  }

  /// The group `name` whose identifier `operation` returned, or the error naming it if that failed.
  private func childGroup(_ name: String, _ groupID: hid_t, _ operation: String) throws -> HDF5Group {
    let target = childPath(name)
    return HDF5Group(
      id: try check(groupID, operation, object: target), filePath: filePath, path: target, close: H5Gclose)
  }

  /// Whether a member exists at the (possibly nested) path `name`.
  public func contains(_ name: String) throws -> Bool {
    let parentID = try id()
    // H5Lexists fails rather than answering "no" when an intermediate group is missing,
    // so check each prefix of the path in turn.
    let absolute = name.hasPrefix("/")
    let components = name.split(separator: "/")
    for last in components.indices {
      let prefix = (absolute ? "/" : "") + components[...last].joined(separator: "/")
      let exists = H5Lexists(parentID, prefix, hid_t(H5P_DEFAULT))
      if try !checkBool(exists, "look up", object: childPath(prefix)) { return false }
    }
    return true
  }

  /// The names of this group's direct members, in alphabetical (byte) order.
  public func memberNames() throws -> [String] {
    let groupID = try id()
    var info = H5G_info_t()
    try check(H5Gget_info(groupID, &info), "list the members of")
    var names: [String] = []
    names.reserveCapacity(Int(info.nlinks))
    for index in 0..<info.nlinks {
      let length = try check(
        H5Lget_name_by_idx(groupID, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(H5P_DEFAULT)),
        "list the members of")
      var buffer = [CChar](repeating: 0, count: length + 1)
      let written = try check(
        H5Lget_name_by_idx(groupID, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, hid_t(H5P_DEFAULT)),
        "list the members of")
      names.append(
        String(decoding: buffer.prefix(written).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return names
  }

  /// Whether member `name` is a group, a dataset or something else (a named datatype).
  public func memberKind(_ name: String) throws -> HDF5MemberKind {
    let target = childPath(name)
    let objectID = try check(H5Oopen(try id(), name, hid_t(H5P_DEFAULT)), "open", object: target)
    defer { _ = H5Oclose(objectID) }
    switch H5Iget_type(objectID) {
    case H5I_GROUP: return .group
    case H5I_DATASET: return .dataset
    default: return .other
    }
  }

  /// Creates dataset `name` of `T` elements and `shape` (empty = scalar), stored contiguously:
  /// one run of bytes, written straight from the caller's buffer and found at
  /// `HDF5Dataset.fileOffset`.
  public func createDataset<T: HDF5Element>(_ name: String, of type: T.Type, shape: [Int]) throws
    -> HDF5Dataset
  {
    let target = childPath(name)
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw SwiftletError(
        "cannot create dataset '\(target)' in \(filePath): negative extent in shape \(shape)")
    }
    let space = try makeDataspace(shape, object: target)
    let creation = try makePropertyList(swiftlet_h5p_dataset_create(), object: target)
    // Never pre-fill: every element is written by the caller, so a fill would be a second pass.
    try check(H5Pset_fill_time(creation.id, H5D_FILL_TIME_NEVER), "configure", object: target)
    let linkProperties = try makeIntermediateGroupLinkProperties(object: target)
    let datasetID = H5Dcreate2(
      try id(), name, T.hdf5Kind.fileType, space.id, linkProperties.id, creation.id, hid_t(H5P_DEFAULT))
    return try HDF5Dataset(
      id: check(datasetID, "create dataset", object: target), filePath: filePath, path: target)
  }

  /// Opens the existing dataset `name`.
  public func openDataset(_ name: String) throws -> HDF5Dataset {
    let target = childPath(name)
    let datasetID = H5Dopen2(try id(), name, hid_t(H5P_DEFAULT))
    return try HDF5Dataset(
      id: check(datasetID, "open dataset", object: target), filePath: filePath, path: target)
  }

  /// Creates dataset `name` holding `values` with `shape` in one call.
  @discardableResult
  public func writeDataset<T: HDF5Element>(_ name: String, values: [T], shape: [Int]) throws
    -> HDF5Dataset
  {
    let dataset = try createDataset(name, of: T.self, shape: shape)
    try dataset.write(values)
    return dataset
  }

  private func makeIntermediateGroupLinkProperties(object: String) throws -> ScopedID {
    let properties = try makePropertyList(swiftlet_h5p_link_create(), object: object)
    try check(H5Pset_create_intermediate_group(properties.id, 1), "configure", object: object)
    return properties
  }
}
