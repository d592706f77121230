package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// newFlagSet returns a flag set that reports errors instead of exiting, so
// that every usage error maps to exit code 2 with one line on stderr.
func newFlagSet(env *cliEnv, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: selfaudit %s %s\n\nflags:\n", name, synopsis)
		fs.SetOutput(env.stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args; it returns done=true with the exit code when the
// command should stop (help asked for, or a usage error). Flags may come
// after the paths as well as before them (`selfaudit scan template.yaml
// --fail-on medium`), as in most command-line tools; "--" ends the flags.
func parseFlags(env *cliEnv, fs *flag.FlagSet, args []string) (done bool, code int) {
	if err := fs.Parse(flagsFirst(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// The flag package already printed the usage.
			return true, exitOK
		}
		fmt.Fprintf(env.stderr, "selfaudit %s: %v\n", fs.Name(), err)
		return true, exitUsage
	}
	return false, 0
}

// flagsFirst reorders args so that every flag, with its value, comes
// before the positional arguments, which the flag package requires. A flag
// takes the next argument as its value unless it is a boolean flag or
// carries its value after "="; an unknown flag is kept in place for the
// flag package to report.
func flagsFirst(fs *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return append(append(flags, "--"), rest...)
}

// usageError prints one line and returns exit code 2.
func usageError(env *cliEnv, cmd, format string, a ...any) int {
	fmt.Fprintf(env.stderr, "selfaudit %s: %s\n", cmd, fmt.Sprintf(format, a...))
	return exitUsage
}

// reportFlags are the --format and --fail-on flags of every finding
// command, with --account and --region for the product of --format asff.
type reportFlags struct {
	format          string
	failOn          string
	account, region string
}

func (r *reportFlags) register(fs *flag.FlagSet, formats string) {
	fs.StringVar(&r.format, "format", "text", "output format: "+formats)
	fs.StringVar(&r.failOn, "fail-on", "high", "exit 1 when a finding is at or above: critical, high, medium, low, info or none")
	fs.StringVar(&r.account, "account", "", "the 12-digit account the findings belong to: for scan, the account the stacks are deployed to (a Lambda permission for it is the stack's own; without it every literal account ID is LMB002); for --format asff, the account of the Security Hub product (default: each finding's own, else the caller's)")
	fs.StringVar(&r.region, "region", "", "the Region of the Security Hub product for --format asff (default: each finding's own, else the configured Region)")
}

// output is how a finding command reports: the format, the severity that
// fails the run, and the account and Region that --format asff imports
// into.
type output struct {
	format          findings.Format
	min             findings.Severity
	account, region string
}

// parse validates the flags.
func (r *reportFlags) parse() (output, error) {
	format, err := findings.ParseFormat(r.format)
	if err != nil {
		return output{}, err
	}
	min, err := parseFailOn(r.failOn)
	if err != nil {
		return output{}, err
	}
	if r.account != "" && !awsid.IsAccountID(r.account) {
		return output{}, fmt.Errorf("--account %q is not a 12-digit AWS account ID", r.account)
	}
	return output{format: format, min: min, account: r.account, region: r.region}, nil
}

// findingFlags are the flags of every command that reports findings:
// --format and --fail-on, --state-table and --new-only, --config,
// --baseline and --strict-suppressions.
type findingFlags struct {
	reportFlags
	stateFlags
	policyFlags
}

// register adds the flags to fs: formats lists the output formats the
// command writes, stateScope says what a run with --state-table compares.
func (f *findingFlags) register(fs *flag.FlagSet, formats, stateScope string) {
	f.reportFlags.register(fs, formats)
	f.stateFlags.register(fs, stateScope)
	f.policyFlags.register(fs)
}

// parse parses args and validates the flags; done says the command ends
// now with code (help was shown, or a usage error printed).
func (f *findingFlags) parse(env *cliEnv, fs *flag.FlagSet, args []string) (out output, done bool, code int) {
	if done, code := parseFlags(env, fs, args); done {
		return output{}, true, code
	}
	out, err := f.reportFlags.parse()
	if err == nil {
		err = f.stateFlags.parse()
	}
	if err != nil {
		return output{}, true, usageError(env, fs.Name(), "%v", err)
	}
	return out, false, 0
}

// parseFailOn maps a --fail-on value to a severity; "none" is 0 and never
// fails the run.
func parseFailOn(s string) (findings.Severity, error) {
	if strings.EqualFold(strings.TrimSpace(s), "none") {
		return 0, nil
	}
	sev, err := findings.ParseSeverity(s)
	if err != nil {
		return 0, fmt.Errorf("--fail-on: %w", err)
	}
	return sev, nil
}
