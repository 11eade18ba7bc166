import Accounting

/// A type a configuration key can have, and how it reads the scalar that TOML, `--set` or a
/// stored config gives it. Whole numbers read as integers and numbers as strings, as TOML
/// users expect; anything else is an error naming the key.
public protocol ConfigScalar: Sendable {
  /// The column "type" of docs/configuration.md.
  static var typeName: String { get }
  /// What a valid value looks like, for error messages ("an integer", "halt or skip").
  static var expectation: String { get }
  init?(configValue: ConfigValue)
  var configValue: ConfigValue { get }
}

extension Int: ConfigScalar {
  public static var typeName: String { "int" }
  public static var expectation: String { "an integer" }
  public init?(configValue: ConfigValue) {
    switch configValue {
    case .int(let v): self = v
    case .double(let v) where v == v.rounded() && abs(v) < 9e15: self = Int(v)
    default: return nil
    }
  }
  public var configValue: ConfigValue { .int(self) }
}

extension Double: ConfigScalar {
  public static var typeName: String { "double" }
  public static var expectation: String { "a number" }
  public init?(configValue: ConfigValue) {
    switch configValue {
    case .double(let v): self = v
    case .int(let v): self = Double(v)
    default: return nil
    }
  }
  public var configValue: ConfigValue { .double(self) }
}

extension Bool: ConfigScalar {
  public static var typeName: String { "bool" }
  public static var expectation: String { "true or false" }
  public init?(configValue: ConfigValue) {
    guard case .bool(let v) = configValue else { return nil }
    self = v
  }
  public var configValue: ConfigValue { .bool(self) }
}

extension String: ConfigScalar {
  public static var typeName: String { "string" }
  public static var expectation: String { "a string" }
  public init?(configValue: ConfigValue) {
    switch configValue {
    case .string(let v): self = v
    case .int(let v): self = String(v)
    case .double(let v): self = String(v)
    case .bool(let v): self = String(v)
    }
  }
  public var configValue: ConfigValue { .string(self) }
}

/// A key whose value is one of a few named choices, written as its raw value.
public protocol ConfigChoice: ConfigScalar, CaseIterable, RawRepresentable where RawValue: ConfigScalar {}

extension ConfigChoice {
  public static var typeName: String { RawValue.typeName }
  public static var expectation: String {
    let names = allCases.map { "\($0.rawValue)" }
    return names.dropLast().joined(separator: ", ") + " or " + names.last!
  }
  public init?(configValue: ConfigValue) {
    guard let raw = RawValue(configValue: configValue) else { return nil }
    self.init(rawValue: raw)
  }
  public var configValue: ConfigValue { rawValue.configValue }
}

/// `train.optimizer`.
extension MemoryEstimate.Optimizer: ConfigChoice {}

/// `train.on_nonfinite`: what a NaN or infinite loss or gradient norm does.
public enum NonfinitePolicy: String, ConfigChoice {
  /// Stop with an error.
  case halt
  /// Drop the update and go on (up to `train.max_nonfinite` steps in a row).
  case skip
}

/// `checkpoint.on_error`: what a failed save does.
public enum CheckpointFailurePolicy: String, ConfigChoice {
  case stop
  /// Warn and train on without that checkpoint.
  case `continue`
}

/// `parallel.zero`: how much of the training state is sharded over the data-parallel ranks.
public enum ZeroStage: Int, ConfigChoice, Comparable {
  /// Every data-parallel rank keeps the whole optimizer state.
  case off = 0
  /// The optimizer state is sharded.
  case optimizerState = 1
  /// The optimizer state, and the memory of gradients a rank does not own is given back.
  case gradients = 2

  public static func < (a: ZeroStage, b: ZeroStage) -> Bool { a.rawValue < b.rawValue }
}
