package secretscan

import (
	"fmt"
	"strings"
	"testing"
)

func TestCheckFlagsSecrets(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		key, value string
		want       string
	}{
		"password literal":         {"DB_PASSWORD", "hunter2", ReasonSecretKeyName},
		"camel case password":      {"dbPassword", "s3cr3t!", ReasonSecretKeyName},
		"secret literal":           {"CLIENT_SECRET", "abc", ReasonSecretKeyName},
		"token literal":            {"SLACK_TOKEN", "not-a-real-token", ReasonSecretKeyName},
		"api key literal":          {"API_KEY", "12ab-34cd", ReasonSecretKeyName},
		"apikey one word":          {"STRIPE_APIKEY", "live-key", ReasonSecretKeyName},
		"private key name":         {"PRIVATE_KEY", "abcdef", ReasonSecretKeyName},
		"aws access key id":        {"SOME_VAR", "AKIAIOSFODNN7EXAMPLE", ReasonAWSAccessKey},
		"temporary access key id":  {"X", "id=ASIAY34FZKBOKMUTVV7A", ReasonAWSAccessKey},
		"aws secret key by name":   {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ReasonSecretKeyName},
		"aws secret key by value":  {"BLOB", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ReasonHighEntropy},
		"random base64url":         {"SIGNATURE_SEED", "q8Zr3kP0vX9mN2bL7tYw4sJ1hG6fD5cA", ReasonHighEntropy},
		"pem private key":          {"CERT", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...", ReasonPrivateKey},
		"github token":             {"GH", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", ReasonKnownToken},
		"slack token":              {"HOOK_CFG", "xoxb-123456789012-abcdefghij", ReasonKnownToken},
		"stripe live key":          {"PAY", "sk_live_abcdefghijklmnop1234", ReasonKnownToken},
		"jwt":                      {"AUTH_HEADER_VALUE", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijk", ReasonKnownToken},
		"url with password":        {"DATABASE_URL", "postgres://app:hunter2@db.internal:5432/app", ReasonURLCredentials},
		"connection string":        {"CONN", "Server=db;User Id=app;Password=hunter2;", ReasonPasswordAssignment},
		"password name, path-less": {"PASSWORD", "prod/db", ReasonSecretKeyName},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := Check(tc.key, tc.value)
			if !ok || got != tc.want {
				t.Errorf("Check(%q, …) = %q, %v; want %q", tc.key, got, ok, tc.want)
			}
		})
	}
}

func TestCheckNoFalseAlarms(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ key, value string }{
		"ssm dynamic reference":       {"DB_PASSWORD", "{{resolve:ssm:/prod/db/password:3}}"},
		"ssm secure reference":        {"DB_PASSWORD", "{{resolve:ssm-secure:/prod/db/password:1}}"},
		"secrets manager reference":   {"API_KEY", "{{resolve:secretsmanager:prod/api:SecretString:key}}"},
		"secrets manager arn":         {"CLIENT_SECRET", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/api-AbC123"},
		"secrets manager arn gov":     {"TOKEN", "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x-1a2B3c"},
		"ssm parameter arn":           {"SECRET", "arn:aws:ssm:us-east-1:123456789012:parameter/prod/token"},
		"extension reference path":    {"DB_PASSWORD", "/aws/reference/secretsmanager/prod/db"},
		"ssm parameter name":          {"API_TOKEN", "/selfaudit/prod/api-token"},
		"ssm prefix":                  {"API_TOKEN", "ssm:/selfaudit/prod/api-token"},
		"secret arn variable":         {"DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"},
		"secret name variable":        {"DB_SECRET_NAME", "prod/db-credentials"},
		"token parameter variable":    {"TOKEN_PARAMETER", "prod-token"},
		"password length policy":      {"PASSWORD_MIN_LENGTH", "12"},
		"token ttl number":            {"TOKEN_TTL", "3600"},
		"token ttl duration":          {"TOKEN_TTL", "15m"},
		"secret rotation flag":        {"SECRET_ROTATION_ENABLED", "true"},
		"token endpoint":              {"TOKEN", "https://auth.example.com/oauth2/token"},
		"empty password":              {"PASSWORD", ""},
		"plain url":                   {"API_BASE_URL", "https://api.example.com/v1/items?limit=50"},
		"url with user only":          {"REPO", "https://git@github.com/org/repo"},
		"boolean":                     {"FEATURE_X", "false"},
		"number":                      {"BATCH_SIZE", "100"},
		"region":                      {"REGION", "eu-central-1"},
		"log level":                   {"LOG_LEVEL", "DEBUG"},
		"table name":                  {"TABLE_NAME", "selfaudit-prod-BaselinesTable-1R2D3X4Y5Z6AB"},
		"cfn generated queue":         {"QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/selfaudit-prod-ReplayDlq-Z9Y8X7W6V5U4"},
		"bucket name":                 {"BUCKET", "selfaudit-artifacts-123456789012-us-east-1"},
		"uuid":                        {"TENANT_ID", "3f1c2a9e-7b4d-4e8a-9c0f-1a2b3c4d5e6f"},
		"git sha":                     {"BUILD_SHA", "9fceb02d0ae598e95dc970b74767f19372d61af8"},
		"camel case identifier":       {"HANDLER", "com.example.orders.OrderCreatedHandlerFunction"},
		"sentence":                    {"GREETING", "Hello from the selfaudit stack, version 2"},
		"lambda arn":                  {"TARGET", "arn:aws:lambda:us-east-1:123456789012:function:selfaudit-prod-DlqReplayer-AbCdEf123456:live"},
		"sns topic arn":               {"TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:selfaudit-alerts"},
		"event bus name":              {"FINDINGS_BUS_NAME", "selfaudit-findings"},
		"auth mode":                   {"AUTH_MODE", "iam"},
		"cache key is not a secret":   {"CACHE_KEY", "orders-v2"},
		"s3 key":                      {"S3_KEY", "reports/2026/11/summary.json"},
		"kms key id":                  {"KMS_KEY_ID", "alias/selfaudit"},
		"api key header name":         {"API_KEY_HEADER", "x-api-key"},
		"json config":                 {"CONFIG", `{"retries":3,"mode":"standard"}`},
		"timestamp":                   {"RELEASED_AT", "2026-11-27T10:00:00Z"},
		"go runtime flag":             {"GODEBUG", "http2client=0"},
		"token none":                  {"TOKEN", "none"},
		"powertools service":          {"POWERTOOLS_SERVICE_NAME", "dlqReplayer"},
		"otel resource":               {"OTEL_RESOURCE_ATTRIBUTES", "service.name=replayer,deployment.environment=prod"},
		"java tool options":           {"JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1"},
		"test credentials of the SDK": {"EXAMPLE", "AKIDTESTTESTTESTTEST"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if r, ok := Check(tc.key, tc.value); ok {
				t.Errorf("Check(%q, %q) flagged it: %s", tc.key, tc.value, r)
			}
		})
	}
}

func TestScanNeverReturnsTheValue(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-very-secret"
	got := Scan(map[string]string{"DB_PASSWORD": secret, "LOG_LEVEL": "info", "A_TOKEN": "abc"})
	if len(got) != 2 || got[0].Key != "A_TOKEN" || got[1].Key != "DB_PASSWORD" {
		t.Fatalf("Scan = %v, want A_TOKEN then DB_PASSWORD", got)
	}
	for _, m := range got {
		if strings.Contains(m.String(), secret) || strings.Contains(fmt.Sprintf("%+v", m), secret) {
			t.Errorf("match %v carries the value", m)
		}
	}
	if Scan(nil) != nil {
		t.Errorf("Scan(nil) should be nil")
	}
}

func TestSplitName(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   string
		want string
	}{
		"snake":  {"DB_PASSWORD", "DB PASSWORD"},
		"camel":  {"dbPassword", "DB PASSWORD"},
		"dotted": {"app.api-key", "APP API KEY"},
		"empty":  {"", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := strings.Join(splitName(tc.in), " "); got != tc.want {
				t.Errorf("splitName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("DB_PASSWORD", "hunter2")
	f.Add("X", "AKIAIOSFODNN7EXAMPLE")
	f.Add("URL", "postgres://a:b@c/d")
	f.Add("T", "{{resolve:ssm:/x}}")
	f.Fuzz(func(t *testing.T, key, value string) {
		r, ok := Check(key, value)
		if ok == (r == "") {
			t.Fatalf("Check(%q, %q) = %q, %v: reason and flag disagree", key, value, r, ok)
		}
		if ok && value != "" && strings.Contains(r, value) {
			t.Fatalf("reason %q carries the value", r)
		}
	})
}

func ExampleScan() {
	env := map[string]string{
		"DB_PASSWORD":     "hunter2",
		"DB_PASSWORD_SSM": "{{resolve:ssm:/prod/db/password}}",
		"LOG_LEVEL":       "INFO",
	}
	for _, m := range Scan(env) {
		fmt.Println(m)
	}
	// Output:
	// DB_PASSWORD: secret-like name with a literal value
}
