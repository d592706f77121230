package fleet

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// How code reaches production: LMB110 to LMB112.

// LMB110: runtime is deprecated; raised by runtime.
var LMB110 = register(checks.Check{ID: "LMB110", Severity: findings.High,
	Title:       "runtime is deprecated",
	Description: "The function's runtime has passed its deprecation date: it no longer receives security patches, and Lambda later blocks creating and then updating functions that use it.",
	Remediation: "Move to a supported runtime; for Go, build a bootstrap for provided.al2023 (arm64).",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"}, SecurityHub: []string{"Lambda.2"}},
})

// LMB111: trigger invokes $LATEST instead of an alias; raised by latestTriggers.
var LMB111 = register(checks.Check{ID: "LMB111", Severity: findings.Medium,
	Title:       "trigger invokes $LATEST instead of an alias",
	Description: "A trigger (a service permission or an event source mapping) invokes the unqualified function, $LATEST: every deployment reaches all traffic at once, with no gradual shift and no rollback.",
	Remediation: "Point triggers at an alias (live) so deployments can shift traffic gradually and roll back.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html"}},
})

// LMB112: no published versions; raised by versions.
var LMB112 = register(checks.Check{ID: "LMB112", Severity: findings.Low,
	Title:       "no published versions",
	Description: "The function has no published version: what runs is whatever was last uploaded, and there is no earlier build to roll back to.",
	Remediation: "Publish versions (AutoPublishAlias in SAM) so what runs is immutable and can be rolled back.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html"}},
})

func (e evaluator) runtime(fn *Function) []findings.Finding {
	rt := string(fn.Latest.Runtime)
	date, ok := runtimeDeprecated(rt, e.now)
	if !ok {
		return nil
	}
	return []findings.Finding{e.finding(LMB110, fn, rt, map[string]any{"runtime": rt, "deprecatedOn": date})}
}

func (e evaluator) latestTriggers(fn *Function) []findings.Finding {
	var triggers []string
	for _, st := range fn.Policies[""] {
		if st.invokes() && len(st.Services) > 0 {
			t := strings.Join(st.Services, ",")
			if st.SourceArn != "" {
				t += " from " + st.SourceArn
			}
			triggers = append(triggers, t)
		}
	}
	for _, m := range fn.Mappings {
		if q := qualifierOf(aws.ToString(m.FunctionArn)); q == "" || q == "$LATEST" {
			triggers = append(triggers, "event source mapping "+aws.ToString(m.UUID)+" from "+aws.ToString(m.EventSourceArn))
		}
	}
	if len(triggers) == 0 {
		return nil
	}
	return []findings.Finding{e.finding(LMB111, fn, "", map[string]any{"triggersOnLatest": triggers, "aliases": len(fn.Aliases)})}
}

func (e evaluator) versions(fn *Function) []findings.Finding {
	if len(fn.Versions) > 0 {
		return nil
	}
	return []findings.Finding{e.finding(LMB112, fn, "", map[string]any{"publishedVersions": 0})}
}
