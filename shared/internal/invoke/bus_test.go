package invoke

import (
	"fmt"
	"strings"

	"github.com/selfaudit/selfaudit/internal/awsfake"
)

// published lists the findings a fake findings bus received, one per line.
func published(bus *awsfake.EventBridge) string {
	details := bus.Details()
	lines := []string{fmt.Sprintf("%d findings published to the findings bus", len(details))}
	for _, f := range details {
		lines = append(lines, fmt.Sprintf("  %v %v %v: %v", f["severity"], f["check"], f["resource"], f["title"]))
	}
	return strings.Join(lines, "\n")
}
