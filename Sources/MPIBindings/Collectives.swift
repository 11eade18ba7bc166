import CMPI
import SwiftletCore

extension Communicator {
  /// In-place allreduce of `count` elements at `buffer`.
  public func allreduce<T: MPIElement>(_ buffer: UnsafeMutablePointer<T>, count: Int, op: ReduceOp = .sum) throws {
    guard size > 1, count > 0 else { return }
    try blocking("MPI_Allreduce") {
      MPI_Allreduce(swiftlet_mpi_in_place(), buffer, Int32(count), T.mpiType, op.handle, handle)
    }
  }

  /// Allreduce of an array (convenience for small values).
  public func allreduce<T: MPIElement>(_ values: [T], op: ReduceOp = .sum) throws -> [T] {
    var copy = values
    try copy.withUnsafeMutableBufferPointer { try allreduce($0.baseAddress!, count: $0.count, op: op) }
    return copy
  }

  /// Allreduce of one value.
  public func allreduce<T: MPIElement>(_ value: T, op: ReduceOp = .sum) throws -> T {
    try allreduce([value], op: op)[0]
  }

  /// Broadcasts `count` elements from `root` into every member's `buffer`.
  public func broadcast<T: MPIElement>(_ buffer: UnsafeMutablePointer<T>, count: Int, root: Int = 0) throws {
    guard size > 1, count > 0 else { return }
    try blocking("MPI_Bcast") { MPI_Bcast(buffer, Int32(count), T.mpiType, Int32(root), handle) }
  }

  /// Broadcasts a string from member 0 (its UTF-8 length first, then its bytes).
  public func broadcast(string: String) throws -> String {
    guard size > 1 else { return string }
    var length = Int64(string.utf8.count)
    try broadcast(&length, count: 1)
    var bytes = rank == 0 ? Array(string.utf8) : [UInt8](repeating: 0, count: Int(length))
    try bytes.withUnsafeMutableBufferPointer { try broadcast($0.baseAddress!, count: Int(length)) }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Gathers `count` elements from every member into `output` (size × count, in rank order).
  public func allgather<T: MPIElement>(
    _ input: UnsafePointer<T>, count: Int, into output: UnsafeMutablePointer<T>
  ) throws {
    try blocking("MPI_Allgather") {
      MPI_Allgather(input, Int32(count), T.mpiType, output, Int32(count), T.mpiType, handle)
    }
  }

  /// Gathers `count` elements from every member to `root`'s `output` (size × count).
  public func gather<T: MPIElement>(
    _ input: UnsafePointer<T>, count: Int, into output: UnsafeMutablePointer<T>?, root: Int = 0
  ) throws {
    try blocking("MPI_Gather") {
      MPI_Gather(input, Int32(count), T.mpiType, output, Int32(count), T.mpiType, Int32(root), handle)
    }
  }

  /// Starts a non-blocking in-place sum of `count` elements at `buffer` over all members;
  /// complete it with `PendingRequest.wait()`.
  public func startAllreduce<T: MPIElement>(_ buffer: UnsafeMutablePointer<T>, count: Int) throws -> PendingRequest {
    var request: MPI_Request? = swiftlet_mpi_request_null()
    if size > 1 && count > 0 {
      try check(
        MPI_Iallreduce(swiftlet_mpi_in_place(), buffer, Int32(count), T.mpiType, swiftlet_mpi_sum(), handle, &request),
        "Iallreduce")
    }
    return PendingRequest(request: request, communicator: self)
  }
}

extension Communicator {
  /// Starts a non-blocking sum of `count` elements at `buffer` over all members into `root`'s
  /// `buffer` (in place there; the other members' buffers are only read). Complete it with
  /// `PendingRequest.wait()`.
  public func startReduce<T: MPIElement>(
    _ buffer: UnsafeMutablePointer<T>, count: Int, root: Int
  ) throws -> PendingRequest {
    var request: MPI_Request? = swiftlet_mpi_request_null()
    if size > 1 && count > 0 {
      let input = rank == root ? UnsafeRawPointer(swiftlet_mpi_in_place()) : UnsafeRawPointer(buffer)
      let output = rank == root ? buffer : nil
      try check(
        MPI_Ireduce(input, output, Int32(count), T.mpiType, swiftlet_mpi_sum(), Int32(root), handle, &request),
        "Ireduce")
    }
    return PendingRequest(request: request, communicator: self)
  }

  /// In-place all-gather of variable-sized blocks: member `r` contributes
  /// `buffer[displacements[r] ..< displacements[r] + counts[r]]`, and every member ends with all
  /// blocks at their displacements.
  public func allgatherInPlace<T: MPIElement>(
    _ buffer: UnsafeMutablePointer<T>, counts: [Int], displacements: [Int]
  ) throws {
    guard size > 1 else { return }
    precondition(counts.count == size && displacements.count == size, "one block per member")
    var counts32 = counts.map { Int32($0) }
    var displacements32 = displacements.map { Int32($0) }
    try blocking("MPI_Allgatherv") {
      MPI_Allgatherv(swiftlet_mpi_in_place(), 0, T.mpiType, buffer, &counts32, &displacements32, T.mpiType, handle)
    }
  }

  /// Sends `count` elements to member `destination` (blocking; pairs with `receive`).
  public func send<T: MPIElement>(_ buffer: UnsafePointer<T>, count: Int, to destination: Int, tag: Int = 0) throws {
    try blocking("MPI_Send") { MPI_Send(buffer, Int32(count), T.mpiType, Int32(destination), Int32(tag), handle) }
  }

  /// Receives `count` elements from member `source` into `buffer` (blocking; pairs with `send`).
  public func receive<T: MPIElement>(
    _ buffer: UnsafeMutablePointer<T>, count: Int, from source: Int, tag: Int = 0
  ) throws {
    try blocking("MPI_Recv") {
      MPI_Recv(buffer, Int32(count), T.mpiType, Int32(source), Int32(tag), handle, swiftlet_mpi_status_ignore())
    }
  }
}

extension Communicator {
  /// Starts sending `count` elements to member `destination`; the buffer must stay untouched
  /// until the returned request completes.
  public func startSend<T: MPIElement>(
    _ buffer: UnsafePointer<T>, count: Int, to destination: Int, tag: Int = 0
  ) throws -> PendingRequest {
    try startRequest("Isend", waiting: "MPI_Wait (pipeline send)") {
      MPI_Isend(buffer, Int32(count), T.mpiType, Int32(destination), Int32(tag), handle, &$0)
    }
  }

  /// Starts receiving `count` elements from member `source` into `buffer`.
  public func startReceive<T: MPIElement>(
    _ buffer: UnsafeMutablePointer<T>, count: Int, from source: Int, tag: Int = 0
  ) throws -> PendingRequest {
    try startRequest("Irecv", waiting: "MPI_Wait (pipeline receive)") {
      MPI_Irecv(buffer, Int32(count), T.mpiType, Int32(source), Int32(tag), handle, &$0)
    }
  }

  /// Runs the nonblocking call `start` on a fresh request and returns it pending (`name` names
  /// its wait in the watchdog's report).
  private func startRequest(
    _ operation: String, waiting name: StaticString, _ start: (inout MPI_Request?) -> Int32
  ) throws -> PendingRequest {
    var request: MPI_Request? = swiftlet_mpi_request_null()
    try check(start(&request), operation)
    return PendingRequest(request: request, communicator: self, name: name)
  }
}

/// A non-blocking operation in flight.
public final class PendingRequest {
  var request: MPI_Request?
  let communicator: Communicator
  /// What the watchdog names if waiting for it hangs.
  let name: StaticString

  init(request: MPI_Request?, communicator: Communicator, name: StaticString = "MPI_Wait (gradient allreduce)") {
    self.request = request
    self.communicator = communicator
    self.name = name
  }

  /// Lets MPI make progress; returns true once complete. Open MPI progresses non-blocking
  /// collectives only inside MPI calls, so the backward pass calls this between layers.
  public func test() throws -> Bool {
    var done: Int32 = 0
    try communicator.check(MPI_Test(&request, &done, swiftlet_mpi_status_ignore()), "Test")
    return done != 0
  }

  /// Blocks until the operation completes.
  public func wait() throws {
    CollectiveWatchdog.begin(name)
    defer { CollectiveWatchdog.end() }
    try communicator.check(MPI_Wait(&request, swiftlet_mpi_status_ignore()), "Wait")
  }
}
