// Command selfaudit runs selfaudit's engines from a laptop or a CI job: the
// same code the Lambda functions run, with the operator's own credentials.
//
// Exit codes (docs/architecture.md, "Command line and exit codes"): 0
// nothing at or above --fail-on, 1 findings at or above it, 2 usage or input
// error with one line on stderr. Commands that report no findings (checks)
// exit 0 or 2.
//
// # Remembered findings
//
// With --state-table NAME, scan, iam, lambda and trail keep their findings
// in the finding store (package shared/findingstore), a DynamoDB table with
// the stack's layout that the command creates when it does not exist, so a
// laptop starts with one flag; AWS_ENDPOINT_URL_DYNAMODB points it at a
// local DynamoDB. Without the flag a command keeps no state and its output
// is as it always was.
//
// Each run declares what it read, and resolves only there:
//
//	scan    the files scanned (scanner selfaudit-scan), named as given or
//	        as found in a folder, so a repeated scan must name them the
//	        same way; findings about roles (those of an account
//	        authorization details file) are remembered but not resolved,
//	        since the file does not say which roles it covers
//	iam     the account from sts:GetCallerIdentity and the region (scanner
//	        iam-wildcard-scanner, or iam-wildcard-scanner-all-roles with
//	        --all-roles, which judges roles the default scan does not); a
//	        role, policy or function it could not read is a gap whose
//	        findings are neither confirmed nor resolved
//	lambda  the account and region (scanner lambda-fleet-auditor); an
//	        invoked function whose REPORT lines were not read is a gap,
//	        since its memory could not be judged
//	trail   nothing: CloudTrail findings are events, which a later run
//	        that does not see them cannot resolve. Each is recorded and
//	        closed at once, so it never stands in the table for good and
//	        expires with the store's retention of resolved findings; one
//	        read again (the same file, an overlapping --lookup window) is
//	        reported OPEN, one the table does not know NEW.
//
// The IAM and fleet scanner names are those of the stack's functions, so a
// run from a laptop and the scheduled run agree about one table.
//
// Output gains, per finding, status (NEW, OPEN, REOPENED, or RESOLVED for
// the findings of the scope the run no longer saw, listed after the
// others), firstSeen and lastSeen. Text output leads with "N new, N
// reopened, N open, N resolved"; JSON adds those three fields to each
// finding and a statusSummary beside summary, which counts only the
// findings that stand; SARIF lists the standing findings with status,
// firstSeen and lastSeen in each result's properties and baselineState
// new or unchanged (a resolved finding is left out, which is how code
// scanning closes an alert). --fail-on never counts resolved findings, and
// with --new-only it counts only NEW and REOPENED ones, so a pipeline gates
// on what a change introduced; --new-only without --state-table is a usage
// error.
//
// # Suppressions and baselines
//
// scan, iam, trail, lambda and audit read suppressions (package
// shared/suppress) from --config FILE, or ./selfaudit.yaml when it exists,
// and scan also from the Metadata of each template resource (selfaudit's
// own, and cfn_nag's and checkov's for the rules that mean the same). A
// suppressed finding is listed SUPPRESSED with its suppression; with
// --state-table it is recorded SUPPRESSED. --baseline FILE, an earlier
// --format json output of either shape, lists the findings whose id it
// holds BASELINE. Neither ever counts for --fail-on. Notes name the
// suppressions that expired or matched nothing; --strict-suppressions
// makes the latter an error (exit 2, after the report). Every format is
// written from one list of findings.Tracked (report.go), so a run with
// statuses from a state table, a suppression file or a baseline reads
// alike in text, JSON and SARIF, and one without any is the plain report.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"golang.org/x/term"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

// command is one subcommand. Each lives in its own file and registers itself
// in commands, so subcommands can be added without touching this file.
type command struct {
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) int
}

// cliEnv is what a subcommand may touch of the outside world; tests replace
// it to run commands in-process.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// stderrIsTerminal enables progress output for long work.
	stderrIsTerminal bool
	getenv           func(string) string
}

var commands = map[string]command{}

func register(name string, c command) { commands[name] = c }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, stderrIsTerminal: isTerminal(os.Stderr), getenv: os.Getenv}
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "selfaudit: unknown command %q (see selfaudit --help)\n", args[0])
		return exitUsage
	}
	return c.run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: selfaudit COMMAND [flags] [args]")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "Run 'selfaudit COMMAND --help' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error.")
	fmt.Fprintln(w, "scan, iam, lambda and trail remember findings with --state-table NAME (a DynamoDB table, created when missing).")
}

// isTerminal says whether f is a terminal (not merely a character device:
// /dev/null is one too, and a progress line has no business there).
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
