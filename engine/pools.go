package engine

import (
	"context"
	"sort"
	"sync"
)

// pools hands out the resources actions hold while they run: CPU slots, GPU devices (by
// index, so each measurement holds its own device) and named semaphores. All of it sits under
// one mutex and condition variable; an action takes everything it needs at once or waits, so
// two actions never deadlock holding half of what each needs.
type pools struct {
	mu    sync.Mutex
	cond  *sync.Cond
	cpu   int          // free CPU slots
	total int          // CPU slots in all
	gpus  map[int]bool // device index -> free
	ngpu  int          // devices in all; fit reads it without the mutex, so it never changes
	named map[string]int
	sizes map[string]int // each named pool's size; read without the mutex, never changed
}

func newPools(cpu int, gpus []int, named map[string]int) *pools {
	p := &pools{cpu: cpu, total: cpu, gpus: map[int]bool{}, named: map[string]int{}, sizes: map[string]int{}}
	p.cond = sync.NewCond(&p.mu)
	for _, g := range gpus {
		p.gpus[g] = true
	}
	p.ngpu = len(p.gpus)
	for k, v := range named {
		p.named[k] = v
		p.sizes[k] = v
	}
	return p
}

// fit trims a request to what the machine has at all, so an action asking for more than
// exists does not wait forever (its rule has already turned that into `skipped`).
func (p *pools) fit(n Needs) Needs {
	if n.CPU > p.total {
		n.CPU = p.total
	}
	if n.GPUs > p.ngpu {
		n.GPUs = p.ngpu
	}
	trimmed := false
	for name, k := range n.Pools {
		if size, ok := p.sizes[name]; ok && k > size {
			if !trimmed {
				// Copy first: the map belongs to the rule's Work.
				pools := make(map[string]int, len(n.Pools))
				for kk, vv := range n.Pools {
					pools[kk] = vv
				}
				n.Pools, trimmed = pools, true
			}
			n.Pools[name] = size
		}
	}
	return n
}

func (p *pools) available(n Needs) bool {
	if n.CPU > p.cpu {
		return false
	}
	free := 0
	for _, ok := range p.gpus {
		if ok {
			free++
		}
	}
	if n.GPUs > free {
		return false
	}
	for name, k := range n.Pools {
		if cap, ok := p.named[name]; ok && k > cap {
			return false
		}
	}
	return true
}

// acquire blocks until everything in n is free, or ctx is done. It returns the GPU indices
// taken.
func (p *pools) acquire(ctx context.Context, n Needs) ([]int, bool) {
	n = p.fit(n)
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.available(n) {
		if ctx.Err() != nil {
			return nil, false
		}
		p.cond.Wait()
	}
	if ctx.Err() != nil {
		return nil, false
	}
	p.cpu -= n.CPU
	var devices []int
	for g := range p.gpus {
		devices = append(devices, g)
	}
	sort.Ints(devices)
	var taken []int
	for _, g := range devices {
		if p.gpus[g] && len(taken) < n.GPUs {
			taken = append(taken, g)
		}
	}
	for _, g := range taken {
		p.gpus[g] = false
	}
	for name, k := range n.Pools {
		if _, ok := p.named[name]; ok {
			p.named[name] -= k
		}
	}
	return taken, true
}

func (p *pools) release(n Needs, gpus []int) {
	n = p.fit(n)
	p.mu.Lock()
	p.cpu += n.CPU
	for _, g := range gpus {
		p.gpus[g] = true
	}
	for name, k := range n.Pools {
		if _, ok := p.named[name]; ok {
			p.named[name] += k
		}
	}
	p.cond.Broadcast()
	p.mu.Unlock()
}
