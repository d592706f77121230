package secretscan

import (
	"math"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Reasons a variable is flagged. They are stable strings: findings carry
// them and consumers may match on them.
const (
	// ReasonSecretKeyName: the variable's name says it holds a secret
	// (PASSWORD, SECRET, TOKEN, API_KEY, ...) and its value is a literal,
	// not a reference to SSM or Secrets Manager.
	ReasonSecretKeyName = "secret-like name with a literal value"
	// ReasonAWSAccessKey: the value contains an AWS access key ID.
	ReasonAWSAccessKey = "AWS access key ID in value"
	// ReasonPrivateKey: the value contains a PEM private key.
	ReasonPrivateKey = "private key in value"
	// ReasonKnownToken: the value has the shape of a well-known token
	// (GitHub, Slack, Stripe, Google API key, JSON Web Token).
	ReasonKnownToken = "well-known token format in value"
	// ReasonURLCredentials: the value is a URL with a password in it.
	ReasonURLCredentials = "URL with embedded password"
	// ReasonPasswordAssignment: the value is a connection string or
	// similar with password=... in it.
	ReasonPasswordAssignment = "password assignment in value"
	// ReasonHighEntropy: the value contains a long random-looking string.
	ReasonHighEntropy = "high-entropy string in value"
)

// Match is one variable that looks like it holds a secret. It never holds
// the value.
type Match struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// String renders the match for a log line or a finding title.
func (m Match) String() string { return m.Key + ": " + m.Reason }

// Scan returns one Match per variable that looks like it holds a secret,
// sorted by key. It is safe for concurrent use and never panics.
func Scan(env map[string]string) []Match {
	var out []Match
	for k, v := range env {
		if r, ok := Check(k, v); ok {
			out = append(out, Match{Key: k, Reason: r})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Check judges one variable and returns why it looks like a secret.
// References to SSM Parameter Store or Secrets Manager are never flagged.
func Check(key, value string) (reason string, flagged bool) {
	v := strings.TrimSpace(value)
	if v == "" || IsReference(v) {
		return "", false
	}
	p := compiled()
	switch {
	case p.privateKey.MatchString(v):
		return ReasonPrivateKey, true
	case p.accessKey.MatchString(v):
		return ReasonAWSAccessKey, true
	case p.knownToken.MatchString(v):
		return ReasonKnownToken, true
	case urlHasPassword(v):
		return ReasonURLCredentials, true
	case p.passwordAssign.MatchString(v):
		return ReasonPasswordAssignment, true
	}
	if secretKeyName(key) && !benignValue(v) {
		return ReasonSecretKeyName, true
	}
	if hasHighEntropyToken(v) {
		return ReasonHighEntropy, true
	}
	return "", false
}

// patterns are compiled on first use, not at package initialisation: the
// functions that link this package pay for them only when they scan, not
// on every cold start.
type patterns struct {
	accessKey, privateKey, knownToken, passwordAssign *regexp.Regexp
	// references are the forms a reference to a managed secret takes.
	references []*regexp.Regexp
}

var compiled = sync.OnceValue(func() *patterns {
	return &patterns{
		// AWS access key IDs: long-term (AKIA), temporary (ASIA) and the
		// other documented prefixes, then 16 upper-case base32 characters.
		accessKey:  regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16}\b`),
		privateKey: regexp.MustCompile(`-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----`),
		knownToken: regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|(?:sk|rk)_live_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})`),
		// password=..., Password: ..., pwd=... inside a connection string.
		passwordAssign: regexp.MustCompile(`(?i)(?:^|[;&?\s,])(?:password|passwd|pwd|secret|token)\s*[=:]\s*[^;&\s,]+`),
		references: []*regexp.Regexp{
			regexp.MustCompile(`^\{\{resolve:(?:ssm|ssm-secure|secretsmanager):[^}]+\}\}$`),
			regexp.MustCompile(`^arn:aws[a-z-]*:(?:secretsmanager|ssm|kms):[a-z0-9-]*:\d{12}:\S+$`),
			regexp.MustCompile(`^/aws/reference/secretsmanager/\S+$`),
			// An SSM parameter name (hierarchical), as a path.
			regexp.MustCompile(`^/[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*/?$`),
			regexp.MustCompile(`^(?:ssm|secretsmanager|ssm-secure):\S+$`),
		},
	}
})

// IsReference reports whether value points at a secret held elsewhere (SSM
// Parameter Store, Secrets Manager, KMS) rather than holding it.
func IsReference(value string) bool {
	v := strings.TrimSpace(value)
	for _, re := range compiled().references {
		if re.MatchString(v) {
			return true
		}
	}
	return false
}

// secretWords are name parts that mean "this holds a secret".
var secretWords = map[string]bool{
	"PASSWORD": true, "PASSWD": true, "PWD": true, "PASS": true, "PASSPHRASE": true,
	"SECRET": true, "SECRETS": true, "TOKEN": true, "TOKENS": true,
	"APIKEY": true, "CREDENTIAL": true, "CREDENTIALS": true, "CREDS": true,
	"PRIVATEKEY": true, "ACCESSKEY": true, "SIGNINGKEY": true, "ENCRYPTIONKEY": true,
	"CLIENTSECRET": true, "AUTHTOKEN": true, "WEBHOOKSECRET": true,
}

// keyQualifiers precede KEY in names that hold a key (API_KEY, ...).
var keyQualifiers = map[string]bool{
	"API": true, "ACCESS": true, "PRIVATE": true, "SECRET": true, "SIGNING": true,
	"ENCRYPTION": true, "MASTER": true, "AUTH": true, "LICENSE": true, "CLIENT": true,
}

// metaSuffixes end names that describe a secret rather than hold it:
// SECRET_ARN, TOKEN_PARAMETER, PASSWORD_MIN_LENGTH, API_KEY_HEADER ...
var metaSuffixes = map[string]bool{
	"ARN": true, "NAME": true, "ID": true, "PARAM": true, "PARAMETER": true, "PATH": true,
	"REF": true, "REFERENCE": true, "TTL": true, "URL": true, "URI": true, "ENDPOINT": true,
	"FILE": true, "HEADER": true, "LENGTH": true, "LEN": true, "EXPIRY": true, "EXPIRES": true,
	"TIMEOUT": true, "AGE": true, "SECONDS": true, "MINUTES": true, "TYPE": true, "FIELD": true,
	"ENABLED": true, "DISABLED": true, "REGION": true, "VERSION": true, "POLICY": true,
	"ROTATION": true, "STORE": true, "SOURCE": true, "PREFIX": true, "KMS": true, "SSM": true,
}

// secretKeyName reports whether the variable's name says it holds a secret.
func secretKeyName(key string) bool {
	parts := splitName(key)
	if len(parts) == 0 || metaSuffixes[parts[len(parts)-1]] {
		return false
	}
	for i, p := range parts {
		if secretWords[p] {
			return true
		}
		if p == "KEY" && i > 0 && keyQualifiers[parts[i-1]] {
			return true
		}
	}
	return false
}

// splitName upper-cases a variable name and splits it at _, -, . and
// lower-to-upper case changes (dbPassword -> DB PASSWORD).
func splitName(key string) []string {
	var parts []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, strings.ToUpper(cur.String()))
			cur.Reset()
		}
	}
	prevLower := false
	for _, r := range key {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			flush()
			prevLower = false
			continue
		case r >= 'A' && r <= 'Z' && prevLower:
			flush()
		}
		cur.WriteRune(r)
		prevLower = r >= 'a' && r <= 'z'
	}
	flush()
	return parts
}

// benignWords are values no one uses as a secret.
var benignWords = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"enabled": true, "disabled": true, "none": true, "null": true, "nil": true,
	"required": true, "optional": true, "-": true, "*": true,
}

// benignValue reports values that cannot be a secret even under a secret
// name: booleans, numbers, durations, URLs without credentials.
func benignValue(v string) bool {
	if benignWords[strings.ToLower(v)] {
		return true
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return true
	}
	if _, err := time.ParseDuration(v); err == nil {
		return true
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		return true
	}
	return false
}

// urlHasPassword reports scheme://user:password@host values.
func urlHasPassword(v string) bool {
	if !strings.Contains(v, "://") || !strings.Contains(v, "@") {
		return false
	}
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return false
	}
	p, ok := u.User.Password()
	return ok && p != ""
}

// Entropy thresholds, in bits per character. Random base64 reaches about
// 4.5-5.2 at 32-40 characters; CloudFormation-generated names, camel-case
// identifiers and UUIDs stay below these.
const (
	minSegmentLen     = 20
	minSegmentEntropy = 3.7
	minTokenLen       = 32
	minTokenEntropy   = 4.3
)

// hasHighEntropyToken looks for a long, mixed-case, alphanumeric run that
// reads like a random credential.
func hasHighEntropyToken(v string) bool {
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		// URLs are addresses; a credential inside one is caught above.
		return false
	}
	tokens := strings.FieldsFunc(v, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == ',' || r == ';' || r == '"' || r == '\'' || r == '&' || r == '='
	})
	for _, tok := range tokens {
		if len(tok) < minSegmentLen || !base64ish(tok) {
			continue
		}
		// A whole token counts only without name separators: generated
		// resource names (stack-Logical-1A2B3C) are long and varied too.
		if len(tok) >= minTokenLen && !strings.ContainsAny(tok, "-_.") && mixed(tok) && shannon(tok) >= minTokenEntropy {
			return true
		}
		for _, seg := range strings.FieldsFunc(tok, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			if len(seg) >= minSegmentLen && mixed(seg) && shannon(seg) >= minSegmentEntropy {
				return true
			}
		}
	}
	return false
}

func base64ish(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+/=-_.", r)) {
			return false
		}
	}
	return true
}

// mixed requires upper and lower case and a digit or a base64 symbol:
// random credentials have them, words and hex identifiers do not.
func mixed(s string) bool {
	var up, lo, dig int
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			up++
		case r >= 'a' && r <= 'z':
			lo++
		case r >= '0' && r <= '9':
			dig++
		}
	}
	return up >= 2 && lo >= 2 && (dig >= 1 || strings.ContainsAny(s, "+/"))
}

// shannon is the Shannon entropy of s in bits per character.
func shannon(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
