// Package jobspec parses job files into api.Job values.
//
// Two formats are accepted, chosen by the file name's extension: HCL
// (".hcl", or ".nomad"-style files without a JSON extension) and JSON
// (".json", either a bare job object using the api.Job field names or one
// wrapped as {"Job": {...}}).
//
// The HCL form reads like this:
//
//	job "example" {
//	  type        = "batch"
//	  datacenters = ["dc1"]
//	  group "g" {
//	    count = 1
//	    restart {
//	      attempts = 2
//	      interval = "5m"
//	    }
//	    task "t" {
//	      driver = "wasm"
//	      config {
//	        module = "hello.wasm"
//	        args   = ["a"]
//	      }
//	      resources {
//	        cpu    = 200
//	        memory = 64
//	      }
//	    }
//	  }
//	}
//
// Attribute references in strings, such as "${attr.kernel.name}" in a
// constraint, are kept literally: the scheduler resolves them against each
// node. Durations are Go duration strings ("5s", "1m30s") and become
// nanoseconds. The config block of a task is free-form and decodes to plain
// Go values (string, int64, float64, bool, []any, map[string]any).
//
// Every error names the file, and where it can the line and column, and
// says what to change. Parse fills the defaults the servers would
// (api.Job.Canonicalize, and count 1 for HCL groups that set none) and
// checks the job with the servers' own rules (api.Job.Validate), so that a
// job that passes "job validate" is one the servers accept.
package jobspec
