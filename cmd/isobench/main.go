// Command isobench builds performance-benchmark datasets from Git history. See doc.go.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
