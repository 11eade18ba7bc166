#if canImport(Glibc)
  import Glibc
#endif

/// SIGTERM and SIGUSR1 (what Slurm sends before a time limit or preemption, with
/// `--signal=USR1@300`) ask the job to finish its current step, checkpoint and exit 0.
///
/// The handler only sets a flag; the training loop reads it after each step and all ranks agree
/// through an allreduce, so they stop together at the same step.
public enum PreemptionSignal {
  nonisolated(unsafe) private static var flag: sig_atomic_t = 0

  /// Installs the handlers (idempotent).
  public static func install() {
    signal(SIGTERM) { _ in PreemptionSignal.flag = 1 }
    signal(SIGUSR1) { _ in PreemptionSignal.flag = 2 }
  }

  /// Whether a stop was requested on this rank.
  public static var requested: Bool { flag != 0 }

  /// A readable name of the signal received.
  public static var receivedName: String { flag == 2 ? "SIGUSR1" : "SIGTERM" }
}
