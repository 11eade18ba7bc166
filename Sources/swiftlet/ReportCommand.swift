import ArgumentParser
import SwiftletCore

struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "report", abstract: "(not yet implemented)")

  func run() throws {
    throw SwiftletError("'swiftlet report' is not implemented yet")
  }
}
