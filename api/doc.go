// Package api holds the wire types of Constellation's HTTP API and a Go
// client for it.
//
// Every type here is shared by the servers, the clients and the CLI: the
// servers store them in the Raft FSM, the scheduler reads them, and the
// client agent and CLI exchange them as JSON over /v1/. The package imports
// only the standard library so that any program can talk to a cluster.
//
// Replicated objects carry CreateIndex and ModifyIndex: the Raft index that
// created them and the one that last changed them.
package api
