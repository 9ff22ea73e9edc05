// Package exec is the task driver for plain processes.
//
// A task's config names the program and its arguments:
//
//	config {
//	  command = "/usr/bin/python3"
//	  args    = ["serve.py", "--port", "8080"]
//	}
//
// The process runs in the task directory, in its own process group, with
// the task's environment plus CONSTELLATION_ALLOC_ID, CONSTELLATION_TASK_NAME,
// CONSTELLATION_ALLOC_DIR and CONSTELLATION_TASK_DIR; its output is
// appended to the task's stdout and stderr files. The task's memory
// reservation is enforced as an address-space limit (RLIMIT_AS), which
// bounds virtual rather than resident memory: programs that reserve large
// address ranges up front need a reservation to match.
package exec
