// Package e2e holds the chaos suite: end-to-end tests that run real
// constellation agents in Docker containers, drive a concurrent workload
// against their HTTP API, inject faults while it runs (kill -9, stop and
// restart, pause, network partitions, packet loss and latency), heal, and
// check what was promised.
//
// Every test file is behind the e2e build tag, so `go test ./...` stays
// quick and hermetic. Run the suite with `make e2e`, which builds the
// constellation:dev image first, or directly:
//
//	go test -tags e2e -count=1 -timeout 40m -v ./e2e/...
//
// The suite needs a Docker Engine, root (it enters containers' network
// namespaces with nsenter to run iptables and tc) and the image named by
// CHAOS_IMAGE (default constellation:dev).
//
// Each operation of the workload is recorded as invoked, then ok, fail or
// unknown (timed out or answered with an indeterminate error). The history
// is checked for linearizability with porcupine, modelling each job as a
// register that holds its version and spec; when a check fails the
// checker's visualisation and the raw history are written under e2e/out/.
//
// The contract a test keeps: it names every container, volume and network
// with a per-run prefix, and removes them in t.Cleanup and on SIGINT or
// SIGTERM, also when it fails.
package e2e
