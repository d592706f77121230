package invoke

import (
	"fmt"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/internal/awsfake"
)

// securityHubExporter serves Security Hub's BatchImportFindings and lists
// the findings it holds afterwards.
func securityHubExporter(t *testing.T, _ []byte) local {
	hub := awsfake.NewSecurityHub()
	s := awsfake.Serve(t, hub)
	return local{env: s.Env(), report: func() string {
		held := hub.Findings()
		lines := []string{fmt.Sprintf("%d BatchImportFindings calls, %d findings held by Security Hub", hub.Calls().Count("BatchImportFindings"), len(held))}
		for _, f := range held {
			lines = append(lines, fmt.Sprintf("  %s %s %s %s %s: %s", f.SeverityLabel, f.GeneratorID, f.RecordState, f.WorkflowStatus, f.ResourceID, f.Title))
		}
		for _, f := range hub.Failures() {
			lines = append(lines, fmt.Sprintf("  refused %s: %s %s", f.ID, f.ErrorCode, f.ErrorMessage))
		}
		return strings.Join(lines, "\n")
	}}
}
