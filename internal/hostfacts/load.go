package hostfacts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// Load reads one host's facts from path: either a facts JSON document (what
// cpu_flags_facts, the gather role's output directory or `cpuflags facts`
// wrote) or a captured CPU description, which is then parsed without
// asking libvirt (the file describes another host).
func Load(ctx context.Context, path string) (*Facts, error) {
	return LoadWith(ctx, path, Prediction{})
}

// LoadWith is Load with the operator's prediction settings, used when path
// is a captured CPU description (facts JSON carries its own view).
func LoadWith(ctx context.Context, path string, pred Prediction) (*Facts, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return DecodeWith(ctx, path, data, pred)
}

// IsFactsDocument reports whether data looks like a facts JSON document
// (rather than a captured CPU description), without decoding it.
func IsFactsDocument(data []byte) bool {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	for _, k := range factsKeys {
		if !bytes.Contains(trimmed, k) {
			return false
		}
	}
	return true
}

// Decode is Load on the content data already read from path.
func Decode(ctx context.Context, path string, data []byte) (*Facts, error) {
	return DecodeWith(ctx, path, data, Prediction{})
}

// DecodeWith is LoadWith on the content data already read from path.
func DecodeWith(ctx context.Context, path string, data []byte, pred Prediction) (*Facts, error) {
	if f, ok, err := decodeFacts(data); ok {
		if err != nil {
			return nil, fmt.Errorf("%s looks like cpu_flags facts JSON but does not decode: %w", path, err)
		}
		return f, nil
	}
	return Gather(ctx, Options{Src: path, Libvirt: LibvirtNever, Prediction: pred})
}

// FromJSON decodes facts from their JSON form (as found in
// ansible_facts.cpu_flags) and checks they carry what the baseline needs.
func FromJSON(data []byte) (*Facts, error) {
	f, ok, err := decodeFacts(data)
	if !ok {
		return nil, fmt.Errorf("not cpu_flags facts: no trusted_view/linux_flags keys; pass ansible_facts.cpu_flags from cpu_flags_facts")
	}
	return f, err
}

// factsKeys are the keys every facts document has; a captured CPU
// description (lscpu -J included) has neither.
var factsKeys = [][]byte{[]byte(`"trusted_view"`), []byte(`"linux_flags"`)}

// decodeFacts decodes data once when it is a facts document. ok is false
// when data is not one (it is then a CPU description to parse); err is set
// when it is one but does not decode or lacks what the baseline needs.
func decodeFacts(data []byte) (*Facts, bool, error) {
	if !IsFactsDocument(data) {
		return nil, false, nil
	}
	trimmed := bytes.TrimSpace(data)
	var f Facts
	if err := json.Unmarshal(trimmed, &f); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, false, nil // not JSON: let the CPU description parsers say why
		}
		return nil, true, err
	}
	if f.TrustedView != ViewLibvirt && f.TrustedView != ViewPredicted && f.TrustedView != ViewCPUInfo {
		return nil, true, fmt.Errorf("trusted_view is %q, want %q, %q or %q", f.TrustedView, ViewLibvirt, ViewPredicted, ViewCPUInfo)
	}
	if len(f.TrustedFeatures) == 0 && len(f.Features) == 0 {
		return nil, true, fmt.Errorf("no features: neither trusted_features nor features is set")
	}
	return &f, true, nil
}
