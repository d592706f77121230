package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/replay"
)

// fakeReplayer records the request it was given and answers as told.
type fakeReplayer struct {
	got replay.Request
	res replay.Result
	err error
}

func (f *fakeReplayer) Run(_ context.Context, req replay.Request) (replay.Result, error) {
	f.got = req
	return f.res, f.err
}

func TestHandle(t *testing.T) {
	t.Parallel()
	sample, err := os.ReadFile(filepath.Join("..", "..", "events", "dlq-replayer", "replay.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		event     string
		fake      fakeReplayer
		configErr error
		wantErr   string
		wantRes   replay.Result
	}{
		"sample event":     {event: string(sample), fake: fakeReplayer{res: replay.Result{Received: 3, Replayed: 3}}, wantRes: replay.Result{Received: 3, Replayed: 3}},
		"bad request":      {event: `{"queueUrl":""}`, wantErr: "queueUrl is required"},
		"not JSON":         {event: `nope`, wantErr: "decode JSON"},
		"engine error":     {event: string(sample), fake: fakeReplayer{res: replay.Result{Received: 1}, err: errors.New("receive failed")}, wantErr: "receive failed"},
		"some undelivered": {event: string(sample), fake: fakeReplayer{res: replay.Result{Received: 4, Replayed: 2, Failed: 2}}, wantErr: `2 messages could not be delivered and stay in the queue (result: {"received":4`},
		"misconfigured":    {event: string(sample), configErr: errors.New("PARKING_QUEUE_URL bad"), wantErr: "misconfigured"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := tc.fake
			h := &handler{engine: &fake, configErr: tc.configErr, log: zerolog.New(io.Discard)}
			res, err := h.Handle(context.Background(), json.RawMessage(tc.event))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res != tc.wantRes {
				t.Errorf("result = %+v, want %+v", res, tc.wantRes)
			}
			if fake.got.QueueURL == "" || fake.got.MaxReplays != 3 {
				t.Errorf("engine got %+v", fake.got)
			}
		})
	}
}

func TestEnvInt(t *testing.T) {
	tests := map[string]struct {
		val     string
		want    int
		wantErr bool
	}{
		"unset":    {val: "", want: 8},
		"set":      {val: "3", want: 3},
		"zero":     {val: "0", wantErr: true},
		"negative": {val: "-1", wantErr: true},
		"text":     {val: "many", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("REPLAY_WORKERS", tc.val)
			got, err := envInt("REPLAY_WORKERS", 8)
			if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
				t.Errorf("envInt = %d, %v", got, err)
			}
		})
	}
}
