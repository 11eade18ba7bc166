import Foundation

/// `value` with a comma between each group of three digits, whatever the user's locale:
/// 338025 → "338,025", -1287 → "-1,287". Used by every human-readable count (prepare's summary,
/// plan tables, the report page).
public func groupedDigits(_ value: Int64) -> String {
  value.formatted(.number.locale(Locale(identifier: "en_US")))
}
