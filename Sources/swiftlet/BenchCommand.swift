import ArgumentParser
import SwiftletCore

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench", abstract: "(not yet implemented)")

  func run() throws {
    throw SwiftletError("'swiftlet bench' is not implemented yet")
  }
}
