package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Content types of the protocols the fakes speak.
const (
	ctJSON10 = "application/x-amz-json-1.0"
	ctJSON11 = "application/x-amz-json-1.1"
	ctREST   = "application/json"
	ctXML    = "text/xml"
	ctCBOR   = "application/cbor"
)

// writeAWSJSON answers an AWS JSON 1.0/1.1 call.
func writeAWSJSON(w http.ResponseWriter, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	_ = json.NewEncoder(w).Encode(v)
}

// writeAWSJSONError answers an AWS JSON call with an error: the status
// and {"__type": ..., "message": ...}.
func writeAWSJSONError(w http.ResponseWriter, contentType string, status int, typ, msg string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

// json11Error is writeAWSJSONError for AWS JSON 1.1 services, in the
// shape Faults needs.
func json11Error(w http.ResponseWriter, e *APIError, op string) {
	writeAWSJSONError(w, ctJSON11, e.Status, e.Type, e.message(op))
}

// writeREST answers a REST JSON call (Lambda).
func writeREST(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", ctREST)
	_ = json.NewEncoder(w).Encode(v)
}

// writeLambdaError answers in the Lambda REST API's error shape: the
// status, X-Amzn-ErrorType and {"Type": "User", "message": ...}.
func writeLambdaError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", ctREST)
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

func restError(w http.ResponseWriter, e *APIError, op string) {
	writeLambdaError(w, e.Status, e.Type, e.message(op))
}

// xmlEscape escapes text for an XML element.
func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// writeQueryError answers a Query protocol call (IAM, STS) with an
// ErrorResponse document.
func writeQueryError(w http.ResponseWriter, ns string, status int, code, msg string) {
	w.Header().Set("Content-Type", ctXML)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>0f2b4c1e-test</RequestId></ErrorResponse>`, ns, xmlEscape(code), xmlEscape(msg))
}

// writeQueryResult answers a Query protocol call with <ActionResponse>.
func writeQueryResult(w http.ResponseWriter, ns, action, body string) {
	w.Header().Set("Content-Type", ctXML)
	fmt.Fprintf(w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>5a1e0c9b-test</RequestId></ResponseMetadata></%sResponse>`,
		action, ns, action, body, action, action)
}

// writeCBOR answers a Smithy RPC v2 CBOR call.
func writeCBOR(w http.ResponseWriter, status int, v cbor.Map) {
	w.Header().Set("Content-Type", ctCBOR)
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(v))
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// page slices items by a numeric token.
func page[T any](items []T, token string, size int) ([]T, string) {
	start, _ := strconv.Atoi(token)
	start = max(0, min(start, len(items)))
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
