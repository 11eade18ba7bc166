/// An error a user can act on.
///
/// Every failure caused by input (configuration, files, layouts, numerics) surfaces as a
/// `SwiftletError`; the command line prints its message as one `error: …` line and exits
/// non-zero. `fatalError` and `precondition` are reserved for programmer mistakes.
public struct SwiftletError: Error, CustomStringConvertible, Equatable, Sendable {
  /// One line, no trailing period needed, naming the thing that is wrong and, where possible,
  /// what to do about it.
  public let message: String

  /// True when every rank of a distributed job raises this same error at the same point (a
  /// decision reached through a collective), so the job can stop in order with one message
  /// instead of aborting.
  public var raisedByAllRanks = false

  public init(_ message: String, raisedByAllRanks: Bool = false) {
    // One line, always: messages from C libraries (HDF5, MPI) may carry their own newlines.
    self.message = message.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces }.joined(separator: " ")
    self.raisedByAllRanks = raisedByAllRanks
  }

  public var description: String { message }
}

extension Substring {
  fileprivate var trimmingSpaces: Substring {
    var slice = self
    while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
    while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
    return slice
  }
}
