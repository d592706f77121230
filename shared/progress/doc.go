// Package progress is how a long-running engine says how far it is,
// without knowing who listens: the CLI draws a progress line on a
// terminal, a function may log, a test may count, and without a listener
// nothing happens. Engines take a Func in their options and call Report;
// they hold no terminal code.
package progress
