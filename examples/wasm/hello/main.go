// Command hello prints its arguments and environment and exits with status 0.
// It is the smallest WebAssembly task: build it with
// GOOS=wasip1 GOARCH=wasm and run it with the wasm driver.
package main

import (
	"fmt"
	"os"
	"sort"
)

func main() {
	fmt.Printf("hello from %s\n", os.Args[0])
	for i, arg := range os.Args {
		fmt.Printf("arg[%d]=%s\n", i, arg)
	}

	env := os.Environ()
	sort.Strings(env)
	for _, kv := range env {
		fmt.Printf("env %s\n", kv)
	}
}
