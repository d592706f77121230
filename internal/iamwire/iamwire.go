package iamwire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// EncodeDocument writes a policy document as IAM does: JSON,
// percent-encoded per RFC 3986 (every byte outside the unreserved set, so
// ":" is %3A and a space %20, never "+"). A value that is not JSON gives "".
func EncodeDocument(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, c := range raw {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// Marker is the opaque continuation token of page n (1-based) of
// GetAccountAuthorizationDetails, which the IAM fake maps back to a page.
func Marker(n int) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("selfaudit-gaad-page-%d", n)))
}
