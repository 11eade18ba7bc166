import MPIBindings

/// Starting and ending the job's MPI world, for the command line: the only way the layers above
/// `Parallel` touch the MPI runtime (docs/architecture.md).
public enum ParallelRuntime {
  /// Initialises MPI (once per process) and returns all of the job's ranks.
  public static func start() throws -> World { World(communicator: try MPIRuntime.initialise()) }

  /// Finalises MPI; call once, after the last collective.
  public static func finish() { MPIRuntime.finalise() }

  /// Takes the whole job down (every rank) with `code`, printing `message` on this rank.
  public static func abort(code: Int32, message: String) -> Never { MPIRuntime.abort(code: code, message: message) }

  /// Aborts the job when one blocking MPI operation of this rank waits longer than
  /// `timeoutSeconds` (≤ 0: never); see `CollectiveWatchdog`.
  public static func startWatchdog(timeoutSeconds: Double, rank: Int) {
    CollectiveWatchdog.start(timeoutSeconds: timeoutSeconds, rank: rank)
  }

  /// The MPI library's own version line and the MPI standard it implements.
  public static var libraryVersion: String { MPIRuntime.libraryVersion }
  public static var standardVersion: String { MPIRuntime.standardVersion }
}

/// All ranks of the job, before they are arranged into a `ProcessGrid`.
public struct World {
  let communicator: Communicator

  public var rank: Int { communicator.rank }
  public var size: Int { communicator.size }

  /// Rank 0's `text` on every rank (collective).
  public func coordinatorText(_ text: String) throws -> String {
    try communicator.broadcast(string: text)
  }
}

extension ProcessGrid {
  /// Arranges `world` into `pp` stages of `tensorParallelSize`-wide groups (see `init(world:…)`).
  public convenience init(world: World, tensorParallelSize tp: Int, pipelineStages pp: Int = 1) throws {
    try self.init(world: world.communicator, tensorParallelSize: tp, pipelineStages: pp)
  }
}
