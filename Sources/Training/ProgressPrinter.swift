import Foundation
import SwiftletCore

/// Rank 0's progress display (docs/operations.md): on a terminal one line redrawn in place; in a log file
/// (Slurm, CI) a full line every `every` steps or 60 seconds, never carriage-return soup.
public final class ProgressPrinter {
  private let isTerminal: Bool
  private let every: Int
  private var lastPrint = MonotonicClock.now()
  private var live = false

  /// - Parameter every: steps between plain lines when not drawing live.
  ///
  /// Live drawing needs a terminal. Under `mpirun` a rank's stdout is a pseudo-terminal even
  /// when the job's output goes to a file, so there `SWIFTLET_PROGRESS=live` (set by
  /// launch/local.sh when it runs on a terminal) must ask for it; `SWIFTLET_PROGRESS=lines`
  /// forces plain lines everywhere.
  public init(every: Int) {
    self.every = max(1, every)
    let environment = ProcessInfo.processInfo.environment
    switch environment["SWIFTLET_PROGRESS"] {
    case "live": isTerminal = true
    case "lines": isTerminal = false
    default:
      let underLauncher = environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMI_SIZE"] != nil
      isTerminal = !underLauncher && isatty(STDOUT_FILENO) != 0
    }
  }

  /// Shows one training step's line.
  public func step(_ step: Int, of total: Int, line: String) {
    let now = MonotonicClock.now()
    if isTerminal {
      print("\r\u{1B}[2K" + line, terminator: "")
      fflush(stdout)
      live = true
    } else if step == 1 || step == total || step % every == 0 || now - lastPrint >= 60 {
      print(line)
      fflush(stdout)
      lastPrint = now
    }
  }

  /// Prints a line that stays (evaluation, checkpoint, summary) without breaking the live line.
  public func event(_ line: String) {
    endLiveLine()
    print(line)
    fflush(stdout)
  }

  /// Prints a warning on stderr (warnings and errors go to stderr), without breaking
  /// the live line.
  public func warning(_ line: String) {
    endLiveLine()
    FileHandle.standardError.write(Data((line.hasPrefix("warning: ") ? line : "warning: " + line).utf8 + [10]))
  }

  /// Erases the live line, so that a line that stays takes its place.
  private func endLiveLine() {
    guard live else { return }
    print("\r\u{1B}[2K", terminator: "")
    fflush(stdout)
    live = false
  }

  /// Ends the live line.
  public func finish() {
    if live {
      print("")
      live = false
    }
  }
}

/// Formats durations as `1h02m`, `3m05s`, `12s`.
func formatDuration(_ seconds: Double) -> String {
  guard seconds.isFinite, seconds >= 0 else { return "?" }
  let s = Int(seconds.rounded())
  if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
  if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
  return "\(s)s"
}
