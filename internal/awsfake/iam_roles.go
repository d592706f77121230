package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/selfaudit/selfaudit/internal/iamwire"
)

// cliDetails is the AWS CLI JSON of get-account-authorization-details.
type cliDetails struct {
	RoleDetailList []struct {
		Path, RoleName, RoleId, Arn string
		AssumeRolePolicyDocument    any
		RolePolicyList              []struct {
			PolicyName     string
			PolicyDocument any
		}
		AttachedManagedPolicies []struct{ PolicyName, PolicyArn string }
		PermissionsBoundary     *struct{ PermissionsBoundaryType, PermissionsBoundaryArn string }
	}
	Policies []struct {
		PolicyName, PolicyId, Arn, Path, DefaultVersionId string
		PolicyVersionList                                 []struct {
			Document         any
			VersionId        string
			IsDefaultVersion bool
		}
	}
}

// LoadDetails makes the server answer GetRole, ListRolePolicies,
// GetRolePolicy, ListAttachedRolePolicies, GetPolicy and GetPolicyVersion
// from the AWS CLI JSON of the same account the pages hold. GetRole carries
// a role's PermissionsBoundary when the JSON gives one.
func (s *IAM) LoadDetails(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var d cliDetails
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	s.details = &d
	return nil
}

func (s *IAM) serveRoleAPI(w http.ResponseWriter, action string, form url.Values) {
	if s.details == nil {
		iamError(w, http.StatusBadRequest, "InvalidAction", "not served by this test server: "+action)
		return
	}
	var body string
	switch action {
	case "GetRole", "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies":
		name := form.Get("RoleName")
		idx := -1
		for i, r := range s.details.RoleDetailList {
			if r.RoleName == name {
				idx = i
			}
		}
		if idx < 0 {
			iamError(w, http.StatusNotFound, "NoSuchEntity", "The role with name "+name+" cannot be found.")
			return
		}
		r := s.details.RoleDetailList[idx]
		switch action {
		case "GetRole":
			var boundary string
			if b := r.PermissionsBoundary; b != nil {
				boundary = fmt.Sprintf("<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType><PermissionsBoundaryArn>%s</PermissionsBoundaryArn></PermissionsBoundary>", xmlEscape(b.PermissionsBoundaryArn))
			}
			body = fmt.Sprintf("<Role><Path>%s</Path><RoleName>%s</RoleName><RoleId>%s</RoleId><Arn>%s</Arn><CreateDate>2019-08-16T17:27:59Z</CreateDate><AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument>%s</Role>",
				r.Path, r.RoleName, r.RoleId, r.Arn, iamwire.EncodeDocument(r.AssumeRolePolicyDocument), boundary)
		case "ListRolePolicies":
			var m strings.Builder
			for _, p := range r.RolePolicyList {
				fmt.Fprintf(&m, "<member>%s</member>", xmlEscape(p.PolicyName))
			}
			body = "<PolicyNames>" + m.String() + "</PolicyNames><IsTruncated>false</IsTruncated>"
		case "GetRolePolicy":
			pn := form.Get("PolicyName")
			for _, p := range r.RolePolicyList {
				if p.PolicyName == pn {
					body = fmt.Sprintf("<RoleName>%s</RoleName><PolicyName>%s</PolicyName><PolicyDocument>%s</PolicyDocument>", r.RoleName, xmlEscape(pn), iamwire.EncodeDocument(p.PolicyDocument))
				}
			}
			if body == "" {
				iamError(w, http.StatusNotFound, "NoSuchEntity", "The role policy with name "+pn+" cannot be found.")
				return
			}
		case "ListAttachedRolePolicies":
			var m strings.Builder
			for _, p := range r.AttachedManagedPolicies {
				fmt.Fprintf(&m, "<member><PolicyName>%s</PolicyName><PolicyArn>%s</PolicyArn></member>", xmlEscape(p.PolicyName), xmlEscape(p.PolicyArn))
			}
			body = "<AttachedPolicies>" + m.String() + "</AttachedPolicies><IsTruncated>false</IsTruncated>"
		}
	case "GetPolicy", "GetPolicyVersion":
		arn := form.Get("PolicyArn")
		for _, p := range s.details.Policies {
			if p.Arn != arn {
				continue
			}
			if action == "GetPolicy" {
				body = fmt.Sprintf("<Policy><PolicyName>%s</PolicyName><PolicyId>%s</PolicyId><Arn>%s</Arn><Path>%s</Path><DefaultVersionId>%s</DefaultVersionId><AttachmentCount>1</AttachmentCount><IsAttachable>true</IsAttachable></Policy>",
					xmlEscape(p.PolicyName), p.PolicyId, p.Arn, p.Path, p.DefaultVersionId)
				break
			}
			ver := form.Get("VersionId")
			for _, v := range p.PolicyVersionList {
				if v.VersionId == ver {
					body = fmt.Sprintf("<PolicyVersion><Document>%s</Document><VersionId>%s</VersionId><IsDefaultVersion>%t</IsDefaultVersion><CreateDate>2020-01-29T23:23:12Z</CreateDate></PolicyVersion>",
						iamwire.EncodeDocument(v.Document), v.VersionId, v.IsDefaultVersion)
				}
			}
		}
		if body == "" {
			iamError(w, http.StatusNotFound, "NoSuchEntity", "Policy "+arn+" was not found.")
			return
		}
	default:
		iamError(w, http.StatusBadRequest, "InvalidAction", "not served by this test server: "+action)
		return
	}
	writeQueryResult(w, iamNS, action, body)
}
