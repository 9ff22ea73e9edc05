// Package scheduler decides where the allocations of service and batch jobs
// run. It is pure placement logic: a State snapshot and an Evaluation go in,
// a Plan comes out.
//
// # Use
//
// A server worker takes an evaluation from the broker, reads a snapshot of
// the state store and runs
//
//	sched := scheduler.NewGenericScheduler(logger, snapshot, planner)
//	err := sched.Process(eval)
//
// Process reconciles the job's desired allocations with the existing ones
// (placements, stops, in-place and destructive updates, replacements for
// lost, draining and failed allocations), picks a node for each placement
// (feasibility, then bin-packing rank), submits the plan and records the
// evaluation's outcome, creating a blocked evaluation for placements that
// found no node.
//
// The plan applier on the leader calls EvaluatePlan with the newest state
// before it commits a plan: a node whose part of the plan no longer fits is
// refused, and the scheduler tries again on a newer snapshot. This optimistic
// check is what keeps two evaluations planned concurrently from
// overcommitting a node.
//
// # Invariants
//
//   - The scheduler reads only its State snapshot and writes only through its
//     Planner: SubmitPlan, UpdateEval and CreateEval. It never mutates the
//     objects the State returns.
//   - No I/O, no clocks, no goroutines, no global randomness: the same
//     snapshot and evaluation give the same plan, allocation IDs included
//     (they are name-based UUIDs derived from the evaluation, the snapshot
//     index and the allocation name).
//   - A plan never places more CPU, memory or device shares on a node than
//     the node offers, counting the node's non-terminal allocations, less
//     those the plan stops, plus those it places; EvaluatePlan enforces the
//     same rule against the newest state.
//   - Stops are always accepted by EvaluatePlan; only placements are refused.
package scheduler
