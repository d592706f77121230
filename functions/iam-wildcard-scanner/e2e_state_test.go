package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
)

// swappableIAM serves the IAM fake of the day: the function keeps one
// endpoint while the account it reads changes between invocations.
type swappableIAM struct{ cur atomic.Pointer[awsfake.IAM] }

func (s *swappableIAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.cur.Load().ServeHTTP(w, r)
}
func (s *swappableIAM) Service() string             { return "IAM" }
func (s *swappableIAM) EndpointVar() string         { return "AWS_ENDPOINT_URL_IAM" }
func (s *swappableIAM) Calls() *awsfake.CallCounter { return s.cur.Load().Calls() }

const (
	myRole      = "arn:aws:iam::012345678901:role/MyRole"
	myOtherRole = "arn:aws:iam::012345678901:role/MyOtherRole"
	// passRole is "iam:PassRole", in the action list of an inline policy
	// as IAM sends it: URL-encoded JSON.
	passRole = "%22iam%3APassRole%22%2C"
)

// editRoles copies the example account's GetAccountAuthorizationDetails
// pages, applying edit to the XML of each role named, and returns the
// folder.
func editRoles(t *testing.T, edits map[string]func(t *testing.T, role string) string) string {
	t.Helper()
	dir := t.TempDir()
	pages, err := filepath.Glob(testdata(t, "gaad", "page-*.xml"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("pages: %v", err)
	}
	done := map[string]bool{}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for arn, edit := range edits {
			at := strings.Index(s, "<Arn>"+arn+"</Arn>")
			if at < 0 {
				continue
			}
			end := strings.Index(s[at:], "</member>\n      <member>")
			if end < 0 {
				end = strings.Index(s[at:], "</RoleDetailList>")
			}
			s = s[:at] + edit(t, s[at:at+end]) + s[at+end:]
			done[arn] = true
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(done) != len(edits) {
		t.Fatalf("roles edited %v, want %d", done, len(edits))
	}
	return dir
}

// withoutPassRole drops iam:PassRole from the role's inline policy: the
// fix for its IAM004 finding, which leaves its IAM006 finding standing.
func withoutPassRole(t *testing.T, role string) string {
	t.Helper()
	if strings.Count(role, passRole) != 1 {
		t.Fatalf("role XML holds iam:PassRole %d times, want once", strings.Count(role, passRole))
	}
	return strings.Replace(role, passRole, "", 1)
}

// unreadableTrust gives the role a trust policy the scan cannot judge, so
// that the role becomes a part of the account the scan could not read.
func unreadableTrust(t *testing.T, role string) string {
	t.Helper()
	const open, close = "<AssumeRolePolicyDocument>", "</AssumeRolePolicyDocument>"
	i, j := strings.Index(role, open), strings.Index(role, close)
	if i < 0 || j < i {
		t.Fatal("role XML has no trust policy")
	}
	bad := url.PathEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	return role[:i+len(open)] + bad + role[j:]
}

// detailsWithoutPassRole is the AWS CLI JSON of the account, for the
// targeted reads, with iam:PassRole dropped from MyRole's inline policy.
func detailsWithoutPassRole(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(testdata(t, "cloudsplaining", "example-authz-details.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	dropped := 0
	for _, r := range d["RoleDetailList"].([]any) {
		role := r.(map[string]any)
		if role["Arn"] != myRole {
			continue
		}
		for _, p := range role["RolePolicyList"].([]any) {
			for _, st := range p.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				stm := st.(map[string]any)
				var keep []any
				for _, a := range stm["Action"].([]any) {
					if a == "iam:PassRole" {
						dropped++
						continue
					}
					keep = append(keep, a)
				}
				stm["Action"] = keep
			}
		}
	}
	if dropped != 1 {
		t.Fatalf("dropped iam:PassRole %d times, want once", dropped)
	}
	out, _ := json.Marshal(d)
	path := filepath.Join(t.TempDir(), "details.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func newIAM(t *testing.T, pages, details string) *awsfake.IAM {
	t.Helper()
	fi, err := awsfake.NewIAM(pages)
	if err != nil {
		t.Fatal(err)
	}
	fi.WantFilter = []string{"User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"}
	if err := fi.LoadDetails(details); err != nil {
		t.Fatal(err)
	}
	return fi
}

// stateResponse is what the test reads of the function's response.
type stateResponse struct {
	Findings  int                     `json:"findings"`
	Announced int                     `json:"announced"`
	Unread    int                     `json:"unread"`
	State     *findings.StatusMetrics `json:"state"`
}

// TestFindingStoreEndToEnd runs the built function under aws-lambda-rie
// with FINDINGS_TABLE_NAME naming a table in dynalite, day after day over
// the example account, and checks that the bus hears of changes only: all
// NEW on the first day, nothing on a day like the one before, one RESOLVED
// when one role is fixed, REOPENED when it is broken again, and nothing
// resolved for a role the scan could not read, in an account scan or in a
// targeted rescan denied access. When the bus refuses the day's RESOLVED
// the run fails and the next invocation announces it.
func TestFindingStoreEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function under aws-lambda-rie")
	}
	testenv.FakeAWSEnv(t)
	table := fmt.Sprintf("findings-iam-e2e-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := findingstore.CreateTable(ctx, testenv.DynaliteClient(t), table, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	bin := testenv.BuildFunction(t, "iam-wildcard-scanner")

	details := testdata(t, "cloudsplaining", "example-authz-details.json")
	account := newIAM(t, testdata(t, "gaad"), details)
	fixed := newIAM(t, editRoles(t, map[string]func(*testing.T, string) string{myRole: withoutPassRole}), details)
	unread := newIAM(t, editRoles(t, map[string]func(*testing.T, string) string{myRole: unreadableTrust, myOtherRole: withoutPassRole}), details)
	fixedDetails := newIAM(t, testdata(t, "gaad"), detailsWithoutPassRole(t))

	iam := &swappableIAM{}
	iam.cur.Store(account)
	estate, err := awsfake.LoadLambdaFixture(testdata(t, "lambda", "functions.json"))
	if err != nil {
		t.Fatal(err)
	}
	eb := awsfake.NewEventBridge()
	var refuse atomic.Bool
	eb.FailEntry = func(awsfake.Entry) (string, string) {
		if refuse.Load() {
			return "InternalFailure", "the bus is unavailable"
		}
		return "", ""
	}
	env := append(awsfake.Serve(t, iam, awsfake.NewLambda(estate), eb).Env(),
		"FINDINGS_BUS_NAME=selfaudit-findings", "SCAN_ALL_ROLES=true", "AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"AWS_ENDPOINT_URL_DYNAMODB="+testenv.DynaliteEndpoint(t), findingstore.EnvTable+"="+table)
	rie := testenv.StartRIE(t, bin, env...)

	scheduled, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "events/iam-wildcard-scanner/scheduled.json"))
	if err != nil {
		t.Fatal(err)
	}
	rescan := []byte(`{"version":"0","id":"e2e-rescan","detail-type":"Selfaudit Finding","source":"selfaudit","account":"012345678901","time":"2026-11-27T09:14:03Z","region":"us-east-1","resources":[],"detail":{"check":"CT007","resource":"` + myRole + `"}}`)

	// run invokes the function with event over the account of the day and
	// returns its response and the events it published.
	seen := 0
	run := func(day string, fake *awsfake.IAM, event []byte, wantFail bool) (stateResponse, []findings.Tracked) {
		t.Helper()
		iam.cur.Store(fake)
		inv, err := rie.Invoke(ctx, event)
		if err != nil {
			t.Fatalf("%s: %v", day, err)
		}
		if (inv.FunctionError != "") != wantFail {
			t.Fatalf("%s: function error %q, want failure %v: %s\n%s", day, inv.FunctionError, wantFail, inv.Payload, rie.Logs())
		}
		var resp stateResponse
		if !wantFail {
			if err := json.Unmarshal(inv.Payload, &resp); err != nil {
				t.Fatalf("%s: response %s: %v", day, inv.Payload, err)
			}
		}
		entries := eb.Entries()
		var events []findings.Tracked
		for _, e := range entries[seen:] {
			var tr findings.Tracked
			if err := json.Unmarshal([]byte(e.Detail), &tr); err != nil {
				t.Fatalf("%s: detail %s: %v", day, e.Detail, err)
			}
			events = append(events, tr)
		}
		seen = len(entries)
		return resp, events
	}
	// only checks that a day published exactly one event, of status on
	// check at role, and returns it.
	only := func(day string, events []findings.Tracked, status findings.Status, check, role string) findings.Tracked {
		t.Helper()
		if len(events) != 1 || events[0].Status != status || events[0].Check != check || events[0].Resource != role {
			t.Fatalf("%s: events %+v, want one %s of %s on %s", day, events, status, check, role)
		}
		return events[0]
	}

	// Day 1: every finding is new.
	resp, events := run("day 1", account, scheduled, false)
	if resp.Findings == 0 || len(events) != resp.Findings || resp.Announced != resp.Findings || resp.State == nil || resp.State.New != resp.Findings {
		t.Fatalf("day 1: response %+v, %d events", resp, len(events))
	}
	first := map[string]findings.Tracked{}
	for _, e := range events {
		if e.Status != findings.StatusNew || e.PreviousStatus != "" || e.Occurrences != 1 || e.FirstSeen.IsZero() || !e.FirstSeen.Equal(e.LastSeen) {
			t.Errorf("day 1 event %+v", e)
		}
		first[e.ID] = e
	}
	if open := resp.State.Open; open["HIGH"]+open["CRITICAL"]+open["MEDIUM"]+open["LOW"]+open["INFO"] != resp.Findings {
		t.Errorf("day 1: open gauge %v for %d findings", open, resp.Findings)
	}
	if !rie.Logged(`"NewFindings":`+fmt.Sprint(resp.Findings)) || !rie.Logged(`"OpenFindings":`) {
		t.Errorf("day 1: no status metrics in the function's output")
	}

	// The account's administrators are recorded for the CloudTrail
	// checker: in the example account, obama and, through the admin
	// group, userwithlotsofpermissions.
	items, err := testenv.DynaliteClient(t).Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, it := range items.Items {
		if id, _ := it[findingstore.AttrID].(*dbtypes.AttributeValueMemberS); id != nil && findingstore.IsAdminsKey(id.Value) {
			acct := strings.TrimPrefix(id.Value, findingstore.AdminsKey(""))
			users, _, found, err := (&findingstore.Store{Client: testenv.DynaliteClient(t), Table: table}).AdminUsers(ctx, acct, time.Now())
			if err != nil || !found {
				t.Fatalf("administrators of %s: found %v, %v", acct, found, err)
			}
			recorded = append(recorded, users...)
		}
	}
	if want := []string{"arn:aws:iam::012345678901:user/obama", "arn:aws:iam::012345678901:user/userwithlotsofpermissions"}; !slices.Equal(recorded, want) {
		t.Errorf("day 1: administrators recorded %v, want %v", recorded, want)
	}

	// Day 2: the same account: silent, though it still counts its findings.
	resp, events = run("day 2", account, scheduled, false)
	if len(events) != 0 || resp.Announced != 0 || resp.Findings != len(first) || resp.State.New+resp.State.Resolved+resp.State.Reopened != 0 {
		t.Fatalf("day 2: response %+v, events %+v; want silence", resp, events)
	}

	// Day 3: MyRole no longer passes any role, but the bus refuses the
	// RESOLVED: the run fails, and the store keeps the change pending.
	refuse.Store(true)
	_, events = run("day 3, bus down", fixed, scheduled, true)
	refuse.Store(false)
	if len(events) == 0 {
		t.Fatal("day 3, bus down: nothing was offered to the bus")
	}
	for _, e := range events {
		if e.Status != findings.StatusResolved || e.Check != "IAM004" || e.Resource != myRole {
			t.Fatalf("day 3, bus down: offered %+v, want only the RESOLVED of IAM004 on MyRole", e)
		}
	}
	if !rie.Logged("the next run in the scope announces them") {
		t.Errorf("day 3, bus down: the log does not say the changes are still to be announced")
	}

	// Day 3, the retry: the RESOLVED the bus refused, once, and nothing
	// else.
	_, events = run("day 3", fixed, scheduled, false)
	pass := only("day 3", events, findings.StatusResolved, "IAM004", myRole)
	if pass.PreviousStatus != findings.StatusOpen || pass.Occurrences != 2 || !pass.FirstSeen.Equal(first[pass.ID].FirstSeen) || !pass.LastSeen.After(pass.FirstSeen) {
		t.Errorf("day 3: resolution %+v", pass)
	}

	// Day 4: broken again: REOPENED.
	_, events = run("day 4", account, scheduled, false)
	back := only("day 4", events, findings.StatusReopened, "IAM004", myRole)
	if back.ID != pass.ID || back.PreviousStatus != findings.StatusResolved || back.Occurrences != 3 || !back.FirstSeen.Equal(pass.FirstSeen) {
		t.Errorf("day 4: reopening %+v", back)
	}

	// Day 5: MyRole cannot be read while MyOtherRole is fixed: the scan
	// fails, resolves MyOtherRole's IAM004 and nothing of MyRole's.
	_, events = run("day 5", unread, scheduled, true)
	only("day 5", events, findings.StatusResolved, "IAM004", myOtherRole)
	if !rie.Logged(`"unread":2`) {
		t.Errorf("day 5: the log does not count MyRole's two findings unread")
	}

	// Day 6: a rescan of MyRole, fixed but denied access: nothing resolved.
	fixedDetails.Override("GetRolePolicy", func(c awsfake.Call) *awsfake.APIError {
		if c.Resource == "MyRole" {
			return &awsfake.APIError{Status: http.StatusForbidden, Type: "AccessDenied", Message: "not authorized to perform iam:GetRolePolicy"}
		}
		return nil
	})
	_, events = run("day 6", fixedDetails, rescan, true)
	if len(events) != 0 {
		t.Fatalf("day 6: a denied rescan published %+v", events)
	}

	// Day 7: the rescan reads MyRole: its IAM004 alone is resolved, and
	// nothing outside the role.
	fixedDetails.Override("GetRolePolicy", nil)
	resp, events = run("day 7", fixedDetails, rescan, false)
	only("day 7", events, findings.StatusResolved, "IAM004", myRole)
	if resp.State == nil || resp.State.Open != nil {
		t.Errorf("day 7: a targeted run reported an open gauge: %+v", resp.State)
	}
	if bad := eb.Rejected(); len(bad) > 0 {
		t.Errorf("PutEvents requests refused: %v", bad)
	}
}
