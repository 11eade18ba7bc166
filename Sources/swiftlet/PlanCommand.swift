import ArgumentParser
import SwiftletCore

struct Plan: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "plan", abstract: "(not yet implemented)")

  func run() throws {
    throw SwiftletError("'swiftlet plan' is not implemented yet")
  }
}
