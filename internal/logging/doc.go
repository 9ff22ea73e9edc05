// Package logging bridges the loggers that hashicorp/raft (hclog) and
// hashicorp/memberlist (*log.Logger) want to the agent's log/slog logger, so
// that every line the agent writes has one format and one level setting.
package logging
