// Command hog allocates memory without end. It shows how the wasm driver's
// memory limit (config.memory_mb, by default the task's memory resource)
// stops a module whose memory keeps growing.
package main

import "fmt"

// chunkSize is how much memory each step allocates.
const chunkSize = 1 << 20

func main() {
	var held [][]byte
	for i := 1; ; i++ {
		chunk := make([]byte, chunkSize)

		// Touch every page so the memory is really used.
		for j := 0; j < len(chunk); j += 4096 {
			chunk[j] = byte(i)
		}
		held = append(held, chunk)
		if i%16 == 0 {
			fmt.Printf("hog: holding %d MiB\n", i*chunkSize>>20)
		}
	}
}
