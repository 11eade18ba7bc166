import ArgumentParser
import SwiftletCore

struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "eval", abstract: "(not yet implemented)")

  func run() throws {
    throw SwiftletError("'swiftlet eval' is not implemented yet")
  }
}
