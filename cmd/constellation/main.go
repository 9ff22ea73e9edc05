// Command constellation is the Constellation cluster scheduler: the agent
// that runs servers and clients, and the CLI verbs that talk to a cluster
// over its HTTP API.
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:]))
}
