// Command selfaudit runs selfaudit's engines from a laptop or a CI job: the
// same code the Lambda functions run, with the operator's own credentials.
//
// Exit codes (docs/architecture.md, "Command line and exit codes"): 0
// nothing at or above --fail-on, 1 findings at or above it, 2 usage or input
// error with one line on stderr. Commands that report no findings (checks)
// exit 0 or 2.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
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
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
