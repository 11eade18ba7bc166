import ArgumentParser

/// Every subcommand, in the order `swiftlet --help` lists them. Each lives in its own file.
enum SubcommandRegistry {
  static let all: [ParsableCommand.Type] = [
    Train.self, Prepare.self, Eval.self, Sample.self, Plan.self, Inspect.self, Import.self, Export.self,
    Report.self, Bench.self, Doctor.self,
  ]
}
