package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/selfaudit/selfaudit/shared/checks"

	// The engines register their checks when linked. The other commands
	// link the IAM, CloudTrail and fleet engines already; the pre-traffic
	// hook runs only as a function, so it is linked here for its checks.
	_ "github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	_ "github.com/selfaudit/selfaudit/shared/fleet"
	_ "github.com/selfaudit/selfaudit/shared/hook"
	_ "github.com/selfaudit/selfaudit/shared/iampolicy"
	_ "github.com/selfaudit/selfaudit/shared/orgaudit"
)

func init() {
	register("checks", command{
		summary: "list every check of every engine (docs/checks.md is this list)",
		run:     runChecks,
	})
}

// checkWriters are the --format values of the checks command.
var checkWriters = map[string]func(io.Writer, []checks.Check) error{
	"text":     checks.WriteText,
	"json":     checks.WriteJSON,
	"markdown": checks.WriteMarkdown,
}

// runChecks prints the check registry: a table for people, a JSON array for
// tools, or the Markdown of docs/checks.md (make docs writes it). It reports
// no findings, so it exits 0, or 2 on a usage error.
func runChecks(_ context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "checks", "[--format text|json|markdown]")
	format := fs.String("format", "text", "output format: text, json or markdown")
	if done, code := parseFlags(env, fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(env, "checks", "unexpected argument %q", fs.Arg(0))
	}
	write, ok := checkWriters[strings.ToLower(strings.TrimSpace(*format))]
	if !ok {
		return usageError(env, "checks", "--format must be text, json or markdown, not %q", *format)
	}
	if err := write(env.stdout, checks.All()); err != nil {
		fmt.Fprintf(env.stderr, "selfaudit checks: write output: %v\n", err)
		return exitUsage
	}
	return exitOK
}
