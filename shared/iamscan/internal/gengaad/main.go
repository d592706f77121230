// Command gengaad turns the AWS CLI's JSON for
// GetAccountAuthorizationDetails into the XML pages IAM itself sends, so
// that tests exercise the SDK's real deserialisation: the Query protocol's
// <member> lists, RFC 3986 URL-encoded policy documents, and pagination
// with Marker and IsTruncated.
//
// Only the entities of the live scan's filter are written (users, groups,
// roles, then managed policies), in the order IAM lists them. Run it through
// `go generate ./shared/iamscan`.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/internal/iamwire"
)

func main() {
	in := flag.String("in", "", "AWS CLI JSON of get-account-authorization-details")
	out := flag.String("out", "", "folder for page-NNN.xml")
	per := flag.Int("page", 20, "items per page")
	flag.Parse()
	if err := run(*in, *out, *per); err != nil {
		fmt.Fprintln(os.Stderr, "gengaad:", err)
		os.Exit(1)
	}
}

type details struct {
	UserDetailList  []map[string]any
	GroupDetailList []map[string]any
	RoleDetailList  []map[string]any
	Policies        []map[string]any
}

func run(in, out string, per int) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var d details
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("decode %s: %w", in, err)
	}
	type item struct {
		list string
		xml  string
	}
	var items []item
	for _, u := range d.UserDetailList {
		items = append(items, item{"UserDetailList", user(u)})
	}
	for _, g := range d.GroupDetailList {
		items = append(items, item{"GroupDetailList", group(g)})
	}
	for _, r := range d.RoleDetailList {
		items = append(items, item{"RoleDetailList", role(r)})
	}
	for _, p := range d.Policies {
		items = append(items, item{"Policies", policy(p)})
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(out, "page-*.xml"))
	for _, f := range old {
		_ = os.Remove(f)
	}
	pages := (len(items) + per - 1) / per
	for p := 0; p < pages; p++ {
		chunk := items[p*per : min((p+1)*per, len(items))]
		var b strings.Builder
		b.WriteString(`<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">` + "\n")
		b.WriteString("  <GetAccountAuthorizationDetailsResult>\n")
		truncated := p < pages-1
		fmt.Fprintf(&b, "    <IsTruncated>%t</IsTruncated>\n", truncated)
		if truncated {
			fmt.Fprintf(&b, "    <Marker>%s</Marker>\n", iamwire.Marker(p+2))
		}
		for _, list := range []string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"} {
			var members []string
			for _, it := range chunk {
				if it.list == list {
					members = append(members, it.xml)
				}
			}
			if len(members) == 0 {
				fmt.Fprintf(&b, "    <%s/>\n", list)
				continue
			}
			fmt.Fprintf(&b, "    <%s>\n%s    </%s>\n", list, strings.Join(members, ""), list)
		}
		b.WriteString("  </GetAccountAuthorizationDetailsResult>\n")
		fmt.Fprintf(&b, "  <ResponseMetadata>\n    <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE%d</RequestId>\n  </ResponseMetadata>\n", p+1)
		b.WriteString("</GetAccountAuthorizationDetailsResponse>\n")
		name := filepath.Join(out, fmt.Sprintf("page-%03d.xml", p+1))
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("gengaad: %d items in %d pages of %d\n", len(items), pages, per)
	return nil
}

func role(r map[string]any) string {
	var b strings.Builder
	b.WriteString("      <member>\n")
	fields(&b, 8, r, "Path", "RoleName", "RoleId", "Arn")
	field(&b, 8, "CreateDate", isoDate(r["CreateDate"]))
	field(&b, 8, "AssumeRolePolicyDocument", encodeDoc(r["AssumeRolePolicyDocument"]))
	b.WriteString("        <InstanceProfileList/>\n")
	list(&b, 8, "RolePolicyList", r["RolePolicyList"], func(b *strings.Builder, m map[string]any) {
		field(b, 12, "PolicyName", m["PolicyName"])
		field(b, 12, "PolicyDocument", encodeDoc(m["PolicyDocument"]))
	})
	list(&b, 8, "AttachedManagedPolicies", r["AttachedManagedPolicies"], func(b *strings.Builder, m map[string]any) {
		field(b, 12, "PolicyName", m["PolicyName"])
		field(b, 12, "PolicyArn", m["PolicyArn"])
	})
	b.WriteString("        <Tags/>\n")
	b.WriteString("      </member>\n")
	return b.String()
}

func user(u map[string]any) string {
	var b strings.Builder
	b.WriteString("      <member>\n")
	fields(&b, 8, u, "Path", "UserName", "UserId", "Arn")
	field(&b, 8, "CreateDate", isoDate(u["CreateDate"]))
	inlineList(&b, "UserPolicyList", u["UserPolicyList"])
	groups, _ := u["GroupList"].([]any)
	if len(groups) == 0 {
		b.WriteString("        <GroupList/>\n")
	} else {
		b.WriteString("        <GroupList>\n")
		for _, g := range groups {
			field(&b, 10, "member", g)
		}
		b.WriteString("        </GroupList>\n")
	}
	attachedList(&b, u["AttachedManagedPolicies"])
	b.WriteString("        <Tags/>\n")
	b.WriteString("      </member>\n")
	return b.String()
}

func group(g map[string]any) string {
	var b strings.Builder
	b.WriteString("      <member>\n")
	fields(&b, 8, g, "Path", "GroupName", "GroupId", "Arn")
	field(&b, 8, "CreateDate", isoDate(g["CreateDate"]))
	inlineList(&b, "GroupPolicyList", g["GroupPolicyList"])
	attachedList(&b, g["AttachedManagedPolicies"])
	b.WriteString("      </member>\n")
	return b.String()
}

func inlineList(b *strings.Builder, name string, v any) {
	list(b, 8, name, v, func(b *strings.Builder, m map[string]any) {
		field(b, 12, "PolicyName", m["PolicyName"])
		field(b, 12, "PolicyDocument", encodeDoc(m["PolicyDocument"]))
	})
}

func attachedList(b *strings.Builder, v any) {
	list(b, 8, "AttachedManagedPolicies", v, func(b *strings.Builder, m map[string]any) {
		field(b, 12, "PolicyName", m["PolicyName"])
		field(b, 12, "PolicyArn", m["PolicyArn"])
	})
}

func policy(p map[string]any) string {
	var b strings.Builder
	b.WriteString("      <member>\n")
	fields(&b, 8, p, "PolicyName", "DefaultVersionId", "PolicyId", "Path")
	list(&b, 8, "PolicyVersionList", p["PolicyVersionList"], func(b *strings.Builder, m map[string]any) {
		field(b, 12, "Document", encodeDoc(m["Document"]))
		field(b, 12, "IsDefaultVersion", m["IsDefaultVersion"])
		field(b, 12, "VersionId", m["VersionId"])
		field(b, 12, "CreateDate", isoDate(m["CreateDate"]))
	})
	fields(&b, 8, p, "Arn", "AttachmentCount", "PermissionsBoundaryUsageCount")
	field(&b, 8, "CreateDate", isoDate(p["CreateDate"]))
	field(&b, 8, "IsAttachable", p["IsAttachable"])
	field(&b, 8, "UpdateDate", isoDate(p["UpdateDate"]))
	b.WriteString("      </member>\n")
	return b.String()
}

func list(b *strings.Builder, indent int, name string, v any, each func(*strings.Builder, map[string]any)) {
	items, _ := v.([]any)
	pad := strings.Repeat(" ", indent)
	if len(items) == 0 {
		fmt.Fprintf(b, "%s<%s/>\n", pad, name)
		return
	}
	fmt.Fprintf(b, "%s<%s>\n", pad, name)
	for _, it := range items {
		m, _ := it.(map[string]any)
		fmt.Fprintf(b, "%s  <member>\n", pad)
		each(b, m)
		fmt.Fprintf(b, "%s  </member>\n", pad)
	}
	fmt.Fprintf(b, "%s</%s>\n", pad, name)
}

// fields writes the members names of m, in that order, as elements.
func fields(b *strings.Builder, indent int, m map[string]any, names ...string) {
	for _, n := range names {
		field(b, indent, n, m[n])
	}
}

func field(b *strings.Builder, indent int, name string, v any) {
	if v == nil {
		return
	}
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case float64:
		s = fmt.Sprintf("%d", int64(t))
	default:
		s = fmt.Sprint(t)
	}
	fmt.Fprintf(b, "%s<%s>%s</%s>\n", strings.Repeat(" ", indent), name, escapeXML(s), name)
}

func escapeXML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// isoDate rewrites the CLI's "2019-12-18 19:10:08+00:00" as IAM's
// ISO 8601 "2019-12-18T19:10:08Z".
func isoDate(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	t, err := time.Parse("2006-01-02 15:04:05-07:00", s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339)
}

// encodeDoc writes a policy document as IAM does; an absent document stays
// absent.
func encodeDoc(v any) any {
	if v == nil {
		return nil
	}
	return iamwire.EncodeDocument(v)
}
