package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/lambdamain"
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
		event   string
		fake    fakeReplayer
		wantErr string
		wantRes replay.Result
	}{
		"sample event":     {event: string(sample), fake: fakeReplayer{res: replay.Result{Received: 3, Replayed: 3}}, wantRes: replay.Result{Received: 3, Replayed: 3}},
		"bad request":      {event: `{"queueUrl":""}`, wantErr: "queueUrl is required"},
		"not JSON":         {event: `nope`, wantErr: "decode JSON"},
		"engine error":     {event: string(sample), fake: fakeReplayer{res: replay.Result{Received: 1}, err: errors.New("receive failed")}, wantErr: "receive failed"},
		"some undelivered": {event: string(sample), fake: fakeReplayer{res: replay.Result{Received: 4, Replayed: 2, Failed: 2}}, wantErr: `2 messages could not be delivered and stay in the queue (result: {"received":4`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := tc.fake
			var logs bytes.Buffer
			h := &handler{engine: &fake}
			res, err := h.Handle(zerolog.New(&logs).WithContext(context.Background()), json.RawMessage(tc.event))
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
			if !strings.Contains(logs.String(), "replay finished") {
				t.Errorf("no summary on the invocation's logger: %s", logs.String())
			}
		})
	}
}

// TestSetupConfiguration: a malformed option fails setup with an error
// naming the variable; lambdamain then fails every invocation with it.
func TestSetupConfiguration(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		wantErr string
	}{
		"defaults":    {env: map[string]string{}},
		"bad workers": {env: map[string]string{"REPLAY_WORKERS": "many"}, wantErr: `REPLAY_WORKERS="many"`},
		"bad parking": {env: map[string]string{"PARKING_QUEUE_URL": "parking"}, wantErr: "PARKING_QUEUE_URL"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := &lambdamain.Runtime{Name: "dlq-replayer", Getenv: func(k string) string { return tc.env[k] }, AWS: aws.Config{Region: "us-east-1"}}
			h, err := setup(rt)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || h == nil {
				t.Errorf("setup = %v, %v", h != nil, err)
			}
		})
	}
}
