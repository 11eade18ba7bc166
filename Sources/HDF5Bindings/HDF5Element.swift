import CHDF5

/// The element kinds Swiftlet stores in HDF5 datasets and numeric attributes.
public enum HDF5ElementKind: String, Sendable, CaseIterable {
  case float32, float64, int32, int64, uint8

  /// The in-memory (native) HDF5 type.
  var memoryType: hid_t {
    switch self {
    case .float32: swiftlet_h5t_native_float()
    case .float64: swiftlet_h5t_native_double()
    case .int32: swiftlet_h5t_native_int32()
    case .int64: swiftlet_h5t_native_int64()
    case .uint8: swiftlet_h5t_native_uint8()
    }
  }

  /// The type written to files: fixed little-endian so a file does not depend on the host.
  var fileType: hid_t {
    switch self {
    case .float32: swiftlet_h5t_ieee_f32le()
    case .float64: swiftlet_h5t_ieee_f64le()
    case .int32: swiftlet_h5t_std_i32le()
    case .int64: swiftlet_h5t_std_i64le()
    case .uint8: swiftlet_h5t_std_u8le()
    }
  }

  /// The kind of an HDF5 datatype, or nil for types Swiftlet does not store (strings,
  /// compounds, unsigned 64-bit, …).
  static func of(type: hid_t) -> HDF5ElementKind? {
    let size = H5Tget_size(type)
    switch H5Tget_class(type) {
    case H5T_FLOAT:
      return size == 4 ? .float32 : size == 8 ? .float64 : nil
    case H5T_INTEGER:
      let signed = H5Tget_sign(type) == H5T_SGN_2
      switch (size, signed) {
      case (1, false): return .uint8
      case (4, true): return .int32
      case (8, true): return .int64
      default: return nil
      }
    default:
      return nil
    }
  }
}

/// A Swift scalar type that maps one-to-one onto an `HDF5ElementKind`.
public protocol HDF5Element: Sendable {
  static var hdf5Kind: HDF5ElementKind { get }
}

extension Float: HDF5Element { public static var hdf5Kind: HDF5ElementKind { .float32 } }
extension Double: HDF5Element { public static var hdf5Kind: HDF5ElementKind { .float64 } }
extension Int32: HDF5Element { public static var hdf5Kind: HDF5ElementKind { .int32 } }
extension Int64: HDF5Element { public static var hdf5Kind: HDF5ElementKind { .int64 } }
extension UInt8: HDF5Element { public static var hdf5Kind: HDF5ElementKind { .uint8 } }
