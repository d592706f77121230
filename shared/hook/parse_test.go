package hook

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		file    string
		raw     string
		wantErr bool
		wantID  string
	}{
		"lifecycle event":        {file: "events/lifecycle.json", wantID: "d-ABCDEFGH1"},
		"sample event of events": {file: "../../../events/pre-traffic-hook/lifecycle.json", wantID: "d-ABCDEFGH1"},
		"no execution id":        {file: "events/no-execution-id.json", wantErr: true},
		"bad deployment id":      {file: "events/bad-deployment-id.json", wantErr: true},
		"malformed":              {file: "events/malformed.json", wantErr: true},
		"empty":                  {raw: ``, wantErr: true},
		"null":                   {raw: `null`, wantErr: true},
		"array":                  {raw: `[]`, wantErr: true},
		"trailing data":          {raw: `{"DeploymentId":"d-ABCDEFGH1","LifecycleEventHookExecutionId":"x"} {}`, wantErr: true},
		"unknown fields ignored": {raw: `{"DeploymentId":"d-ABCDEFGH1","LifecycleEventHookExecutionId":"x","Extra":1}`, wantID: "d-ABCDEFGH1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := []byte(tc.raw)
			if tc.file != "" {
				b = readTestdata(t, tc.file)
			}
			ev, err := ParseEvent(b)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidEvent) {
					t.Fatalf("ParseEvent = %+v, %v; want ErrInvalidEvent", ev, err)
				}
				return
			}
			if err != nil || ev.DeploymentID != tc.wantID || ev.LifecycleEventHookExecutionID == "" {
				t.Fatalf("ParseEvent = %+v, %v; want deployment %s", ev, err, tc.wantID)
			}
		})
	}
}

func TestParseAppSpec(t *testing.T) {
	t.Parallel()
	replayer := Target{Resource: "DlqReplayer", Name: "selfaudit-prod-DlqReplayer-AbC123dEf456", Alias: "live", CurrentVersion: "3", TargetVersion: "4"}
	replayerARN := replayer
	replayerARN.Name = "arn:aws:lambda:us-east-1:123456789012:function:selfaudit-prod-DlqReplayer-AbC123dEf456"
	tests := map[string]struct {
		file    string
		raw     string
		want    []Target
		wantErr bool
	}{
		"SAM YAML with numeric versions": {file: "appspec/sam.yaml", want: []Target{replayer}},
		"JSON with an ARN":               {file: "appspec/sam.json", want: []Target{replayerARN}},
		"lower-case keys":                {file: "appspec/lowercase-keys.yaml", want: []Target{{Resource: "fn", Name: "hello", Alias: "live", CurrentVersion: "1", TargetVersion: "2"}}},
		"missing TargetVersion":          {file: "appspec/missing-target-version.yaml", wantErr: true},
		"ECS AppSpec":                    {file: "appspec/ecs.yaml", wantErr: true},
		"malformed YAML":                 {file: "appspec/malformed.yaml", wantErr: true},
		"truncated JSON":                 {file: "appspec/truncated.json", wantErr: true},
		"empty":                          {raw: "  \n", wantErr: true},
		"scalar document":                {raw: "hello", wantErr: true},
		"resources not a list":           {raw: "Resources: {a: 1}", wantErr: true},
		"resource not a mapping":         {raw: "Resources: [1]", wantErr: true},
		"properties not a mapping":       {raw: "Resources: [{F: {Type: AWS::Lambda::Function, Properties: 3}}]", wantErr: true},
		"anchors and aliases": {raw: "x: &n hello\nResources:\n  - F:\n      Type: AWS::Lambda::Function\n      Properties: {Name: *n, Alias: live, TargetVersion: 7}\n",
			want: []Target{{Resource: "F", Name: "hello", Alias: "live", TargetVersion: "7"}}},
		"two functions": {raw: `{"Resources":[{"A":{"Type":"AWS::Lambda::Function","Properties":{"Name":"a","Alias":"live","TargetVersion":"2"}}},{"B":{"Type":"AWS::Lambda::Function","Properties":{"Name":"b","Alias":"live","TargetVersion":"5"}}}]}`,
			want: []Target{{Resource: "A", Name: "a", Alias: "live", TargetVersion: "2"}, {Resource: "B", Name: "b", Alias: "live", TargetVersion: "5"}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := []byte(tc.raw)
			if tc.file != "" {
				b = readTestdata(t, tc.file)
			}
			spec, err := ParseAppSpec(b)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidAppSpec) {
					t.Fatalf("ParseAppSpec = %+v, %v; want ErrInvalidAppSpec", spec, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(spec.Targets, tc.want) {
				t.Errorf("targets = %+v\nwant      %+v", spec.Targets, tc.want)
			}
		})
	}
}

func TestParseSmokeCases(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		file    string
		raw     string
		want    int
		wantErr bool
	}{
		"cases file":         {file: "smoke/cases.json", want: 2},
		"bundled default":    {file: "../../../functions/pre-traffic-hook/smoke/default.json", want: 1},
		"not an array":       {raw: `{"event":{}}`, wantErr: true},
		"empty array":        {raw: `[]`, wantErr: true},
		"case with no event": {raw: `[{"name":"x"}]`, wantErr: true},
		"unknown field":      {raw: `[{"event":{},"expected":"x"}]`, wantErr: true},
		"name not a string":  {raw: `[{"event":{},"name":1}]`, wantErr: true},
		"too many":           {raw: "[" + repeatCase(21) + "]", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := []byte(tc.raw)
			if tc.file != "" {
				b = readTestdata(t, tc.file)
			}
			cs, err := ParseSmokeCases(b)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidSmokeCases) {
					t.Fatalf("ParseSmokeCases = %+v, %v; want ErrInvalidSmokeCases", cs, err)
				}
				return
			}
			if err != nil || len(cs) != tc.want {
				t.Fatalf("ParseSmokeCases = %d cases, %v; want %d", len(cs), err, tc.want)
			}
			for _, c := range cs {
				if c.Name == "" || len(c.Event) == 0 {
					t.Errorf("case %+v lacks a name or event", c)
				}
			}
		})
	}
}

func repeatCase(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ","
		}
		s += `{"event":{}}`
	}
	return s
}

func addSeeds(f *testing.F, dir string) {
	entries, err := os.ReadDir(filepath.Join("testdata", dir))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(readTestdata(f, filepath.Join(dir, e.Name())))
	}
}

func FuzzParseEvent(f *testing.F) {
	addSeeds(f, "events")
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseEvent(b)
		if err == nil && ev.Validate() != nil {
			t.Fatalf("ParseEvent accepted an invalid event %+v", ev)
		}
		if err != nil && !errors.Is(err, ErrInvalidEvent) {
			t.Fatalf("error %v does not wrap ErrInvalidEvent", err)
		}
	})
}

func FuzzParseAppSpec(f *testing.F) {
	addSeeds(f, "appspec")
	f.Fuzz(func(t *testing.T, b []byte) {
		spec, err := ParseAppSpec(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidAppSpec) {
				t.Fatalf("error %v does not wrap ErrInvalidAppSpec", err)
			}
			return
		}
		if len(spec.Targets) == 0 {
			t.Fatal("accepted an AppSpec without targets")
		}
		for _, tg := range spec.Targets {
			if tg.Name == "" || tg.Alias == "" || tg.TargetVersion == "" {
				t.Fatalf("accepted an incomplete target %+v", tg)
			}
		}
	})
}

func FuzzParseSmokeCases(f *testing.F) {
	addSeeds(f, "smoke")
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := ParseSmokeCases(b)
		if err == nil && (len(cs) == 0 || len(cs) > maxSmokeCases) {
			t.Fatalf("accepted %d cases", len(cs))
		}
	})
}
