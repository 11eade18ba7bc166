import ArgumentParser
import SwiftletCore

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "train", abstract: "(not yet implemented)")

  func run() throws {
    throw SwiftletError("'swiftlet train' is not implemented yet")
  }
}
