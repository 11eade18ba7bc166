import ArgumentParser
import SwiftletCore

struct Prepare: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "prepare", abstract: "(not yet implemented)")

  func run() throws {
    throw SwiftletError("'swiftlet prepare' is not implemented yet")
  }
}
