// Command hello prints its arguments and environment and exits with status 0.
// It is the smallest WebAssembly task: build it with
// GOOS=wasip1 GOARCH=wasm and run it with the wasm driver.
//
// When HELLO_FILE is set, hello also writes a greeting into that file (a
// path as the module sees it, such as /alloc/greeting.txt) and exits with
// status 1 if it cannot.
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

	if path := os.Getenv("HELLO_FILE"); path != "" {
		if err := os.WriteFile(path, []byte("hello\n"), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "hello: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s\n", path)
	}
}
