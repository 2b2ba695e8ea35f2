package clusterrun

import (
	"context"
	"fmt"
	"io"
	"os"
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

// LoadHosts reads every source concurrently and returns the hosts in the
// order of srcs. Facts documents with identical content (hosts of one CPU
// generation, microcode and libvirt gathered alike) are decoded once and
// share one *hostfacts.Facts, which callers must not modify; pred applies
// to captured CPU descriptions. The error
// names the first failing source in the order of srcs.
func LoadHosts(ctx context.Context, srcs []Source, pred hostfacts.Prediction) ([]Host, error) {
	hosts := make([]Host, len(srcs))
	errs := make([]error, len(srcs))
	cache := &decoded{m: map[string]*decodedEntry{}}
	workers := 4 * runtime.GOMAXPROCS(0) // reading (syscalls) overlaps decoding
	if workers > len(srcs) {
		workers = len(srcs)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := range next {
				var (
					f   *hostfacts.Facts
					err error
				)
				f, buf, err = cache.load(ctx, srcs[i].Path, buf, pred)
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

// decoded caches facts documents by content.
type decoded struct {
	mu sync.Mutex
	m  map[string]*decodedEntry
}

type decodedEntry struct {
	once sync.Once
	f    *hostfacts.Facts
	err  error
}

// load reads path into buf (grown as needed and returned for reuse) and
// returns its facts: from the cache when a document of the same content was
// decoded before.
func (d *decoded) load(ctx context.Context, path string, buf []byte, pred hostfacts.Prediction) (*hostfacts.Facts, []byte, error) {
	data, err := readInto(path, buf[:0])
	if err != nil {
		return nil, data, err
	}
	d.mu.Lock()
	e, ok := d.m[string(data)]
	d.mu.Unlock()
	if !ok {
		if !hostfacts.IsFactsDocument(data) {
			// A captured CPU description: parsed on its own (its facts
			// name the file as their source).
			f, err := hostfacts.DecodeWith(ctx, path, data, pred)
			return f, data, err
		}
		d.mu.Lock()
		if e, ok = d.m[string(data)]; !ok {
			e = &decodedEntry{}
			d.m[string(data)] = e
		}
		d.mu.Unlock()
	}
	e.once.Do(func() { e.f, e.err = hostfacts.Decode(ctx, path, data) })
	if e.err != nil {
		// Name this file: the same content may have failed under another name.
		_, err := hostfacts.Decode(ctx, path, data)
		return nil, data, err
	}
	return e.f, data, nil
}

// readInto reads the whole file into buf's backing array (grown as needed).
func readInto(path string, buf []byte) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return buf, fmt.Errorf("read %s: %w", path, err)
	}
	defer fh.Close()
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := fh.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, fmt.Errorf("read %s: %w", path, err)
		}
	}
}
