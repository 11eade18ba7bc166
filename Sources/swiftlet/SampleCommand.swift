import ArgumentParser
import SwiftletCore

struct Sample: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "sample", abstract: "(not yet implemented)")

  func run() throws {
    throw SwiftletError("'swiftlet sample' is not implemented yet")
  }
}
