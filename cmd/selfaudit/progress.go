package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/selfaudit/selfaudit/shared/progress"
	"github.com/selfaudit/selfaudit/shared/replay"
)

// The progress line of the long commands (replay, trail, iam, lambda and
// scan): one line on stderr, redrawn in place, with what is done out of
// the total where the total is known, the rate and the time left; a
// spinner and a count where it is not. It is drawn only when stderr is a
// terminal and --quiet is not given, so a pipe, a file or a CI log gets
// nothing. The engines know nothing of it: they report through
// progress.Func (replay through replay.Options.Progress) and this file
// draws.
//
// The drawing is github.com/schollz/progressbar/v3: it draws one line,
// which is all a command needs, to any writer, handles an unknown total
// (a spinner with a count) as well as a known one (bar, count, rate,
// ETA), shows byte counts in units for the trail command, throttles its
// redraws, and needs only golang.org/x/term (already in the module),
// rivo/uniseg and mitchellh/colorstring. github.com/vbauerster/mpb/v8 is
// built for several bars at once, with a render goroutine and decorator
// composition that one line does not need.

// progressEvery spaces the redraws.
const progressEvery = 150 * time.Millisecond

// quietFlag adds --quiet to a command's flags.
func quietFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("quiet", false, "no progress line on stderr (there is none anyway when stderr is not a terminal)")
}

// progressLine is one command's progress line; nil draws nothing, so the
// commands call it unconditionally.
type progressLine struct {
	mu    sync.Mutex
	w     io.Writer
	width int // the terminal's columns
	cmd   string
	bar   *progressbar.ProgressBar
	total int64
	unit  string
	shown bool
	done  bool
}

// startProgress returns the command's progress line, or nil when stderr
// is not a terminal or quiet is set.
func startProgress(env *cliEnv, quiet bool, cmd string) *progressLine {
	if !env.stderrIsTerminal || quiet {
		return nil
	}
	width := 80
	if f, ok := env.stderr.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			width = w
		}
	}
	return &progressLine{w: env.stderr, width: width, cmd: cmd}
}

// fit shortens desc so that the whole line fits the terminal: a line that
// wraps cannot be redrawn in place. It also returns the bar's width.
func (p *progressLine) fit(desc string) (string, int) {
	bar := min(24, max(8, p.width/8))
	// "100% |bar| (123456/1000000, 12345 msgs/s) [1m23s:4m56s]"
	room := p.width - bar - 52
	if r := []rune(desc); len(r) > room {
		if room < 2 {
			return "", bar
		}
		desc = string(r[:room-1]) + "…"
	}
	return desc, bar
}

// newBar starts a bar for total of unit (total 0: unknown). Called with
// p.mu held.
func (p *progressLine) newBar(total int64, unit, desc string) {
	if p.bar != nil {
		p.clear()
	}
	desc, width := p.fit(desc)
	max := total
	if max <= 0 {
		max = -1
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetWidth(width),
		progressbar.OptionThrottle(progressEvery),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(total > 0),
		progressbar.OptionSetElapsedTime(true),
		// No spinner goroutine: the line is redrawn on updates only,
		// always under p.mu.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionUseANSICodes(true),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetRenderBlankState(true),
	}
	if unit == "bytes" {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit))
	}
	p.bar = progressbar.NewOptions64(max, opts...)
	p.total, p.unit, p.shown = total, unit, true
}

// clear takes the line away. Called with p.mu held.
func (p *progressLine) clear() {
	if p.bar != nil && p.shown {
		_ = p.bar.Clear()
		p.shown = false
	}
}

// Func is the listener an engine takes; nil when nothing is drawn.
func (p *progressLine) Func() progress.Func {
	if p == nil {
		return nil
	}
	return progress.Func(p.update).Throttle(progressEvery)
}

func (p *progressLine) update(u progress.Update) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	desc := p.cmd
	if u.Stage != "" {
		desc += ": " + u.Stage
	}
	if u.Detail != "" && u.Unit != "files" {
		desc += " (" + u.Detail + ")"
	}
	if p.bar == nil || u.Total != p.total || u.Unit != p.unit {
		p.newBar(u.Total, u.Unit, desc)
	}
	desc, _ = p.fit(desc)
	p.bar.Describe(desc)
	_ = p.bar.Set64(u.Done)
	p.shown = true
}

// Replay is the listener of the replay engine: received out of the
// expected total, with delivered, failed and parked messages, the queue's
// depth and the workers in the description.
func (p *progressLine) Replay() func(context.Context, replay.Progress) {
	if p == nil {
		return nil
	}
	return func(_ context.Context, pr replay.Progress) {
		if pr.Done {
			return
		}
		depth := "?"
		if pr.Depth >= 0 {
			depth = fmt.Sprint(pr.Depth)
		}
		p.update(progress.Update{Done: int64(pr.Received), Total: int64(pr.Total), Unit: "msgs",
			Detail: fmt.Sprintf("delivered %d, failed %d, parked %d, queue ~%s, %d workers", pr.Replayed, pr.Failed, pr.Parked, depth, pr.Concurrency)})
	}
}

// Writer returns a writer for what the command logs while the line is
// shown: it takes the line away, writes, and the next update draws it
// again below. Without a line it is w itself.
func (p *progressLine) Writer(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	return writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.clear()
		return w.Write(b)
	})
}

// Done takes the line away for good, before the command's own output.
func (p *progressLine) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	p.bar, p.done = nil, true
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
