import ArgumentParser
import SwiftletCore

struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "inspect", abstract: "(not yet implemented)")

  func run() throws {
    throw SwiftletError("'swiftlet inspect' is not implemented yet")
  }
}
