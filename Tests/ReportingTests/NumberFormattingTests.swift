import Testing

@testable import Reporting

@Suite struct NumberFormattingTests {
  @Test(arguments: [
    (0.0, "0"), (1234, "1.23k"), (3.4e6, "3.4M"), (0.0011, "1.1e-3"), (-2500, "-2.5k"),
    (999_960, "1M"), (12.34, "12.3"), (0.5, "0.5"), (124_439_808, "124M"), (1.83e15, "1.83P"),
    (3e21, "3e21"), (2e-7, "2e-7"), (1000, "1k"),
  ])
  func siUsesSuffixesForLargeAndScientificForSmall(value: Double, expected: String) {
    #expect(NumberFormatting.si(value) == expected)
  }

  @Test func tickLabelsShareOneSuffixAndEnoughDecimals() {
    #expect(
      NumberFormatting.tickLabels([0, 200_000, 400_000, 600_000], step: 200_000)
        == ["0", "200k", "400k", "600k"])
    #expect(
      NumberFormatting.tickLabels([0, 500_000, 1_000_000, 1_500_000], step: 500_000)
        == ["0", "0.5M", "1.0M", "1.5M"])
    #expect(NumberFormatting.tickLabels([0, 0.05, 0.1], step: 0.05) == ["0", "0.05", "0.10"])
    #expect(NumberFormatting.tickLabels([0, 5e-4, 1e-3], step: 5e-4) == ["0", "5e-4", "1e-3"])
    #expect(
      NumberFormatting.tickLabels([1000, 1500, 2000], step: 500) == ["1000", "1500", "2000"])
    #expect(
      NumberFormatting.tickLabels([10_000, 15_000, 20_000], step: 5000) == ["10k", "15k", "20k"])
    #expect(NumberFormatting.tickLabels([50, 100, 150], step: 50) == ["50", "100", "150"])
  }

  @Test func groupedPrintsIntegersWithSeparatorsOnly() {
    #expect(NumberFormatting.grouped(124_439_808) == "124,439,808")
    #expect(NumberFormatting.grouped(-1000) == "-1,000")
    #expect(NumberFormatting.grouped(999) == "999")
    #expect(NumberFormatting.grouped(1.5) == nil)
    #expect(NumberFormatting.grouped(1e20) == nil)
  }

  @Test func durationsReadAsHoursMinutesSeconds() {
    #expect(NumberFormatting.duration(hours: 0.35) == "21 min 00 s")
    #expect(NumberFormatting.duration(hours: 2.0 + 5.0 / 60) == "2 h 05 min")
    #expect(NumberFormatting.duration(hours: 10.0 / 3600) == "10 s")
    #expect(NumberFormatting.duration(hours: 96) == "4 days")
  }
}
