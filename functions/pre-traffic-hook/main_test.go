package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/hook"
)

func TestBundledSmokeFile(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		name    string
		wantErr bool
	}{
		"relative path":     {name: "smoke/default.json"},
		"dot-relative path": {name: "./smoke/default.json"},
		"missing file":      {name: "smoke/nope.json", wantErr: true},
		"absolute, missing": {name: "/nonexistent/smoke.json", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := readFile(tc.name)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cs, err := hook.ParseSmokeCases(b); err != nil || len(cs) != 1 {
				t.Fatalf("bundled cases = %v, %v", cs, err)
			}
		})
	}
}

func TestHandleRejectsUnanswerableEvents(t *testing.T) {
	t.Parallel()
	h := &handler{hook: &hook.Hook{}, log: zerolog.New(io.Discard)}
	_, err := h.Handle(context.Background(), json.RawMessage(`{"DeploymentId":"d-ABCDEFGH1"}`))
	if !errors.Is(err, hook.ErrInvalidEvent) {
		t.Fatalf("err = %v, want ErrInvalidEvent", err)
	}
}
