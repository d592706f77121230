package iameffect

import (
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

var testNow = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func doc(t testing.TB, js string) *iampolicy.Document {
	t.Helper()
	d, err := iampolicy.Parse([]byte(js))
	if err != nil {
		t.Fatalf("parse %s: %v", js, err)
	}
	return d
}

const (
	allowAll    = `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	allowS3     = `{"Statement":[{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	allowEscal  = `{"Statement":[{"Effect":"Allow","Action":["iam:PutRolePolicy","iam:CreatePolicyVersion","iam:PassRole"],"Resource":"*"}]}`
	denyAll     = `{"Statement":[{"Sid":"NoWay","Effect":"Deny","Action":"*","Resource":"*"}]}`
	denyS3      = `{"Statement":[{"Sid":"NoS3","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
	denyS3Del   = `{"Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}`
	denyIAM     = `{"Statement":[{"Sid":"NoIAM","Effect":"Deny","Action":"iam:*","Resource":"*"}]}`
	denyPutRole = `{"Statement":[{"Effect":"Deny","Action":"iam:PutRolePolicy","Resource":"*"}]}`
	denyMFA     = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`
	denyBucket  = `{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::secret/*"}]}`
)

func TestIssues(t *testing.T) {
	t.Parallel()
	type want struct {
		check string
		sev   findings.Severity
	}
	for _, tc := range []struct {
		name     string
		policy   string
		others   []string
		boundary string
		scps     []string
		want     []want
		dropped  string // substring of the drop reason
		evidence string // an evidence key that must be present
	}{
		{name: "no deny", policy: allowAll, want: []want{{"IAM001", findings.Critical}}, evidence: "grantedBy"},
		{name: "deny all in another policy", policy: allowAll, others: []string{denyAll}, dropped: "Deny cancels"},
		{name: "deny service", policy: allowS3, others: []string{denyS3}, dropped: "Deny cancels"},
		{name: "deny part of a service", policy: allowS3, others: []string{denyS3Del}, want: []want{{"IAM002", findings.High}}, evidence: "partlyDeniedBy"},
		{name: "deny one resource only", policy: allowS3, others: []string{denyBucket}, want: []want{{"IAM002", findings.High}}},
		{name: "conditional deny does not cancel", policy: allowAll, others: []string{denyMFA}, want: []want{{"IAM001", findings.Critical}}},
		{name: "deny removes some escalation actions", policy: allowEscal, others: []string{denyPutRole},
			want: []want{{"IAM004", findings.High}, {"IAM005", findings.High}}, evidence: "cancelledActions"},
		{name: "deny removes every escalation action", policy: allowEscal, others: []string{denyIAM}, dropped: "Deny cancels"},
		{name: "boundary read only", policy: allowAll, boundary: `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, dropped: "lets none of it through"},
		{name: "boundary caps", policy: allowAll, boundary: `{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}`,
			want: []want{{"IAM001", findings.High}}, evidence: "cappedBy"},
		{name: "boundary allows all", policy: allowAll, boundary: allowAll, want: []want{{"IAM001", findings.Critical}}},
		{name: "boundary deny", policy: allowS3, boundary: `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, dropped: "Deny cancels"},
		{name: "scp deny list", policy: allowEscal, scps: []string{denyIAM}, dropped: "Deny cancels"},
		{name: "scp allow list without iam", policy: allowEscal, scps: []string{`{"Statement":{"Effect":"Allow","Action":["s3:*","ec2:*"],"Resource":"*"}}`}, dropped: "SCP level 1"},
		{name: "contradictory StringEquals", policy: `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"},"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"blue"}}}}`, dropped: "no value of aws:principaltag/team"},
		{name: "DateLessThan in the past", policy: `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}}`, dropped: "aws:currenttime"},
		{name: "DateGreaterThan in the future still holds one day", policy: `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}}`, want: []want{{"IAM001", findings.Critical}}},
		{name: "SourceIp in an empty set", policy: `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":[]}}}}`, dropped: "aws:sourceip"},
		{name: "narrowing SourceIp lowers", policy: `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`, want: []want{{"IAM001", findings.High}}},
		{name: "disjoint numeric range", policy: `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"5"},"NumericGreaterThan":{"s3:max-keys":"10"}}}}`, dropped: "s3:max-keys"},
		{name: "open numeric interval", policy: `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericGreaterThan":{"s3:max-keys":"1"},"NumericLessThan":{"s3:max-keys":"2"}}}}`, want: []want{{"IAM001", findings.Critical}}},
		{name: "StringEquals and StringNotEquals", policy: `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"},"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}}`, dropped: "aws:requestedregion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := doc(t, tc.policy)
			set := Set{Identity: []iameval.Policy{{Name: "main", Doc: d}}, Now: testNow}
			for i, o := range tc.others {
				set.Identity = append(set.Identity, iameval.Policy{Name: "other" + string(rune('0'+i)), Doc: doc(t, o)})
			}
			if tc.boundary != "" {
				set.Boundary = &iameval.Policy{Name: "boundary", Doc: doc(t, tc.boundary)}
			}
			for _, s := range tc.scps {
				set.SCPs = append(set.SCPs, []iameval.Policy{{Name: "scp", Doc: doc(t, s)}})
			}
			issues := iampolicy.Evaluate(d, iampolicy.Identity, iampolicy.Options{})
			kept, dropped := New(set).Issues("main", d, issues)
			var got []want
			hasEvidence := false
			for _, is := range kept {
				got = append(got, want{is.Check, is.Severity})
				_, ok := is.Evidence[tc.evidence]
				hasEvidence = hasEvidence || ok
			}
			if tc.evidence != "" && !hasEvidence {
				t.Errorf("no kept issue has evidence %q: %+v", tc.evidence, kept)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("kept %v, want %v (dropped %+v)", got, tc.want, dropped)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("kept %v, want %v", got, tc.want)
				}
			}
			if tc.dropped != "" {
				if len(dropped) == 0 || !strings.Contains(dropped[0].Reason, tc.dropped) {
					t.Errorf("dropped %+v, want a reason with %q", dropped, tc.dropped)
				}
				if len(dropped) > 0 && len(dropped[0].By) == 0 && !strings.Contains(tc.dropped, "SCP") && !strings.Contains(tc.dropped, "through") {
					t.Errorf("dropped %+v names no statement", dropped[0])
				}
			}
			// The judge must not touch the shared issues.
			for _, is := range issues {
				if _, ok := is.Evidence["grantedBy"]; ok {
					t.Fatal("Issues modified its input's evidence")
				}
			}
		})
	}
}

func TestSatisfiableKnown(t *testing.T) {
	t.Parallel()
	cond := map[string]map[string][]string{"StringEquals": {"aws:PrincipalArn": {"arn:aws:iam::1:role/a"}}}
	if ok, _ := Satisfiable(cond, nil, testNow); !ok {
		t.Error("free key: want satisfiable")
	}
	if ok, _ := Satisfiable(cond, map[string][]string{"aws:principalarn": {"arn:aws:iam::1:role/b"}}, testNow); ok {
		t.Error("known other principal: want unsatisfiable")
	}
	multi := map[string]map[string][]string{"ForAnyValue:StringEquals": {"aws:TagKeys": {}}}
	if ok, _ := Satisfiable(multi, nil, testNow); !ok {
		t.Error("set operators are taken as satisfiable")
	}
	epoch := map[string]map[string][]string{"NumericLessThan": {"aws:EpochTime": {"1000"}}, "DateLessThan": {"aws:EpochTime": {"1000"}}}
	if ok, _ := Satisfiable(epoch, nil, testNow); ok {
		t.Error("EpochTime in the past: want unsatisfiable")
	}
}

func TestPossible(t *testing.T) {
	t.Parallel()
	d := doc(t, `{"Statement":[
		{"Sid":"Tagged","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/x":"y"}}},
		{"Sid":"Never","Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2001-01-01T00:00:00Z"}}},
		{"Sid":"OnlyDax","Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"dax.amazonaws.com"}}},
		{"Sid":"DenyMFA","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`)
	j := New(Set{Identity: []iameval.Policy{{Name: "p", Doc: d}}, Now: testNow})
	req := func(action string, extra map[string][]string) iameval.Decision {
		return iameval.Evaluate(iameval.Request{Principal: "arn:aws:iam::111111111111:role/r", Action: action, Resource: "arn:aws:iam::111111111111:role/t"}, j.Possible(extra)).Decision
	}
	if got := req("sts:AssumeRole", nil); got != iameval.Allowed {
		t.Errorf("satisfiable condition: %v", got)
	}
	if got := req("iam:PassRole", map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}}); got == iameval.Allowed {
		t.Errorf("PassRole to Lambda allowed through a dax-only and a past-dated grant")
	}
	if got := req("iam:PassRole", map[string][]string{"iam:PassedToService": {"dax.amazonaws.com"}}); got != iameval.Allowed {
		t.Errorf("PassRole to DAX: %v", got)
	}
}
