import SwiftletCore

#if canImport(Glibc)
  import Glibc
#endif

/// Aborts the whole job when a blocking MPI operation on this rank has not completed within a
/// timeout — a peer died, hangs, or was stopped (a job must never hang silently while burning
/// machine time).
///
/// Every blocking call in `Communicator` marks itself with `begin`/`end`; a background thread
/// checks ten times a second. When a call has been waiting too long it prints which operation on
/// which rank, and exits this process with status 3; `mpirun` then tears down every other rank
/// (including a SIGSTOP'ed one). The check costs two uncontended mutex operations per call.
public final class CollectiveWatchdog: @unchecked Sendable {
  nonisolated(unsafe) public private(set) static var shared: CollectiveWatchdog?

  public let timeoutSeconds: Double
  private let rank: Int
  private var mutex = pthread_mutex_t()
  private var operation = ""
  private var startedAt = 0.0
  private var depth = 0

  /// Starts the process-wide watchdog (`timeoutSeconds` ≤ 0 disables it).
  public static func start(timeoutSeconds: Double, rank: Int) {
    guard timeoutSeconds > 0, shared == nil else { return }
    let watchdog = CollectiveWatchdog(timeoutSeconds: timeoutSeconds, rank: rank)
    shared = watchdog
    watchdog.launch()
  }

  private init(timeoutSeconds: Double, rank: Int) {
    self.timeoutSeconds = timeoutSeconds
    self.rank = rank
    pthread_mutex_init(&mutex, nil)
  }

  /// Marks the start of a blocking operation called `name`.
  @inline(__always)
  public static func begin(_ name: StaticString) {
    guard let watchdog = shared else { return }
    pthread_mutex_lock(&watchdog.mutex)
    if watchdog.depth == 0 {
      watchdog.operation = name.description
      watchdog.startedAt = MonotonicClock.now()
    }
    watchdog.depth += 1
    pthread_mutex_unlock(&watchdog.mutex)
  }

  /// Marks its end.
  @inline(__always)
  public static func end() {
    guard let watchdog = shared else { return }
    pthread_mutex_lock(&watchdog.mutex)
    watchdog.depth = max(0, watchdog.depth - 1)
    pthread_mutex_unlock(&watchdog.mutex)
  }

  private func launch() {
    let box = Unmanaged.passRetained(self)
    var handle = pthread_t()
    pthread_create(
      &handle, nil,
      { context in
        let watchdog = Unmanaged<CollectiveWatchdog>.fromOpaque(context!).takeRetainedValue()
        watchdog.watch()
        return nil
      }, box.toOpaque())
  }

  private func watch() {
    while true {
      usleep(100_000)  // 0.1 s: aborts within the timeout + 10% for timeouts ≥ 1 s
      pthread_mutex_lock(&mutex)
      let stuck = depth > 0 ? MonotonicClock.now() - startedAt : 0
      let name = operation
      pthread_mutex_unlock(&mutex)
      if stuck > timeoutSeconds {
        let message =
          "error: rank \(rank): \(name) has not completed after \(Int(stuck)) s "
          + "(timeout \(Int(timeoutSeconds)) s): a peer rank died, hangs or was stopped; aborting the job\n"
        fputs(message, stderr)
        fflush(stderr)
        _exit(3)
      }
    }
  }
}
