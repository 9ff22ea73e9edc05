// Command spin loops forever without calling the host. It shows how the wasm
// driver ends a runaway module: by its fuel budget (config.fuel), by its
// wall-clock limit (config.timeout), or when the task is stopped.
package main

import "fmt"

// sink keeps the loop's work observable so that it is not optimised away.
var sink uint64

func main() {
	fmt.Println("spin: looping forever")
	x := uint64(1)
	for {
		x = x*6364136223846793005 + 1442695040888963407
		sink = x
	}
}
