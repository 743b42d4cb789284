// Package artifact holds the values that actions of different kinds hand to each other as
// outputs: commit facts, environments, generated tests and measurements. Rules never import
// each other; they agree on these types instead. Every type is stored as JSON in the CAS, so a
// field added here changes output digests: add fields with care and bump the rule versions.
package artifact
