package cfntemplate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, every
// error must name the file on one line, and a loaded template's sources
// and lines must be computable.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Resources:\n  A:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies: !If [C, [{PolicyDocument: {Statement: []}}], !Ref AWS::NoValue]\n"))
	f.Add([]byte("Resources: {A: {Type: AWS::Lambda::Permission, Properties: {Principal: !Sub '${AWS::AccountId}'}}}"))
	f.Add([]byte("a: &x [*x]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz/template.yaml"
		file, err := Load(name, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), name+": ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error not one line naming the file: %q", err)
			}
			return
		}
		_ = file.Value()
		for _, s := range file.Sources() {
			_ = file.Line(s.Pointer + "/Statement/0")
			_ = file.Line(s.Pointer)
		}
	})
}
