// Package server is the server agent: Raft setup and bootstrap, gossip
// membership, the HTTP API with write forwarding, and the leader's loops
// (evaluation broker, scheduling workers, plan applier, heartbeat timers,
// blocked evaluations).
//
// Invariants:
//
//   - Every change to cluster state goes through Raft as an fsm command.
//     IDs, times and follow-up evaluations are made here, before the
//     command, so that the FSM stays deterministic.
//   - Writes are applied on the leader only; a follower forwards them.
//     Reads are answered by the leader after it has confirmed its
//     leadership and applied everything committed when the read arrived,
//     unless the caller asks for ?stale.
//   - The scheduler reads a state snapshot and writes only through the
//     planner this package gives it; the plan applier re-checks every plan
//     against the newest state before committing it, one plan at a time.
//   - The evaluation broker, heartbeat timers and blocked evaluations live
//     only on the leader and are rebuilt from state when leadership moves.
package server
