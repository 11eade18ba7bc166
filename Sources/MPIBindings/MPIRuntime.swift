import CMPI
import SwiftletCore

#if canImport(Glibc)
  import Glibc
#endif

/// Process-wide MPI state: initialisation, the world communicator, and finalisation.
///
/// Started without `mpirun` the program is a world of one (singleton `MPI_Init`). Rank and size
/// always come from MPI, never from the environment; but when a launcher's variables say the job
/// has several tasks while MPI sees one, the launch is mis-wired (open-mpi/ompi#13523) and every
/// copy would believe it is rank 0 of 1 — that is an error.
public enum MPIRuntime {
  nonisolated(unsafe) private static var initialised = false

  /// `MPI_Init_thread`'s status, computed once: a static `let` is initialised exactly once even
  /// when several threads ask at the same time (test suites run concurrently in one process).
  private static let initialisationStatus: Int32 = {
    // ZeRO-1 reduces each gradient bucket to its owner with MPI_Ireduce. Open MPI 4.1's
    // libnbc picks its segmented "chain" algorithm for large buffers, one small segment per
    // progress call, which left 2-3 s of a GPT-2 124M step exposed at dp = 2; the binomial tree
    // sends each bucket whole (docs/parallelism.md). A value set by the user wins.
    setenv("OMPI_MCA_coll_libnbc_ireduce_algorithm", "2", 0)
    var provided: Int32 = 0
    let status = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
    if status == MPI_SUCCESS {
      MPI_Comm_set_errhandler(swiftlet_mpi_comm_world(), swiftlet_mpi_errors_return())
      initialised = true
      atexit { MPIRuntime.finalise() }
    }
    return status
  }()

  /// Initialises MPI once (thread level FUNNELED), installs `MPI_ERRORS_RETURN` on the world so
  /// failures become Swift errors, and checks the launch wiring; returns `MPI_COMM_WORLD`.
  public static func initialise() throws -> Communicator {
    let status = initialisationStatus
    guard status == MPI_SUCCESS else { throw SwiftletError("MPI_Init failed (code \(status))") }
    let world = Communicator(handle: swiftlet_mpi_comm_world(), owned: false)
    try checkLaunchWiring(worldSize: world.size)
    return world
  }

  /// The MPI library's own description, e.g. "Open MPI v4.1.4, …" (callable before `MPI_Init`).
  public static var libraryVersion: String {
    var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_LIBRARY_VERSION_STRING) + 1)
    var length: Int32 = 0
    MPI_Get_library_version(&buffer, &length)
    return String(cString: buffer).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
  }

  /// The MPI standard version the library implements, e.g. "3.1".
  public static var standardVersion: String {
    var major: Int32 = 0
    var minor: Int32 = 0
    MPI_Get_version(&major, &minor)
    return "\(major).\(minor)"
  }

  /// Finalises MPI if it was initialised (idempotent).
  public static func finalise() {
    guard initialised else { return }
    var finalised: Int32 = 0
    MPI_Finalized(&finalised)
    if finalised == 0 { MPI_Finalize() }
    initialised = false
  }

  /// Ends every rank of the job at once with `code`, after printing `message` on stderr.
  /// Used when one rank fails so that the others do not wait forever in a collective.
  public static func abort(code: Int32, message: String) -> Never {
    fputs("error: \(message)\n", stderr)
    fflush(stderr)
    MPI_Abort(swiftlet_mpi_comm_world(), code)
    exit(code)
  }

  static func checkLaunchWiring(worldSize: Int) throws {
    func env(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
    for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS"] {
      if let value = env(key), let launched = Int(value), launched > 1, worldSize == 1 {
        // SLURM_NTASKS is set for the whole allocation even for a single-task mpirun step.
        if key == "SLURM_NTASKS" && env("OMPI_COMM_WORLD_SIZE") == nil && env("PMI_SIZE") == nil {
          continue
        }
        throw SwiftletError(
          "\(key)=\(launched) says this job has \(launched) tasks but MPI reports a world of 1: "
            + "the launcher and the MPI library do not match (use mpirun inside the allocation)")
      }
    }
  }
}
