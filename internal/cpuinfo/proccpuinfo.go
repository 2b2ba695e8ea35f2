package cpuinfo

import (
	"fmt"
	"strconv"
	"strings"
)

// block is one logical CPU of /proc/cpuinfo.
type block struct {
	id       int  // "processor" number, or block index when absent
	hasID    bool // a "processor" line was seen
	line     int  // 1-based line where the block starts
	keys     []string
	flagsRaw string // value of "flags"
	hasFlags bool
	vmxRaw   string
	bugsRaw  string
	vals     map[string]string // first value of the other keys we use
}

// wantedKeys are the single-valued cpuinfo keys copied into block.vals.
var wantedKeys = map[string]bool{
	"vendor_id": true, "cpu family": true, "model": true, "model name": true,
	"stepping": true, "microcode": true,
	// non-x86 markers
	"CPU implementer": true, "CPU architecture": true, "Features": true,
	"features": true, "cpu": true, "platform": true, "timebase": true,
	"isa": true, "hart": true, "# processors": true,
}

// cpuinfoValue returns the value after the first ':' with the single
// separating space removed (so "  Shanghai  " survives).
func cpuinfoValue(v string) string {
	v = strings.TrimRight(v, "\r")
	if strings.HasPrefix(v, " ") || strings.HasPrefix(v, "\t") {
		v = v[1:]
	}
	return v
}

// splitBlocks splits /proc/cpuinfo text into per-CPU blocks. A blank line or
// a repeated "processor" line starts a new block.
func splitBlocks(data []byte) []*block {
	var (
		blocks []*block
		cur    *block
	)
	text := string(data)
	lineNo := 0
	for len(text) > 0 {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		lineNo++
		if strings.TrimSpace(line) == "" {
			cur = nil
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue // not a key line; real cpuinfo has none
		}
		key := strings.TrimSpace(k)
		if key == "processor" && cur != nil && cur.hasID {
			cur = nil
		}
		if cur == nil {
			cur = &block{id: len(blocks), line: lineNo, vals: map[string]string{}}
			blocks = append(blocks, cur)
		}
		cur.keys = append(cur.keys, key)
		switch key {
		case "processor":
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && !cur.hasID {
				cur.id, cur.hasID = n, true
			}
		case "flags":
			cur.flagsRaw, cur.hasFlags = v, true
		case "vmx flags":
			cur.vmxRaw = v
		case "bugs":
			cur.bugsRaw = v
		default:
			if wantedKeys[key] {
				if _, seen := cur.vals[key]; !seen {
					cur.vals[key] = cpuinfoValue(v)
				}
			}
		}
	}
	return blocks
}

// notX86 names the architecture of a non-x86 cpuinfo block, or "".
func (b *block) notX86() string {
	v := b.vals
	switch {
	case v["CPU implementer"] != "" || v["CPU architecture"] != "":
		if strings.TrimSpace(v["CPU architecture"]) == "7" {
			return "32-bit ARM"
		}
		return "aarch64"
	case strings.Contains(v["vendor_id"], "S390") || v["# processors"] != "" || v["features"] != "" && !b.hasFlags:
		return "s390x"
	case v["timebase"] != "" || v["platform"] != "" || strings.Contains(v["cpu"], "POWER"):
		return "ppc64le"
	case v["isa"] != "" || v["hart"] != "":
		return "riscv64"
	case v["Features"] != "" && !b.hasFlags:
		return "ARM"
	}
	return ""
}

// parseCPUInfo parses /proc/cpuinfo text.
func parseCPUInfo(data []byte) (*CPU, error) {
	if strings.TrimSpace(string(data)) == "" {
		return nil, fmt.Errorf("%w: give the contents of /proc/cpuinfo", ErrEmpty)
	}
	blocks := splitBlocks(data)
	if len(blocks) == 0 {
		return nil, fmt.Errorf("%w: no \"key : value\" lines; is this /proc/cpuinfo?", ErrNoFlags)
	}
	for _, b := range blocks {
		if arch := b.notX86(); arch != "" {
			return nil, fmt.Errorf("%w: input is %s /proc/cpuinfo; cpu_flags handles x86-64 hosts only (gather from the x86-64 hypervisors, leave this host out)", ErrNotX86, withArticle(arch))
		}
	}
	anyFlags := false
	for _, b := range blocks {
		anyFlags = anyFlags || b.hasFlags
	}
	if !anyFlags {
		return nil, fmt.Errorf("%w: no \"flags\" line in %d cpuinfo block(s); give the complete /proc/cpuinfo of an x86-64 host", ErrNoFlags, len(blocks))
	}
	sets := make([][]string, len(blocks))
	ids := make([]int, len(blocks))
	var prevRaw string
	var prevSet []string
	for i, b := range blocks {
		if !b.hasFlags {
			return nil, fmt.Errorf("%w: the block of processor %d (line %d) has no \"flags\" line; capture the whole /proc/cpuinfo again", ErrTruncated, b.id, b.line)
		}
		ids[i] = b.id
		if i > 0 && b.flagsRaw == prevRaw {
			sets[i] = prevSet // fast path: identical line, already checked
			continue
		}
		set := sortUnique(strings.Fields(b.flagsRaw))
		if err := checkFlags(set, fmt.Sprintf("flags of processor %d (line %d)", b.id, b.line)); err != nil {
			return nil, err
		}
		sets[i], prevRaw, prevSet = set, b.flagsRaw, set
	}
	if err := checkComplete(blocks); err != nil {
		return nil, err
	}
	first := blocks[0]
	c := &CPU{Format: FormatCPUInfo, Architecture: "x86_64", LogicalCPUs: len(blocks)}
	c.setVendor(first.vals["vendor_id"])
	c.Family = atoiPtr(first.vals["cpu family"])
	c.Model = atoiPtr(first.vals["model"])
	c.Stepping = atoiPtr(first.vals["stepping"])
	c.ModelName = first.vals["model name"]
	c.Microcode = strings.TrimSpace(first.vals["microcode"])
	c.Flags, c.FlagDifferences = intersect(sets, ids)

	var vmxSets [][]string
	for _, b := range blocks {
		c.Bugs = append(c.Bugs, strings.Fields(b.bugsRaw)...)
		if b.vmxRaw != "" || len(vmxSets) > 0 {
			vmxSets = append(vmxSets, sortUnique(strings.Fields(b.vmxRaw)))
		}
	}
	if len(vmxSets) == len(blocks) {
		c.VMXFlags, _ = intersect(vmxSets, ids)
	}
	return c.finish()
}

// checkComplete reports ErrTruncated when the last of several blocks lacks
// keys that every other block has (the capture was cut inside it).
func checkComplete(blocks []*block) error {
	if len(blocks) < 2 {
		return nil
	}
	last := blocks[len(blocks)-1]
	have := make(map[string]bool, len(last.keys))
	for _, k := range last.keys {
		have[k] = true
	}
	for _, k := range blocks[0].keys {
		if have[k] {
			continue
		}
		inAll := true
		for _, b := range blocks[1 : len(blocks)-1] {
			if !containsKey(b.keys, k) {
				inAll = false
				break
			}
		}
		if inAll {
			return fmt.Errorf("%w: the block of processor %d (line %d) ends before its %q line; capture the whole /proc/cpuinfo again", ErrTruncated, last.id, last.line, k)
		}
	}
	return nil
}

func containsKey(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// atoiPtr parses a decimal integer; nil when s is not one.
func atoiPtr(s string) *int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return &n
}
