package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
)

// simulateRun runs `selfaudit simulate args...` in-process, with policy
// files relative to testdata/simulate.
func simulateRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(context.Background(), env, append([]string{"simulate"}, args...))
	return code, out.String(), errOut.String()
}

func sim(name string) string { return filepath.Join("testdata", "simulate", name) }

type simJSON struct {
	Decision   string `json:"decision"`
	Statements []struct {
		Policy string `json:"policy"`
		Index  int    `json:"index"`
		Sid    string `json:"sid"`
		Effect string `json:"effect"`
	} `json:"statements"`
}

func TestSimulate(t *testing.T) {
	const (
		queue   = "arn:aws:sqs:us-east-1:111111111111:orders-in"
		worker  = "arn:aws:iam::111111111111:role/worker"
		partner = "arn:aws:iam::222222222222:role/partner"
	)
	cases := []struct {
		name     string
		args     []string
		code     int
		decision string
		// stmts lists "policy#index" of the deciding statements.
		stmts []string
	}{
		{"identity allow", []string{"--action", "sqs:SendMessage", "--resource", queue, "--policy", sim("app.json")}, 0, "Allowed", []string{"app.json#0"}},
		{"action case does not matter", []string{"--action", "SQS:sendmessage", "--resource", queue, "--policy", sim("app.json")}, 0, "Allowed", nil},
		{"deny in a second policy", []string{"--action", "sqs:DeleteQueue", "--resource", queue, "--policy", sim("app.json"), "--policy", sim("deny-delete.json")}, 1, "ExplicitlyDenied", []string{"deny-delete.json#0"}},
		{"not granted", []string{"--action", "sns:Publish", "--resource", "arn:aws:sns:us-east-1:111111111111:t", "--policy", sim("app.json")}, 1, "ImplicitlyDenied", nil},
		{"variable from context", []string{"--action", "dynamodb:GetItem", "--resource", "arn:aws:dynamodb:us-east-1:111111111111:table/blue-orders", "--policy", sim("app.json"), "--context", "aws:PrincipalTag/team=blue"}, 0, "Allowed", []string{"app.json#1"}},
		{"variable missing", []string{"--action", "dynamodb:GetItem", "--resource", "arn:aws:dynamodb:us-east-1:111111111111:table/blue-orders", "--policy", sim("app.json")}, 1, "ImplicitlyDenied", nil},
		{"conditions hold", []string{"--action", "lambda:InvokeFunction", "--resource", "arn:aws:lambda:us-east-1:111111111111:function:f", "--policy", sim("app.json"), "--context", "aws:SourceIp=203.0.113.9", "--context", "aws:SecureTransport=true"}, 0, "Allowed", nil},
		{"condition fails", []string{"--action", "lambda:InvokeFunction", "--resource", "arn:aws:lambda:us-east-1:111111111111:function:f", "--policy", sim("app.json"), "--context", "aws:SourceIp=198.51.100.1", "--context", "aws:SecureTransport=true"}, 1, "ImplicitlyDenied", nil},
		{"boundary caps", []string{"--action", "dynamodb:GetItem", "--resource", "arn:aws:dynamodb:us-east-1:111111111111:table/blue-x", "--policy", sim("app.json"), "--context", "aws:PrincipalTag/team=blue", "--boundary", sim("boundary-sqs.json")}, 1, "ImplicitlyDenied", nil},
		{"boundary allows", []string{"--action", "sqs:SendMessage", "--resource", queue, "--policy", sim("app.json"), "--boundary", sim("boundary-sqs.json")}, 0, "Allowed", []string{"app.json#0", "boundary-sqs.json#0"}},
		{"SCP levels all allow", []string{"--action", "sqs:SendMessage", "--resource", queue, "--policy", sim("app.json"), "--scp", sim("scp-full.json"), "--scp", sim("scp-full.json") + "," + sim("scp-no-lambda.json")}, 0, "Allowed", nil},
		{"SCP level without allow", []string{"--action", "lambda:InvokeFunction", "--resource", "arn:aws:lambda:us-east-1:111111111111:function:f", "--policy", sim("app.json"), "--context", "aws:SourceIp=203.0.113.9", "--context", "aws:SecureTransport=true", "--scp", sim("scp-full.json"), "--scp", sim("scp-no-lambda.json")}, 1, "ImplicitlyDenied", nil},
		{"SCP with set operator and Null", []string{"--action", "sqs:CreateQueue", "--resource", queue, "--policy", sim("app.json"), "--scp", sim("scp-full.json") + "," + sim("scp-tags.json"), "--context", "aws:TagKeys=env"}, 1, "ExplicitlyDenied", []string{"scp-tags.json#0"}},
		{"SCP set operator, tag given", []string{"--action", "sqs:CreateQueue", "--resource", queue, "--policy", sim("app.json"), "--scp", sim("scp-full.json") + "," + sim("scp-tags.json"), "--context", "aws:TagKeys=env", "--context", "aws:TagKeys=team", "--context", "aws:RequestTag/team=blue"}, 0, "Allowed", nil},
		{"same account: resource policy names the role", []string{"--action", "sqs:ReceiveMessage", "--resource", queue, "--principal", worker, "--policy", sim("deny-delete.json"), "--resource-policy", sim("queue-policy.json")}, 0, "Allowed", []string{"queue-policy.json#1"}},
		{"cross account: both sides", []string{"--action", "sqs:SendMessage", "--resource", queue, "--principal", partner, "--policy", sim("partner.json"), "--resource-policy", sim("queue-policy.json")}, 0, "Allowed", []string{"partner.json#0", "queue-policy.json#0"}},
		{"cross account: resource policy alone", []string{"--action", "sqs:SendMessage", "--resource", queue, "--principal", partner, "--policy", sim("deny-delete.json"), "--resource-policy", sim("queue-policy.json")}, 1, "ImplicitlyDenied", nil},
		{"session policy caps", []string{"--action", "sqs:SendMessage", "--resource", queue, "--principal", "arn:aws:sts::111111111111:assumed-role/app/s", "--policy", sim("app.json"), "--session-policy", sim("session-read.json")}, 1, "ImplicitlyDenied", nil},
		{"template role: inline policy", []string{"--action", "sqs:ReceiveMessage", "--resource", queue, "--template", sim("template.yaml"), "--role", "WorkerRole"}, 0, "Allowed", nil},
		{"template role: policy attached by Roles, deny", []string{"--action", "dynamodb:DeleteTable", "--resource", "arn:aws:dynamodb:us-east-1:123456789012:table/t", "--template", sim("template.yaml"), "--role", "WorkerRole"}, 1, "ExplicitlyDenied", nil},
		{"template role: boundary from the template", []string{"--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k", "--template", sim("template.yaml"), "--role", "WorkerRole"}, 1, "ImplicitlyDenied", nil},
		{"template role: managed policy", []string{"--action", "logs:PutLogEvents", "--resource", "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s", "--template", sim("template.yaml"), "--role", "WorkerRole"}, 0, "Allowed", nil},
		{"template function: SAM policy template", []string{"--action", "sqs:ReceiveMessage", "--resource", "arn:aws:sqs:us-east-1:123456789012:orders-in", "--template", sim("template.yaml"), "--role", "Poller"}, 0, "Allowed", nil},
		{"template function: nothing else", []string{"--action", "sqs:SendMessage", "--resource", "arn:aws:sqs:us-east-1:123456789012:orders-in", "--template", sim("template.yaml"), "--role", "Poller"}, 1, "ImplicitlyDenied", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := simulateRun(t, append(c.args, "--format", "json")...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, errOut)
			}
			var got simJSON
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if got.Decision != c.decision {
				t.Fatalf("decision %s, want %s\n%s", got.Decision, c.decision, out)
			}
			if c.stmts != nil {
				var have []string
				for _, s := range got.Statements {
					have = append(have, filepath.Base(s.Policy)+"#"+itoa(s.Index))
				}
				if strings.Join(have, " ") != strings.Join(c.stmts, " ") {
					t.Fatalf("statements %v, want %v", have, c.stmts)
				}
			}
			// Text output reaches the same decision.
			tcode, tout, _ := simulateRun(t, c.args...)
			if tcode != code || !strings.HasPrefix(tout, c.decision+": ") {
				t.Fatalf("text output (exit %d):\n%s", tcode, tout)
			}
		})
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestSimulateText(t *testing.T) {
	code, out, _ := simulateRun(t, "--action", "sqs:DeleteQueue", "--resource", "arn:aws:sqs:us-east-1:111111111111:orders-in",
		"--policy", sim("app.json"), "--policy", sim("deny-delete.json"))
	want := "ExplicitlyDenied: sqs:DeleteQueue on arn:aws:sqs:us-east-1:111111111111:orders-in by arn:aws:iam::111111111111:role/selfaudit-simulate\n" +
		"  Deny: " + sim("deny-delete.json") + ` statement 0 (Sid "NoDeletes")` + "\n"
	if code != 1 || out != want {
		t.Fatalf("exit %d, output:\n%s\nwant:\n%s", code, out, want)
	}
	_, out, _ = simulateRun(t, "--action", "sns:Publish", "--resource", "arn:aws:sns:us-east-1:111111111111:t", "--policy", sim("app.json"))
	if !strings.Contains(out, "\n  no identity-based or resource-based policy allows the request\n") {
		t.Fatalf("an implicit deny says why:\n%s", out)
	}
}

// TestSimulateTemplateNotes: what the template does not say is a note on
// stderr, not a guess.
func TestSimulateTemplateNotes(t *testing.T) {
	_, _, errOut := simulateRun(t, "--action", "sqs:ReceiveMessage", "--resource", "arn:aws:sqs:us-east-1:123456789012:orders-in",
		"--template", sim("template.yaml"), "--role", "WorkerRole")
	if !strings.Contains(errOut, "selfaudit simulate: note: ") || !strings.Contains(errOut, "ManagedPolicyArns/1: a managed policy known only at deploy time") {
		t.Fatalf("stderr:\n%s", errOut)
	}
}

func TestSimulateUsageErrors(t *testing.T) {
	q := "arn:aws:sqs:us-east-1:111111111111:orders-in"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no action", []string{"--resource", q, "--policy", sim("app.json")}, "--action is required"},
		{"bad action", []string{"--action", "SendMessage", "--resource", q, "--policy", sim("app.json")}, "want service:Action"},
		{"no resource", []string{"--action", "sqs:SendMessage", "--policy", sim("app.json")}, "--resource is required"},
		{"bad resource", []string{"--action", "sqs:SendMessage", "--resource", "orders", "--policy", sim("app.json")}, "want an ARN"},
		{"no policy", []string{"--action", "sqs:SendMessage", "--resource", q}, "give at least one --policy"},
		{"bad account", []string{"--action", "sqs:SendMessage", "--resource", q, "--policy", sim("app.json"), "--resource-account", "12"}, "12-digit"},
		{"bad context", []string{"--action", "sqs:SendMessage", "--resource", q, "--policy", sim("app.json"), "--context", "novalue"}, "want KEY=VALUE"},
		{"bad format", []string{"--action", "sqs:SendMessage", "--resource", q, "--policy", sim("app.json"), "--format", "sarif"}, "want text or json"},
		{"invalid policy names the file", []string{"--action", "sqs:SendMessage", "--resource", q, "--policy", sim("broken.json")}, "broken.json: invalid policy document"},
		{"missing file names it", []string{"--action", "sqs:SendMessage", "--resource", q, "--policy", sim("absent.json")}, "absent.json"},
		{"invalid SCP names the file", []string{"--action", "sqs:SendMessage", "--resource", q, "--policy", sim("app.json"), "--scp", sim("broken.json")}, "broken.json"},
		{"template without role", []string{"--action", "sqs:SendMessage", "--resource", q, "--template", sim("template.yaml")}, "--template needs --role"},
		{"unknown logical ID", []string{"--action", "sqs:SendMessage", "--resource", q, "--template", sim("template.yaml"), "--role", "Nope"}, `template.yaml: no resource "Nope"`},
		{"not a role", []string{"--action", "sqs:SendMessage", "--resource", q, "--template", sim("template.yaml"), "--role", "Boundary"}, "is a AWS::IAM::ManagedPolicy"},
		{"not a template", []string{"--action", "sqs:SendMessage", "--resource", q, "--template", sim("app.json"), "--role", "R"}, "app.json: not a CloudFormation"},
		{"role and policy", []string{"--action", "sqs:SendMessage", "--resource", q, "--policy", sim("app.json"), "--role", "R"}, "not both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := simulateRun(t, c.args...)
			if code != 2 || out != "" {
				t.Fatalf("exit %d, stdout %q", code, out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "selfaudit simulate: ") || !strings.Contains(errOut, c.want) {
				t.Fatalf("stderr %q, want one line with %q", errOut, c.want)
			}
		})
	}
}

// TestSimulateLiveRole reads a role's inline and attached policies and its
// permissions boundary from the IAM fake.
func TestSimulateLiveRole(t *testing.T) {
	fi, err := awsfake.NewIAM(filepath.Join(testenv.ModuleRoot(t), "shared", "iamscan", "testdata", "gaad"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fi.LoadDetails(sim("account.json")); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTESTTESTTESTTEST", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": ""} {
		t.Setenv(k, v)
	}
	awsfake.Serve(t, fi).Setenv(t)
	cases := []struct {
		action, resource string
		code             int
		decision         string
		stmts            int
	}{
		// inline policy and boundary allow
		{"sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:q", 0, "Allowed", 2},
		// the attached policy's default version (v2) and the boundary allow
		{"dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111111111111:table/t", 0, "Allowed", 2},
		// v2 allows it, the boundary does not
		{"dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111111111111:table/t", 1, "ImplicitlyDenied", 0},
		// only the non-default version v1 would allow it
		{"s3:GetObject", "arn:aws:s3:::b/k", 1, "ImplicitlyDenied", 0},
	}
	for _, c := range cases {
		code, out, errOut := simulateRun(t, "--action", c.action, "--resource", c.resource, "--role", "worker", "--format", "json")
		var got simJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != c.code || got.Decision != c.decision || len(got.Statements) != c.stmts {
			t.Fatalf("%s: exit %d, %s %s", c.action, code, out, errOut)
		}
	}
	code, _, errOut := simulateRun(t, "--action", "sqs:SendMessage", "--resource", "arn:aws:sqs:us-east-1:111111111111:q", "--role", "nobody")
	if code != 2 || !strings.Contains(errOut, "role nobody") || !strings.Contains(errOut, "NoSuchEntity") {
		t.Fatalf("unknown role: exit %d, %s", code, errOut)
	}
}
