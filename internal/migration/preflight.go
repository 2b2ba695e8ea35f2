package migration

import (
	"context"
	"errors"
	"fmt"
)

// preflight compares the flags of the two vCPUs: the full expansion of each
// side's own definition, asked of its own QEMU (so accelerator defaults
// count), and the CPUID words each realized vCPU has.
func preflight(ctx context.Context, srcQ, dstQ *qemuProc, srcDef, dstDef cpuDef) ([]string, error) {
	srcProps, err := expand(ctx, srcQ.qmp, srcDef)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	dstProps, err := expand(ctx, dstQ.qmp, dstDef)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	if lacks := lackedFlags(srcProps, dstProps); len(lacks) > 0 {
		return lacks, nil
	}
	srcWords, err := vcpuWords(ctx, srcQ.qmp)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	dstWords, err := vcpuWords(ctx, dstQ.qmp)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	return lackedBits(srcWords, dstWords), nil
}

func expand(ctx context.Context, c *qmpClient, def cpuDef) (map[string]any, error) {
	var out struct {
		Model struct {
			Props map[string]any `json:"props"`
		} `json:"model"`
	}
	model := map[string]any{"name": def.Model}
	if len(def.Props) > 0 {
		model["props"] = def.Props
	}
	if err := c.execute(ctx, "query-cpu-model-expansion", map[string]any{"type": "full", "model": model}, &out); err != nil {
		return nil, err
	}
	return out.Model.Props, nil
}

func vcpuWords(ctx context.Context, c *qmpClient) ([]featureWord, error) {
	var cpus []struct {
		QOMPath string `json:"qom-path"`
	}
	if err := c.execute(ctx, "query-cpus-fast", nil, &cpus); err != nil {
		return nil, err
	}
	if len(cpus) == 0 {
		return nil, errors.New("query-cpus-fast: no vCPU")
	}
	var words []featureWord
	err := c.execute(ctx, "qom-get", map[string]any{"path": cpus[0].QOMPath, "property": "feature-words"}, &words)
	return words, err
}
