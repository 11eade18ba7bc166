import CHDF5
import Foundation
import SwiftletCore

/// An open HDF5 file; it is also its own root group (`/`).
public final class HDF5File: HDF5Group {
  /// How an existing file is opened.
  public enum Mode: Sendable {
    case readOnly, readWrite
  }

  private init(id: hid_t, path: String) {
    super.init(id: id, filePath: path, path: "/", close: H5Fclose)
  }

  /// Creates a file at `path`, replacing any file already there.
  ///
  /// Files are written with the HDF5 1.8 object format or newer (compact groups, dense
  /// attributes), which every HDF5 ≥ 1.8 and h5py reads.
  /// - Parameter userBlockBytes: bytes reserved at the start of the file that HDF5 leaves alone
  ///   (a power of two ≥ 512, or 0 for none).
  public static func create(path: String, userBlockBytes: Int = 0) throws -> HDF5File {
    HDF5Library.ensureInitialized()
    let access = try writableAccessProperties(path: path)
    var creation = hid_t(H5P_DEFAULT)
    if userBlockBytes > 0 {
      creation = H5Pcreate(swiftlet_h5p_file_create())
      _ = H5Pset_userblock(creation, hsize_t(userBlockBytes))
    }
    defer { if userBlockBytes > 0 { _ = H5Pclose(creation) } }
    let fileID = H5Fcreate(path, swiftlet_h5f_acc_trunc(), creation, access.id)
    return HDF5File(
      id: try HDF5Library.check(fileID, "create file", object: "/", file: path), path: path)
  }

  /// Opens the existing file at `path`.
  ///
  /// A missing file, a file that is not HDF5 and a truncated HDF5 file each give a one-line
  /// error naming the file.
  public static func open(path: String, mode: Mode = .readOnly) throws -> HDF5File {
    HDF5Library.ensureInitialized()
    guard FileManager.default.fileExists(atPath: path) else {
      throw SwiftletError("no such file: \(path)")
    }
    let signature = H5Fis_hdf5(path)
    if signature == 0 {
      throw SwiftletError("\(path) is not an HDF5 file")
    }
    let fileID: hid_t
    switch mode {
    case .readOnly:
      fileID = H5Fopen(path, swiftlet_h5f_acc_rdonly(), hid_t(H5P_DEFAULT))
    case .readWrite:
      let access = try writableAccessProperties(path: path)
      fileID = H5Fopen(path, swiftlet_h5f_acc_rdwr(), access.id)
    }
    if fileID < 0 {
      let detail = HDF5Library.takeErrorDetail().map { ": \($0)" } ?? ""
      throw SwiftletError("cannot open \(path) as an HDF5 file (damaged or truncated?)\(detail)")
    }
    return HDF5File(id: fileID, path: path)
  }

  /// Writes every buffered change to the operating system (not to the disk: that is `fsync`).
  public func flush() throws {
    try check(H5Fflush(try id(), H5F_SCOPE_GLOBAL), "flush")
  }

  /// File-access properties for files Swiftlet writes.
  private static func writableAccessProperties(path: String) throws -> ScopedID {
    let id = try HDF5Library.check(
      H5Pcreate(swiftlet_h5p_file_access()), "create file-access properties for", object: "/",
      file: path)
    let properties = ScopedID(id, close: H5Pclose)
    // 1.8 format as the lowest: no 64 KiB limit on attributes, indexed groups.
    try HDF5Library.check(
      H5Pset_libver_bounds(id, H5F_LIBVER_V18, swiftlet_h5f_libver_latest()), "configure",
      object: "/", file: path)
    // Closing the file closes everything in it, so a closed file really is on the OS's side
    // (nothing left buffered by a forgotten dataset handle) before it is fsynced.
    try HDF5Library.check(
      H5Pset_fclose_degree(id, H5F_CLOSE_STRONG), "configure", object: "/", file: path)
    return properties
  }
}
