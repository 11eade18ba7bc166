// Reporting — see docs/architecture.md
