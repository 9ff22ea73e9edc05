// Package archtest holds the test that keeps the import rules of
// ARCHITECTURE.md: which of the project's packages each folder may import.
package archtest
