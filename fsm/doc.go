// Package fsm is Constellation's replicated state machine: the Raft
// commands that change cluster state, the FSM that applies them, and the
// indexed, versioned state store behind it.
//
// # Writing
//
// Every change to cluster state is a command: a one-byte MessageType
// followed by a msgpack body, made with Encode and handed to Raft. Raft
// calls (*FSM).Apply on every server in the same order with the same bytes.
// Apply returns nil when the command was applied and an error value when it
// was refused (an EnforceIndex mismatch, a missing node, a malformed
// command); a refused command changes nothing.
//
// # Reading
//
// (*FSM).State returns the StateStore. Its Snapshot method gives a
// point-in-time, read-only view; *Snapshot has the method set of the
// scheduler's State interface, so the scheduler reads it without this
// package importing the scheduler. Blocking runs a read once the named
// tables move past an index, which is how the HTTP API serves
// ?index=N&wait=D queries.
//
// # Invariants
//
//   - Apply is deterministic. It reads no clock, draws no random number and
//     never lets map iteration order reach stored or snapshotted state. IDs,
//     times and evaluations are made by the server before the command is
//     encoded. The same log applied to two FSMs gives byte-identical
//     snapshots.
//   - Every stored object carries the Raft index that created it
//     (CreateIndex) and last changed it (ModifyIndex). Jobs also carry
//     JobModifyIndex, moved only when their spec changes; allocations carry
//     AllocModifyIndex, moved only when the servers change their desired
//     state.
//   - Stored objects are immutable. Writes copy; reads return shared
//     pointers that callers must treat as read-only. Copy an object before
//     changing it.
//   - A command is applied in one memdb transaction: all of it or none.
//   - A job's Status is derived here from its allocations and evaluations;
//     whatever Status a command carries is ignored.
//   - Restore builds a fresh store from the snapshot and swaps it in at
//     once; queries blocked on the old state wake and run on the new one.
package fsm
