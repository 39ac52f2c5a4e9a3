package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	// the run image ships zoneinfo: a static Go binary finds it there
	if _, err := time.LoadLocation("Europe/Paris"); err != nil {
		fmt.Println("no zoneinfo:", err)
		os.Exit(1)
	}
	fmt.Printf("hello from go as uid %d\n", os.Getuid())
}
