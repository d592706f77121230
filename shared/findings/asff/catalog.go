package asff

import "github.com/selfaudit/selfaudit/shared/checks"

// checkInfo is what a finding in ASFF needs from the check registry.
type checkInfo struct {
	Engine      string
	Description string
	// URL is the check's first documentation page.
	URL string
	// Controls are the Security Hub controls the registry names.
	Controls []string
}

// lookup returns what the registry knows of a check: the live registry
// when the check's engine is linked (the command line), else the copy in
// catalog_gen.go (the exporter function, which links no engine).
func lookup(id string) (checkInfo, bool) {
	if c, ok := checks.Lookup(id); ok {
		return infoOf(c), true
	}
	info, ok := catalog[id]
	return info, ok
}

func infoOf(c checks.Check) checkInfo {
	return checkInfo{Engine: string(c.Engine), Description: c.Description, URL: c.HelpURI(),
		Controls: append([]string(nil), c.References.SecurityHub...)}
}
