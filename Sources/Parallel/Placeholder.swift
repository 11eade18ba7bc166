// \(m) — see docs/architecture.md
