import ArgumentParser
import SwiftletCore

struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "export", abstract: "(not yet implemented)")

  func run() throws {
    throw SwiftletError("'swiftlet export' is not implemented yet")
  }
}
