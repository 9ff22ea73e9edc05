// Package schedtest is a test harness for the scheduler: an in-memory State
// that tests fill with nodes, jobs and allocations, and a recording Planner
// that checks every plan with scheduler.EvaluatePlan, applies what it
// accepts to that state and keeps every plan, result and evaluation for
// assertions. Server tests may use it too.
//
//	h := schedtest.NewHarness()
//	h.State.UpsertNode(node)
//	h.State.UpsertJob(job)
//	err := h.Process(h.NewEval(job))
//	plan := h.Plans[0]
package schedtest
