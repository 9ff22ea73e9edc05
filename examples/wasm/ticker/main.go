// Command ticker is a long-running service: it prints a numbered line every
// two seconds until the task is stopped.
package main

import (
	"fmt"
	"os"
	"time"
)

// interval is the time between two lines.
const interval = 2 * time.Second

func main() {
	name := os.Getenv("TICKER_NAME")
	if name == "" {
		name = "ticker"
	}
	for n := 1; ; n++ {
		fmt.Printf("%s: tick %d at %s\n", name, n, time.Now().UTC().Format(time.RFC3339))
		time.Sleep(interval)
	}
}
