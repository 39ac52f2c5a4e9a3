package main

import (
	"fmt"
	"sort"
	"strings"
)

func main() {
	birds := []string{"wren", "tit", "robin"}
	sort.Strings(birds)
	fmt.Printf("%d birds: %s\n", len(birds), strings.Join(birds, ", "))
}
