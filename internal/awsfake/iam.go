package awsfake

import (
	"cmp"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/selfaudit/selfaudit/internal/iamwire"
)

// IAM fakes IAM in its Query protocol (form-encoded requests, XML
// answers, policy documents URL-encoded as IAM sends them):
// GetAccountAuthorizationDetails from pre-generated XML pages
// (page-001.xml, ...) whose Markers are IAMMarker(n), and, after
// LoadDetails, GetRole, ListRolePolicies, GetRolePolicy,
// ListAttachedRolePolicies, GetPolicy and GetPolicyVersion. Errors are
// IAM's ErrorResponse documents; an override's Call.Resource is the
// RoleName or PolicyArn of the request.
type IAM struct {
	base
	pages [][]byte
	// details answers the per-role operations (see LoadDetails).
	details *cliDetails
	// WantFilter, when set, is the Filter the caller must send.
	WantFilter []string
}

const iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"

// Service implements Fake.
func (*IAM) Service() string { return "IAM" }

// EndpointVar implements Fake.
func (*IAM) EndpointVar() string { return "AWS_ENDPOINT_URL_IAM" }

func iamErr(w http.ResponseWriter, e *APIError, op string) {
	writeQueryError(w, iamNS, e.Status, e.Type, e.message(op))
}

// NewIAM loads the pages of dir.
func NewIAM(dir string) (*IAM, error) {
	files, err := filepath.Glob(filepath.Join(dir, "page-*.xml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no GetAccountAuthorizationDetails pages in %s", dir)
	}
	sort.Strings(files)
	s := &IAM{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s.pages = append(s.pages, b)
	}
	return s, nil
}

// Pages is the number of pages served.
func (s *IAM) Pages() int { return len(s.pages) }

// IAMMarker is the continuation token of page n (1-based), as
// shared/iamscan/internal/gengaad writes it into the pages.
func IAMMarker(n int) string { return iamwire.Marker(n) }

func (s *IAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		iamError(w, http.StatusBadRequest, "MalformedInput", err.Error())
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		iamError(w, http.StatusBadRequest, "MalformedInput", "content type "+ct+", want application/x-www-form-urlencoded")
		return
	}
	action := r.PostForm.Get("Action")
	if !s.admit(w, Call{Op: action, Resource: cmp.Or(r.PostForm.Get("RoleName"), r.PostForm.Get("PolicyArn")), Request: r}, iamErr) {
		return
	}
	if action != "GetAccountAuthorizationDetails" {
		s.serveRoleAPI(w, action, r.PostForm)
		return
	}
	if s.WantFilter != nil {
		var got []string
		for i := 1; ; i++ {
			v := r.PostForm.Get(fmt.Sprintf("Filter.member.%d", i))
			if v == "" {
				break
			}
			got = append(got, v)
		}
		if strings.Join(got, ",") != strings.Join(s.WantFilter, ",") {
			iamError(w, http.StatusBadRequest, "ValidationError", fmt.Sprintf("filter %v, want %v", got, s.WantFilter))
			return
		}
	}
	page := 1
	if m := r.PostForm.Get("Marker"); m != "" {
		page = 0
		for i := 2; i <= len(s.pages); i++ {
			if IAMMarker(i) == m {
				page = i
			}
		}
		if page == 0 {
			iamError(w, http.StatusBadRequest, "ValidationError", "invalid Marker")
			return
		}
	}
	w.Header().Set("Content-Type", ctXML)
	_, _ = w.Write(s.pages[page-1])
}

func iamError(w http.ResponseWriter, status int, code, msg string) {
	writeQueryError(w, iamNS, status, code, msg)
}
