import CMPI
import SwiftletCore

/// A group of MPI processes that take part in collectives together.
///
/// Every operation is a thin call into Open MPI; a failure becomes a `SwiftletError` naming the
/// operation and this process's world rank. Collectives must be entered by every member in the
/// same order — the callers in `Parallel` guarantee that by construction.
public final class Communicator: @unchecked Sendable {
  let handle: MPI_Comm
  private let owned: Bool
  /// This process's rank within the communicator.
  public let rank: Int
  /// Number of processes in the communicator.
  public let size: Int

  init(handle: MPI_Comm, owned: Bool) {
    self.handle = handle
    self.owned = owned
    var r: Int32 = 0
    var s: Int32 = 0
    MPI_Comm_rank(handle, &r)
    MPI_Comm_size(handle, &s)
    rank = Int(r)
    size = Int(s)
  }

  deinit {
    if owned {
      var h: MPI_Comm? = handle
      MPI_Comm_free(&h)
    }
  }

  /// World rank, for messages.
  public static var worldRank: Int {
    var r: Int32 = 0
    MPI_Comm_rank(swiftlet_mpi_comm_world(), &r)
    return Int(r)
  }

  func check(_ status: Int32, _ operation: String) throws {
    guard status != MPI_SUCCESS else { return }
    var length: Int32 = 0
    var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
    MPI_Error_string(status, &buffer, &length)
    let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    throw SwiftletError("MPI \(operation) failed on rank \(Communicator.worldRank): \(text)")
  }

  /// Runs the blocking MPI call `name` (e.g. `"MPI_Bcast"`) under the collective watchdog; a
  /// failure throws as `check` does, naming the operation without its `MPI_` prefix.
  func blocking(_ name: StaticString, _ call: () -> Int32) throws {
    CollectiveWatchdog.begin(name)
    defer { CollectiveWatchdog.end() }
    try check(call(), String(name.description.dropFirst("MPI_".count)))
  }

  /// Splits into sub-communicators: processes with equal `color` form one, ordered by `key`.
  public func split(color: Int, key: Int) throws -> Communicator {
    var newComm: MPI_Comm? = nil
    try check(MPI_Comm_split(handle, Int32(color), Int32(key), &newComm), "Comm_split")
    MPI_Comm_set_errhandler(newComm, swiftlet_mpi_errors_return())
    return Communicator(handle: newComm!, owned: true)
  }

  /// The processes of this communicator that share a node (memory) with this one.
  public func splitByNode() throws -> Communicator {
    var newComm: MPI_Comm? = nil
    try check(
      MPI_Comm_split_type(handle, swiftlet_mpi_comm_type_shared(), Int32(rank), swiftlet_mpi_info_null(), &newComm),
      "Comm_split_type")
    return Communicator(handle: newComm!, owned: true)
  }

  /// Blocks until every member has called it.
  public func barrier() throws {
    try blocking("MPI_Barrier") { MPI_Barrier(handle) }
  }
}

/// Reduction operators.
public enum ReduceOp: Sendable {
  case sum, max, min

  var handle: MPI_Op {
    switch self {
    case .sum: swiftlet_mpi_sum()
    case .max: swiftlet_mpi_max()
    case .min: swiftlet_mpi_min()
    }
  }
}

/// Element types that travel over MPI.
public protocol MPIElement {
  static var mpiType: MPI_Datatype { get }
}
extension Float: MPIElement { public static var mpiType: MPI_Datatype { swiftlet_mpi_float() } }
extension Double: MPIElement { public static var mpiType: MPI_Datatype { swiftlet_mpi_double() } }
extension Int64: MPIElement { public static var mpiType: MPI_Datatype { swiftlet_mpi_int64() } }
extension UInt8: MPIElement { public static var mpiType: MPI_Datatype { swiftlet_mpi_byte() } }
