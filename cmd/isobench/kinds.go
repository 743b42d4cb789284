package main

import "github.com/isobench/isobench/engine"

// kinds lists every target kind this binary knows.
func kinds() []engine.Kind {
	return []engine.Kind{}
}

// machineGPUs lists the GPU device indices builds may use.
func machineGPUs() []int { return nil }
