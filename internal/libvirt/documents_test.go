package libvirt

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/refdata"
)

const capsDoc = `<capabilities>
  <host>
    <uuid>6a8a2a7b-0000-0000-0000-000000000000</uuid>
    <cpu>
      <arch>x86_64</arch>
      <model>EPYC-Rome</model>
      <vendor>AMD</vendor>
      <microcode version='137367652'/>
      <signature family='23' model='49' stepping='0'/>
      <counter name='tsc' frequency='2994374000' scaling='yes'/>
      <topology sockets='1' dies='1' clusters='1' cores='32' threads='2'/>
      <maxphysaddr mode='emulate' bits='43'/>
      <feature name='ht'/>
      <feature name='osxsave'/>
      <feature name='cmp_legacy'/>
      <feature name='extapic'/>
      <feature name='ibs'/>
      <feature name='svm'/>
      <pages unit='KiB' size='4'/>
    </cpu>
    <power_management/>
  </host>
  <guest><os_type>hvm</os_type></guest>
</capabilities>`

func TestDetectDocument(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		want DocumentKind
	}{
		{"<domainCapabilities/>", DocDomCaps},
		{"<?xml version='1.0'?>\n<!-- c -->\n<capabilities/>", DocCapabilities},
		{"<cpu><arch>x86_64</arch><model>Westmere</model><feature name='aes'/></cpu>", DocHostCPU},
		{"<cpu mode='custom' match='exact'><model>Westmere</model></cpu>", DocGuestCPU},
		{"<cpu><model>Westmere</model><feature policy='require' name='aes'/></cpu>", DocGuestCPU},
	} {
		got, err := DetectDocument([]byte(tt.doc))
		if err != nil || got != tt.want {
			t.Errorf("DetectDocument(%q) = %v, %v; want %v", tt.doc, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "<domain/>", "processor : 0", "<cpu><feature"} {
		if _, err := DetectDocument([]byte(bad)); !errors.Is(err, ErrNotLibvirtXML) {
			t.Errorf("DetectDocument(%q): %v, want ErrNotLibvirtXML", bad, err)
		}
	}
	if !LooksLikeXML([]byte("\xef\xbb\xbf  <x/>")) || LooksLikeXML([]byte("flags : fpu")) {
		t.Error("LooksLikeXML")
	}
}

func TestParseCapabilities(t *testing.T) {
	c, err := ParseCapabilities([]byte(capsDoc))
	if err != nil {
		t.Fatal(err)
	}
	h := c.HostCPU
	if h.Model != "EPYC-Rome" || h.Vendor != "AMD" || h.Arch != "x86_64" || h.Microcode != "137367652" {
		t.Errorf("identity %+v", h)
	}
	if h.Family == nil || *h.Family != 23 || *h.ModelNum != 49 || *h.Stepping != 0 {
		t.Errorf("signature %v %v %v", h.Family, h.ModelNum, h.Stepping)
	}
	if !slices.Equal(h.Features, []string{"ht", "osxsave", "cmp_legacy", "extapic", "ibs", "svm"}) {
		t.Errorf("features %v", h.Features)
	}
	for _, bad := range []struct{ doc, want string }{
		{"", "empty input"},
		{"<capabilities><host/></capabilities>", "no <host><cpu>"},
		{"<capabilities><host><cpu><signature family='x'/><model>A</model></cpu></host></capabilities>", "signature family"},
		{"<capabilities><host><cpu><arch>x86_64</arch></cpu></host></capabilities>", "names no model"},
		{"<capabilities", "XML syntax error"},
	} {
		if _, err := ParseCapabilities([]byte(bad.doc)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseCapabilities(%q): %v, want %q", bad.doc, err, bad.want)
		}
	}
}

// TestParseHostCPUReference parses every -host.xml of libvirt's cputestdata.
func TestParseHostCPUReference(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(refdata.MustFind(t), "libvirt", "cputestdata", "x86_64-cpuid-*-host.xml"))
	if err != nil || len(files) < 60 {
		t.Fatalf("reference -host.xml files: %d (%v)", len(files), err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if k, err := DetectDocument(data); err != nil || k != DocHostCPU {
			t.Errorf("%s: kind %v, %v", filepath.Base(p), k, err)
			continue
		}
		h, err := ParseHostCPU(data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		if h.Model == "" || h.Vendor == "" || h.Family == nil || len(h.Features) == 0 {
			t.Errorf("%s: incomplete %+v", filepath.Base(p), h)
		}
	}
}

func FuzzDetectDocument(f *testing.F) {
	for _, s := range []string{capsDoc, "<domainCapabilities/>", "<cpu mode='custom'/>", "<cpu><feature name='a'/></cpu>", "<", "", "<a><b>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := DetectDocument(data)
		if err != nil {
			if !errors.Is(err, ErrNotLibvirtXML) {
				t.Fatalf("error not wrapping ErrNotLibvirtXML: %v", err)
			}
			return
		}
		switch k {
		case DocDomCaps, DocCapabilities, DocHostCPU, DocGuestCPU:
		default:
			t.Fatalf("unknown kind %q", k)
		}
	})
}

func FuzzParseCapabilities(f *testing.F) {
	for _, s := range []string{capsDoc, "<capabilities><host><cpu><model>A</model></cpu></host></capabilities>", "<capabilities/>", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCapabilities(data)
		if err != nil {
			return
		}
		if c.HostCPU.Model == "" && len(c.HostCPU.Features) == 0 {
			t.Fatal("accepted a host CPU with neither model nor features")
		}
		for _, n := range append(c.HostCPU.Features, c.HostCPU.Disabled...) {
			if strings.TrimSpace(n) == "" {
				t.Fatal("empty feature name accepted")
			}
		}
	})
}

func FuzzParseHostCPU(f *testing.F) {
	for _, s := range []string{"<cpu><arch>x86_64</arch><model>Westmere</model><vendor>Intel</vendor><signature family='6' model='44' stepping='2'/><feature name='vmx'/></cpu>", "<cpu/>", "<cpu><signature family='0x6'/><model>x</model></cpu>", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHostCPU(data)
		if err != nil {
			return
		}
		for _, p := range []*int{h.Family, h.ModelNum, h.Stepping} {
			if p != nil && *p < 0 {
				t.Fatal("negative signature")
			}
		}
	})
}
