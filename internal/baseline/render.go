package baseline

import (
	"slices"
	"strings"
)

// qemuNames maps the libvirt feature names whose QEMU -cpu property name
// differs (libvirt 11.3.0 x86_features.xml vs QEMU 10.0 feature_word_info;
// TestQEMUNamesMatchReference checks it against the reference name map).
// QEMU also accepts most libvirt spellings as legacy aliases; the map gives
// QEMU's own names.
var qemuNames = map[string]string{
	"cmp_legacy":   "cmp-legacy",
	"ds_cpl":       "ds-cpl",
	"fxsr_opt":     "fxsr-opt",
	"lahf_lm":      "lahf-lm",
	"nodeid_msr":   "nodeid-msr",
	"pclmuldq":     "pclmulqdq",
	"perfctr_core": "perfctr-core",
	"perfctr_nb":   "perfctr-nb",
	"tsc_adjust":   "tsc-adjust",
}

// QEMUName returns QEMU's -cpu property name for a libvirt feature name.
func QEMUName(libvirtName string) string {
	if q, ok := qemuNames[libvirtName]; ok {
		return q
	}
	return libvirtName
}

// NovaConf renders the [libvirt] section for nova.conf (Train and later;
// disabled features as "-feature", which Nova accepts from Wallaby).
func NovaConf(model string, extra []string, disabled ...string) string {
	flags := slices.Clone(extra)
	for _, f := range disabled {
		flags = append(flags, "-"+f)
	}
	var b strings.Builder
	b.WriteString("[libvirt]\n")
	b.WriteString("cpu_mode = custom\n")
	b.WriteString("cpu_models = " + model + "\n")
	b.WriteString("cpu_model_extra_flags = " + strings.Join(flags, ", ") + "\n")
	return b.String()
}

// LibvirtCPUXML renders a libvirt domain <cpu> element for the model, the
// required features and the disabled ones.
func LibvirtCPUXML(model string, extra []string, disabled ...string) string {
	var b strings.Builder
	b.WriteString("<cpu mode='custom' match='exact' check='partial'>\n")
	b.WriteString("  <model fallback='forbid'>" + xmlEscape(model) + "</model>\n")
	for _, f := range extra {
		b.WriteString("  <feature policy='require' name='" + xmlEscape(f) + "'/>\n")
	}
	for _, f := range disabled {
		b.WriteString("  <feature policy='disable' name='" + xmlEscape(f) + "'/>\n")
	}
	b.WriteString("</cpu>\n")
	return b.String()
}

// QEMUCPU renders the argument of QEMU's -cpu option, e.g.
// "Broadwell-noTSX-IBRS,pclmulqdq=on,avx512f=on" (a disabled feature:
// "svm=off").
func QEMUCPU(model string, extra []string, disabled ...string) string {
	parts := []string{model}
	for _, f := range extra {
		parts = append(parts, QEMUName(f)+"=on")
	}
	for _, f := range disabled {
		parts = append(parts, QEMUName(f)+"=off")
	}
	return strings.Join(parts, ",")
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;")
	return r.Replace(s)
}
