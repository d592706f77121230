package replay

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	const queue = "https://sqs.us-east-1.amazonaws.com/123456789012/parking"
	tests := map[string]struct {
		env     map[string]string
		want    Options
		wantErr []string
	}{
		"defaults":     {env: map[string]string{}, want: Options{MaxWorkers: DefaultMaxWorkers, SafetyMargin: DefaultSafetyMargin}},
		"set":          {env: map[string]string{EnvWorkers: "3", EnvMaxWorkers: "16", EnvSafetyMargin: "20", EnvParkingQueue: queue}, want: Options{Workers: 3, MaxWorkers: 16, SafetyMargin: 20 * time.Second, ParkingQueue: queue}},
		"zero workers": {env: map[string]string{EnvWorkers: "0"}, want: Options{MaxWorkers: DefaultMaxWorkers, SafetyMargin: DefaultSafetyMargin}},
		"zero max":     {env: map[string]string{EnvMaxWorkers: "0"}, wantErr: []string{`REPLAY_MAX_WORKERS="0"`}},
		"text margin":  {env: map[string]string{EnvSafetyMargin: "many"}, wantErr: []string{"REPLAY_SAFETY_MARGIN_SECONDS"}},
		"bad queue":    {env: map[string]string{EnvParkingQueue: "parking"}, wantErr: []string{`PARKING_QUEUE_URL="parking": want an SQS queue URL or ARN`}},
		"every error":  {env: map[string]string{EnvWorkers: "-1", EnvParkingQueue: "x"}, wantErr: []string{"REPLAY_WORKERS", "PARKING_QUEUE_URL"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := OptionsFromEnv(func(k string) string { return tc.env[k] })
			if len(tc.wantErr) > 0 {
				for _, want := range tc.wantErr {
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("err = %v, want %q", err, want)
					}
				}
				return
			}
			if got.Progress == nil || got.ProgressEvery != FunctionProgressEvery {
				t.Errorf("progress every %v (func set: %v), want log lines every %v", got.ProgressEvery, got.Progress != nil, FunctionProgressEvery)
			}
			got.Progress, got.ProgressEvery = nil, 0
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("options %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
