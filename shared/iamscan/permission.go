package iamscan

import (
	"fmt"
	"strings"
)

// PermissionDocument turns the properties of an AWS::Lambda::Permission
// (Action, Principal, FunctionName, SourceArn, SourceAccount,
// PrincipalOrgID, FunctionUrlAuthType) into the resource-policy statement
// Lambda adds for it, in the shape GetPolicy returns: the source ARN under
// ArnLike AWS:SourceArn, the account and organisation under StringEquals.
// That lets one set of checks (LMB001 to LMB003) judge templates and live
// functions alike.
func PermissionDocument(p map[string]any) map[string]any {
	st := map[string]any{"Effect": "Allow"}
	if a := p["Action"]; a != nil {
		st["Action"] = placeholder(a)
	} else {
		st["Action"] = "lambda:InvokeFunction"
	}
	if fn := p["FunctionName"]; fn != nil {
		st["Resource"] = placeholder(fn)
	} else {
		st["Resource"] = "${FunctionName}"
	}
	principal := placeholder(p["Principal"])
	switch {
	case principal == "*":
		st["Principal"] = "*"
	case strings.HasSuffix(principal, ".amazonaws.com") || strings.HasSuffix(principal, ".amazonaws.com.cn"):
		st["Principal"] = map[string]any{"Service": principal}
	case principal == "":
		st["Principal"] = map[string]any{"AWS": "${Principal}"}
	default:
		st["Principal"] = map[string]any{"AWS": principal}
	}
	cond := map[string]any{}
	equals := map[string]any{}
	if v := p["SourceArn"]; v != nil {
		cond["ArnLike"] = map[string]any{"AWS:SourceArn": placeholder(v)}
	}
	if v := p["SourceAccount"]; v != nil {
		equals["AWS:SourceAccount"] = placeholder(v)
	}
	if v := p["PrincipalOrgID"]; v != nil {
		equals["aws:PrincipalOrgID"] = placeholder(v)
	}
	if v := p["FunctionUrlAuthType"]; v != nil {
		equals["lambda:FunctionUrlAuthType"] = placeholder(v)
	}
	if len(equals) > 0 {
		cond["StringEquals"] = equals
	}
	if len(cond) > 0 {
		st["Condition"] = cond
	}
	return map[string]any{"Version": "2012-10-17", "Statement": []any{st}}
}

// placeholder renders a property as a string: a literal as itself, an
// intrinsic as a ${...} placeholder naming what it refers to. A value that
// is only known at deploy time still names one thing, which is what the
// checks need to know.
func placeholder(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case map[string]any:
		if len(t) == 1 {
			for k, arg := range t {
				switch k {
				case "Ref":
					return "${" + fmt.Sprint(arg) + "}"
				case "Fn::Sub":
					if s, ok := arg.(string); ok {
						return s
					}
					if l, ok := arg.([]any); ok && len(l) > 0 {
						if s, ok := l[0].(string); ok {
							return s
						}
					}
				case "Fn::GetAtt":
					if l, ok := arg.([]any); ok {
						parts := make([]string, 0, len(l))
						for _, e := range l {
							parts = append(parts, fmt.Sprint(e))
						}
						return "${" + strings.Join(parts, ".") + "}"
					}
				}
				return "${" + k + "}"
			}
		}
		return "${intrinsic}"
	}
	return fmt.Sprint(v)
}
