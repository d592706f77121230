package checks

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Title is the engine's name in documentation headings.
func (e Engine) Title() string {
	switch e {
	case EngineIAM:
		return "IAM and Lambda resource policies"
	case EngineCloudTrail:
		return "CloudTrail events"
	case EngineFleet:
		return "Lambda fleet operations checklist"
	case EngineHook:
		return "Pre-traffic deployment hook"
	case EngineOrg:
		return "Organisation audit coverage"
	}
	return string(e)
}

// WriteText lists checks one a line: ID, engine, severity, inputs, MITRE
// ATT&CK techniques ("-" for none) and title, in aligned columns for a
// terminal.
func WriteText(w io.Writer, cs []Check) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tENGINE\tSEVERITY\tINPUTS\tATT&CK\tTITLE")
	for _, c := range cs {
		attack := strings.Join(c.Techniques, ",")
		if attack == "" {
			attack = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Engine, c.Severity, joinInputs(c.Inputs), attack, c.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d checks; 'selfaudit checks --format markdown' describes each.\n", len(cs))
	return err
}

// WriteJSON writes the checks as one JSON array, one object per check.
func WriteJSON(w io.Writer, cs []Check) error {
	if cs == nil {
		cs = []Check{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(cs)
}

// WriteMarkdown writes the reference page docs/checks.md: a table per
// engine, then every check with its description, remediation, references,
// MITRE ATT&CK techniques and inputs. An engine whose checks list
// techniques gets an ATT&CK column in its table.
func WriteMarkdown(w io.Writer, cs []Check) error {
	var b strings.Builder
	b.WriteString("# Checks\n\n")
	b.WriteString("<!-- Generated from the check registry (shared/checks) by `make docs`; do not edit by hand. -->\n\n")
	fmt.Fprintf(&b, "selfaudit runs %d checks. IDs and default severities are a contract: an ID is never reused or\n", len(cs))
	b.WriteString("renumbered. An engine may raise or lower the severity of one finding where its evidence says so.\n")
	b.WriteString("`selfaudit checks --format json` prints the same list for tools.\n")
	for _, e := range Engines() {
		var mine []Check
		for _, c := range cs {
			if c.Engine == e {
				mine = append(mine, c)
			}
		}
		if len(mine) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s (`%s`)\n\n", e.Title(), e)
		attack := false
		for _, c := range mine {
			attack = attack || len(c.Techniques) > 0
		}
		if attack {
			b.WriteString("| ID | Severity | Title | Inputs | ATT&CK |\n|---|---|---|---|---|\n")
		} else {
			b.WriteString("| ID | Severity | Title | Inputs |\n|---|---|---|---|\n")
		}
		for _, c := range mine {
			fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |", c.ID, strings.ToLower(c.ID), c.Severity, md(c.Title), joinInputs(c.Inputs))
			if attack {
				fmt.Fprintf(&b, " %s |", strings.Join(c.Techniques, ", "))
			}
			b.WriteString("\n")
		}
		for _, c := range mine {
			fmt.Fprintf(&b, "\n### %s\n\n", c.ID)
			fmt.Fprintf(&b, "**%s** (%s)\n\n", md(c.Title), c.Severity)
			b.WriteString(md(c.Description) + "\n\n")
			if c.Remediation != "" {
				b.WriteString("Remediation: " + md(c.Remediation) + "\n\n")
			} else {
				b.WriteString("Remediation: none; this check records a verdict.\n\n")
			}
			b.WriteString("References:\n")
			for _, d := range c.References.Docs {
				fmt.Fprintf(&b, "- <%s>\n", d)
			}
			for _, sh := range c.References.SecurityHub {
				fmt.Fprintf(&b, "- AWS Security Hub control [%s](%s)\n", sh, SecurityHubURL(sh))
			}
			if len(c.Techniques) > 0 {
				b.WriteString("\nMITRE ATT&CK:")
				for i, tq := range c.Techniques {
					sep := ","
					if i == 0 {
						sep = ""
					}
					fmt.Fprintf(&b, "%s [%s](%s)", sep, tq, TechniqueURL(tq))
				}
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "\nRuns on: %s.\n", joinInputs(c.Inputs))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func joinInputs(in []Input) string {
	s := make([]string, len(in))
	for i, v := range in {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// md escapes the characters Markdown would take for emphasis, tables or
// HTML: policy text is full of "*".
var md = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "|", `\|`, "<", "&lt;").Replace
