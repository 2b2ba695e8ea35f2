// Package modutil holds small helpers shared by the cmd/<module> programs.
package modutil

import (
	"encoding/json"
	"fmt"
)

// ToMap turns a struct into the generic map Ansible results are made of, by
// way of its JSON encoding, so json tags decide the keys.
func ToMap(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decode result: %w", err)
	}
	return out, nil
}
