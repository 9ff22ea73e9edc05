// Package client is the client agent: it fingerprints its machine,
// registers it as a node with the servers, keeps it alive with heartbeats,
// and runs the allocations the scheduler places on it.
//
// An Agent is made with New and started with Start. It then runs four
// loops until Shutdown:
//
//   - registration and heartbeat: the node is registered, then heartbeated
//     at a fraction of the TTL the servers return, and registered again
//     when a heartbeat says the servers no longer know it;
//   - allocation watch: a blocking query on the node's allocations, whose
//     answers start, update and stop alloc runners;
//   - status updates: task states are sent back to the servers, coalesced
//     so that a busy node sends at most a few updates per second;
//   - device health, when a device inventory is configured: a change in
//     device health registers the node again with the new devices.
//
// Each allocation gets an alloc runner with a directory under
// <DataDir>/allocs/<allocID>/ holding one working directory per task and
// the tasks' output in logs/<task>.stdout and logs/<task>.stderr. Each task
// gets a task runner that starts it through its driver, waits for it, and
// applies the group's restart policy.
//
// The contract with the servers: an allocation is never run twice. An
// allocation the servers stopped, marked lost, or no longer list is
// stopped; one this node already finished is not started again, across
// agent restarts too, because every allocation's state is kept in a state
// file in the data directory and reloaded by Start. The state file also
// records the PID, process group and start time of every running exec or
// gpu task; an agent that died without stopping its tasks leaves them
// running, and the next Start kills those still alive before anything
// else runs, since a task cannot be reattached to.
//
// Handler serves the tasks' logs over HTTP, at
// GET /v1/client/fs/logs/{allocID}?task=NAME&type=stdout|stderr.
package client
