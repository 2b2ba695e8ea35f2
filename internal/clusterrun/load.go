package clusterrun

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/kvm-migration/cpuflags/internal/hostfacts"
)

// Source is one host's facts file (a facts JSON document or a captured CPU
// description) with the host's name and inventory group.
type Source struct {
	Name  string
	Group string
	Path  string
}

// LoadHosts reads and decodes every source concurrently (each file once;
// pred applies to captured CPU descriptions)
// and returns the hosts in the order of srcs. The error names the first
// failing source in that order.
func LoadHosts(ctx context.Context, srcs []Source, pred hostfacts.Prediction) ([]Host, error) {
	hosts := make([]Host, len(srcs))
	errs := make([]error, len(srcs))
	workers := 2 * runtime.GOMAXPROCS(0) // reading overlaps decoding
	if workers > len(srcs) {
		workers = len(srcs)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f, err := hostfacts.LoadWith(ctx, srcs[i].Path, pred)
				hosts[i] = Host{Name: srcs[i].Name, Group: srcs[i].Group, Facts: f}
				errs[i] = err
			}
		}()
	}
feed:
	for i := range srcs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read the hosts' facts: %w", err)
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return hosts, nil
}
