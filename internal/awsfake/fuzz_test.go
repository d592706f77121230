package awsfake

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequests sends arbitrary requests to the fakes that parse paths,
// forms and JSON bodies: whatever arrives, each answers with a status and
// never panics.
func FuzzRequests(f *testing.F) {
	f.Add("GET", "/2015-03-31/functions/orders-api%3Alive/configuration", "Qualifier=2", "", "")
	f.Add("POST", "/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:x/invocations", "", `{"a":1}`, "Event")
	f.Add("GET", "/2015-03-31/functions", "FunctionVersion=ALL&Marker=-3&MaxItems=x", "", "")
	f.Add("POST", "/", "", `{"Entries":[{"Detail":"{}"}]}`, "AWSEvents.PutEvents")
	f.Add("POST", "/", "", `Action=GetRole&RoleName=a`, "")
	f.Add("POST", "/", "", `{"deploymentId":"d-1"}`, "CodeDeploy_20141006.GetDeployment")
	f.Add("POST", "/findings/import", "", `{"Findings":[{"Id":"1","Resources":[{}],"Types":[7]}]}`, "")
	estate := SampleEstate()
	lam := NewLambda(estate)
	lam.Invoke = func(_ context.Context, req InvokeRequest) InvokeResult { return InvokeResult{Payload: req.Payload} }
	fakes := []Fake{lam, NewEventBridge(), NewCodeDeploy(), NewLogs(estate), NewCloudWatch(estate), NewSSM(), NewSTS(), NewCloudTrail(), NewSecurityHub(), &IAM{pages: [][]byte{[]byte("<x/>")}}}
	f.Fuzz(func(t *testing.T, method, path, query, body, header string) {
		if method != "GET" {
			method = "POST"
		}
		for _, fk := range fakes {
			for _, ct := range []string{"application/x-amz-json-1.1", "application/x-www-form-urlencoded", "application/json"} {
				r, err := http.NewRequest(method, "http://fake"+path+"?"+query, strings.NewReader(body))
				if err != nil || !strings.HasPrefix(r.URL.Path, "/") {
					return
				}
				r.Header.Set("X-Amz-Target", header)
				r.Header.Set("X-Amz-Invocation-Type", header)
				r.Header.Set("Content-Type", ct)
				w := httptest.NewRecorder()
				fk.ServeHTTP(w, r)
				if w.Code < 200 || w.Code > 599 {
					t.Fatalf("%s answered status %d", fk.Service(), w.Code)
				}
			}
		}
	})
}
