import Kernels
import MPIBindings
import SwiftletCore

/// Sums gradients over the data-parallel group in buckets, overlapping communication with
/// the backward pass (as PyTorch DDP does).
///
/// The model announces when a bucket's gradients are final (`bucketReady`), which starts a
/// non-blocking allreduce of that slice of the gradient arena; `progress()` between layers lets
/// Open MPI advance the transfers; `finish()` waits for all before the optimizer runs.
///
/// With an `ArenaPartition` (ZeRO stage 1) only the owner of a tensor's optimizer state needs
/// its summed gradient: each bucket is cut along the owners' ranges and every piece is reduced
/// to its owner instead (one non-blocking reduce per piece). Elsewhere the gradients stay the
/// local, unsummed ones.
///
/// ZeRO stage 2 (`releasesUnowned`) goes one step further: as soon as a piece's reduce has
/// completed, a rank that does not own it gives that piece's memory back (`FloatArena.release`),
/// so the gradients it keeps are its own range plus the buckets still in flight.
public final class GradientBuckets {
  /// A contiguous slice of the gradient arena.
  public struct Bucket {
    public var offset: Int
    public var count: Int
    public init(offset: Int, count: Int) {
      self.offset = offset
      self.count = count
    }
  }

  private let group: Communicator
  private let arena: FloatArena
  private var base: UnsafeMutablePointer<Float> { arena.base }
  /// Who owns which part of the arena (ZeRO-1); nil: every rank gets every summed gradient.
  public let owners: ArenaPartition?
  /// ZeRO-2: free the pieces this rank does not own once they are reduced.
  public let releasesUnowned: Bool
  /// Transfers in flight, with the arena range to release when one completes (ZeRO-2).
  private var pending: [(request: PendingRequest, release: Range<Int>?)] = []
  /// Seconds spent blocked in `finish()` — the communication not hidden under the backward.
  public private(set) var exposedSeconds: Double = 0

  public init(group: Communicator, gradients: FloatArena, owners: ArenaPartition? = nil, releasesUnowned: Bool = false)
  {
    precondition(owners == nil || owners!.parts == group.size, "one arena range per data-parallel rank")
    precondition(!releasesUnowned || owners != nil, "ZeRO-2 needs owners")
    self.group = group
    self.arena = gradients
    self.owners = owners
    self.releasesUnowned = releasesUnowned
  }

  public var isActive: Bool { group.size > 1 }

  /// Data-parallel ranks taking part.
  public var groupSize: Int { group.size }

  /// Gathers every data-parallel rank's `(token, gradient row)` pairs, in rank order: the
  /// sparse part of the token-embedding gradient, exchanged as rows instead of summing the whole
  /// `V × C` table (see `GPTModel.backward`).
  public func gatherRows(
    tokens: [Int32], rows: UnsafePointer<Float>, width: Int
  ) throws -> (tokens: [Int64], rows: [Float]) {
    let n = tokens.count
    var allTokens = [Int64](repeating: 0, count: n * group.size)
    var allRows = [Float](repeating: 0, count: n * width * group.size)
    let mine = tokens.map(Int64.init)
    try mine.withUnsafeBufferPointer { source in
      try allTokens.withUnsafeMutableBufferPointer {
        try group.allgather(source.baseAddress!, count: n, into: $0.baseAddress!)
      }
    }
    try allRows.withUnsafeMutableBufferPointer {
      try group.allgather(rows, count: n * width, into: $0.baseAddress!)
    }
    return (allTokens, allRows)
  }

  /// Starts summing one bucket across the data-parallel ranks (to every rank, or to the owners
  /// of its pieces).
  public func bucketReady(_ bucket: Bucket) throws {
    guard isActive else { return }
    guard let owners else {
      pending.append((try group.startAllreduce(base + bucket.offset, count: bucket.count), nil))
      return
    }
    for piece in owners.pieces(of: bucket.offset..<(bucket.offset + bucket.count)) {
      let request = try group.startReduce(base + piece.range.lowerBound, count: piece.range.count, root: piece.owner)
      pending.append((request, releasesUnowned && piece.owner != group.rank ? piece.range : nil))
    }
  }

  /// Gives MPI a chance to progress outstanding transfers (and, under ZeRO-2, releases the
  /// pieces whose reduce has completed).
  public func progress() throws {
    var stillPending: [(request: PendingRequest, release: Range<Int>?)] = []
    for item in pending {
      if try item.request.test() {
        if let range = item.release { arena.release(range) }
      } else {
        stillPending.append(item)
      }
    }
    pending = stillPending
  }

  /// Waits until every started bucket is summed.
  public func finish() throws {
    let start = MonotonicClock.now()
    for item in pending {
      try item.request.wait()
      if let range = item.release { arena.release(range) }
    }
    pending.removeAll()
    exposedSeconds += MonotonicClock.now() - start
  }

  public func resetTiming() { exposedSeconds = 0 }
}
