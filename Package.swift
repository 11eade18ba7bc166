// swift-tools-version:6.1
import PackageDescription

/// Swiftlet: a distributed GPT-2/GPT-3 trainer on CPUs.
///
/// Library targets mirror the architecture in docs/architecture.md; imports point
/// downwards only (CLI → Training → Model/Checkpointing/Accounting/Dataset → Parallel/Kernels → C).
let package = Package(
  name: "swiftlet",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "swiftlet", targets: ["swiftlet"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
  ],
  targets: [
    // System libraries (pkg-config names from ../shared/TOOLCHAIN.md).
    .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c"),
    .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas"),
    .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5"),
    // zlib's CRC-32 for the checkpoints' checksums (Debian: zlib1g-dev).
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib"),

    // Thin Swift wrappers.
    .target(name: "SwiftletCore"),
    // CPUID and XCR0, which Swift cannot execute itself.
    .target(name: "CPUID", path: "Sources/CPUID"),
    // The AdamW pass, in C so that it vectorises; no FMA contraction, no errno from sqrtf.
    .target(
      name: "COptimizerKernels", path: "Sources/COptimizerKernels",
      cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-fno-math-errno"])]),
    // Element-wise and row kernels (cross-entropy, GELU, LayerNorm, softmax rows), AVX2 chosen at
    // run time; no FMA contraction so both paths round alike.
    .target(
      name: "CKernels", path: "Sources/CKernels",
      cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-fno-math-errno"])]),
    .target(name: "MPIBindings", dependencies: ["CMPI", "SwiftletCore"]),
    .target(name: "HDF5Bindings", dependencies: ["CHDF5", "SwiftletCore"]),

    // Numerics and the model.
    .target(name: "Kernels", dependencies: ["CBLAS", "CPUID", "CKernels", "RunFiles", "SwiftletCore"]),
    .target(name: "Parallel", dependencies: ["MPIBindings", "Kernels", "SwiftletCore"]),
    .target(name: "GPT", dependencies: ["Kernels", "Parallel", "SwiftletCore"]),
    .target(name: "Optimizers", dependencies: ["Kernels", "COptimizerKernels", "SwiftletCore"]),

    // Data, persistence, accounting, and the loop.
    // The JSON files of a run directory (metrics.jsonl, report.json, ledger.jsonl), as Codable
    // types that their writers and readers share.
    .target(name: "RunFiles"),
    .target(name: "Dataset", dependencies: ["SwiftletCore"]),
    .target(
      name: "Checkpointing",
      dependencies: ["HDF5Bindings", "CZlib", "GPT", "Kernels", "Parallel", "Optimizers", "SwiftletCore"]),
    .target(name: "Accounting", dependencies: ["GPT", "Kernels", "Parallel", "CBLAS", "RunFiles", "SwiftletCore"]),
    .target(name: "Reporting", dependencies: ["RunFiles", "SwiftletCore"]),
    .target(
      name: "Training",
      dependencies: [
        "GPT", "Kernels", "Parallel", "Optimizers", "Dataset", "Checkpointing", "Accounting", "Reporting",
        "RunFiles", "SwiftletCore", .product(name: "TOMLKit", package: "TOMLKit"),
      ]),
    .executableTarget(
      name: "swiftlet",
      dependencies: [
        "Training", "GPT", "Kernels", "Dataset", "Checkpointing", "Accounting", "Reporting", "Parallel", "HDF5Bindings",
        "RunFiles", "SwiftletCore",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // Tests.
    // What several test targets share: the CI-aware skip, the Python runner, the package's paths.
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    // Per-operation MPI checks of Parallel, launched under mpirun by CLITests.
    .executableTarget(
      name: "ParallelProbe", dependencies: ["Parallel", "MPIBindings", "Kernels"], path: "Tests/ParallelProbe"),
    // The checkpoint save benchmark (docs/checkpoint-format.md); CLITests runs it once on a tiny model.
    .executableTarget(
      name: "CheckpointSaveBench",
      dependencies: [
        "Checkpointing", "GPT", "SwiftletCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Tests/CheckpointSaveBench"),
    .testTarget(
      name: "KernelsTests", dependencies: ["Kernels", "CKernels", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(
      name: "GPTTests", dependencies: ["GPT", "Optimizers", "Kernels", "Parallel", "MPIBindings", "SwiftletCore"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "DatasetTests", dependencies: ["Dataset", "SwiftletCore", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(
      name: "AccountingTests",
      dependencies: [
        "Accounting", "GPT", "Kernels", "MPIBindings", "Parallel", "RunFiles", "SwiftletCore", "TestSupport",
      ]),
    .testTarget(name: "ParallelTests", dependencies: ["Parallel"]),
    .testTarget(
      name: "CheckpointingTests", dependencies: ["Checkpointing", "HDF5Bindings", "GPT", "SwiftletCore", "TestSupport"]),
    .testTarget(
      name: "TrainingTests",
      dependencies: [
        "Training", "Checkpointing", "Dataset", "GPT", "MPIBindings", "Optimizers", "Parallel", "SwiftletCore",
        "TestSupport",
      ]),
    .testTarget(name: "RunFilesTests", dependencies: ["RunFiles"]),
    .testTarget(name: "ReportingTests", dependencies: ["Reporting", "RunFiles", "SwiftletCore", "TestSupport"]),
    .testTarget(
      name: "OptimizersTests", dependencies: ["Optimizers", "Kernels", "SwiftletCore"], resources: [.copy("Fixtures")]),
    .testTarget(name: "CLITests", dependencies: ["Dataset", "Checkpointing", "TestSupport"]),
  ],
  // The trainer is single-threaded per rank plus MPI; Swift 6's data-race checking of C globals
  // (stderr, MPI handles) adds ceremony without catching anything here.
  swiftLanguageModes: [.v5]
)
