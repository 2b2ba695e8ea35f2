package novaconf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Effective is the [libvirt] CPU configuration a service ends up with after
// reading all its configuration files, and where each option came from.
type Effective struct {
	// CPU holds the options as the last file that sets each one gives them.
	CPU CPUSettings
	// From names, for each option set (KeyMode, KeyModels, KeyExtraFlags),
	// the file that set it.
	From map[string]string
	// Files are the files read, in order (directories expanded).
	Files []string
	// Newest is the latest modification time among the files read and the
	// directories given (a file added to or removed from a --config-dir
	// changes the directory's time).
	Newest time.Time
}

// EffectiveCPU reads mainPath and then others (files and --config-dir
// directories in command-line order, as FindOverrides takes them; when
// others holds mainPath, the entries before it are read before it) and
// returns the [libvirt] CPU options with oslo.config's precedence: per
// option, the last file that sets it wins (either spelling of the models
// option counts). Missing entries of others are skipped; a file that cannot
// be read or parsed is an error naming it (nova-compute would not start).
func EffectiveCPU(mainPath string, others []string) (Effective, error) {
	eff := Effective{CPU: CPUSettings{Present: map[string]bool{}}, From: map[string]string{}}
	order, err := ReadOrder(others)
	if err != nil {
		return eff, err
	}
	mainFI, err := os.Stat(mainPath)
	if err != nil {
		return eff, fmt.Errorf("effective configuration: %w", err)
	}
	hasMain := false
	for _, p := range order {
		if fi, err := os.Stat(p); err == nil && os.SameFile(fi, mainFI) {
			hasMain = true
		}
	}
	if !hasMain {
		order = append([]string{mainPath}, order...)
	}
	eff.Files = order
	for _, p := range others {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() && fi.ModTime().After(eff.Newest) {
			eff.Newest = fi.ModTime()
		}
	}
	for _, p := range order {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return eff, fmt.Errorf("effective configuration: %w", err)
		}
		if fi.ModTime().After(eff.Newest) {
			eff.Newest = fi.ModTime()
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return eff, fmt.Errorf("effective configuration: %w", err)
		}
		f, err := Parse(data)
		if err != nil {
			return eff, fmt.Errorf("effective configuration: parse %s: %w", p, err)
		}
		c := f.CPU()
		if c.Present[KeyMode] {
			eff.CPU.Mode, eff.From[KeyMode] = c.Mode, p
			eff.CPU.Present[KeyMode] = true
		}
		if c.Present[KeyModels] {
			eff.CPU.Models, eff.CPU.ModelsKey, eff.From[KeyModels] = c.Models, c.ModelsKey, p
			eff.CPU.Present[KeyModels] = true
		}
		if c.Present[KeyExtraFlags] {
			eff.CPU.ExtraFlags, eff.From[KeyExtraFlags] = c.ExtraFlags, p
			eff.CPU.Present[KeyExtraFlags] = true
		}
	}
	return eff, nil
}
