// Command fail writes a message to stderr and exits with status 3. It shows
// how the wasm driver reports a module's non-zero exit code.
package main

import (
	"fmt"
	"os"
)

// exitCode is the status the module exits with.
const exitCode = 3

func main() {
	fmt.Fprintf(os.Stderr, "fail: exiting with status %d on purpose\n", exitCode)
	os.Exit(exitCode)
}
