package iamwire

import (
	"encoding/base64"
	"net/url"
	"testing"
)

func TestEncodeDocument(t *testing.T) {
	for name, tc := range map[string]struct {
		doc  any
		want string
	}{
		"unreserved bytes stay": {map[string]any{"a-b.c_d~": "x"}, "%7B%22a-b.c_d~%22%3A%22x%22%7D"},
		"space is %20":          {"a b", "%22a%20b%22"},
		"not JSON":              {make(chan int), ""},
	} {
		t.Run(name, func(t *testing.T) {
			got := EncodeDocument(tc.doc)
			if got != tc.want {
				t.Fatalf("EncodeDocument(%v) = %q, want %q", tc.doc, got, tc.want)
			}
			if tc.want == "" {
				return
			}
			if _, err := url.PathUnescape(got); err != nil {
				t.Fatalf("%q does not unescape: %v", got, err)
			}
		})
	}
}

func TestMarker(t *testing.T) {
	raw, err := base64.StdEncoding.DecodeString(Marker(2))
	if err != nil || string(raw) != "selfaudit-gaad-page-2" {
		t.Fatalf("Marker(2) decodes to %q, %v", raw, err)
	}
	if Marker(2) == Marker(3) {
		t.Fatal("pages share a marker")
	}
}
