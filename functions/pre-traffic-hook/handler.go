package main

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/hook"
)

// bundled holds smoke-case files shipped inside the binary, so that
// HOOK_SMOKE_FILE works with the Makefile build, which ships only bootstrap.
//
//go:embed smoke/*.json
var bundled embed.FS

// readFile reads a smoke file: an absolute path from disk, anything else
// from the bundled smoke folder.
func readFile(name string) ([]byte, error) {
	if filepath.IsAbs(name) {
		return os.ReadFile(name)
	}
	return fs.ReadFile(bundled, strings.TrimPrefix(filepath.ToSlash(name), "./"))
}

// handler adapts the Lambda event to the engine.
type handler struct {
	hook *hook.Hook
}

// Handle parses the lifecycle event and runs the hook. An event without
// both IDs cannot be answered, so it fails the invocation.
func (h *handler) Handle(ctx context.Context, raw json.RawMessage) (hook.Result, error) {
	ev, err := hook.ParseEvent(raw)
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("cannot act on the event; no status can be reported without its IDs")
		return hook.Result{}, err
	}
	return h.hook.Handle(ctx, ev)
}
