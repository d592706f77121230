package suppress

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ssmWire reads one SSM parameter with a signed GetParameter call in the
// service's JSON 1.1 protocol, rather than through the SDK's SSM client:
// that client's package registers the schema of every SSM operation at
// init (about 650 KB of the arm64 bootstrap), and the functions call one
// operation. Endpoint, credentials, HTTP client and retries come from the
// aws.Config the functions already build (shared/awsconfig), so
// AWS_ENDPOINT_URL_SSM and AWS_ENDPOINT_URL point it at a fake as they do
// the SDK clients.
type ssmWire struct {
	cfg      aws.Config
	endpoint string
	sleep    func(time.Duration)
}

// endpointSource is the SDK's ServiceBaseEndpointProvider, which
// shared/awsconfig's environment source implements.
type endpointSource interface {
	GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
}

func newSSMWire(cfg aws.Config) *ssmWire {
	w := &ssmWire{cfg: cfg, sleep: time.Sleep}
	for _, src := range cfg.ConfigSources {
		if es, ok := src.(endpointSource); ok {
			if u, found, err := es.GetServiceBaseEndpoint(context.Background(), "SSM"); err == nil && found && u != "" {
				w.endpoint = u
				break
			}
		}
	}
	if w.endpoint == "" && cfg.BaseEndpoint != nil {
		w.endpoint = *cfg.BaseEndpoint
	}
	if w.endpoint == "" {
		suffix := "amazonaws.com"
		if strings.HasPrefix(cfg.Region, "cn-") {
			suffix = "amazonaws.com.cn"
		}
		w.endpoint = "https://ssm." + cfg.Region + "." + suffix
	}
	return w
}

// ssmError is an error answer of SSM ("ParameterNotFound",
// "ThrottlingException").
type ssmError struct {
	Code    string
	Message string
	Status  int
}

func (e *ssmError) Error() string {
	return fmt.Sprintf("SSM GetParameter: %s: %s (HTTP %d)", e.Code, e.Message, e.Status)
}

// GetParameterValue returns the decrypted value of the parameter. Network
// errors, 5xx answers and throttling are retried up to
// cfg.RetryMaxAttempts times (3 when unset) with exponential backoff.
func (w *ssmWire) GetParameterValue(ctx context.Context, name string) (string, error) {
	attempts := w.cfg.RetryMaxAttempts
	if attempts <= 0 {
		attempts = 3
	}
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			w.sleep(time.Duration(50<<i) * time.Millisecond)
		}
		var v string
		var retry bool
		v, retry, err = w.call(ctx, name)
		if err == nil || !retry || ctx.Err() != nil {
			return v, err
		}
	}
	return "", err
}

func (w *ssmWire) call(ctx context.Context, name string) (string, bool, error) {
	body, _ := json.Marshal(map[string]any{"Name": name, "WithDecryption": true})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(w.endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return "", false, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	if w.cfg.Credentials == nil {
		return "", false, fmt.Errorf("SSM GetParameter: no credentials")
	}
	creds, err := w.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "", false, fmt.Errorf("SSM GetParameter: credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ssm", w.cfg.Region, time.Now().UTC()); err != nil {
		return "", false, fmt.Errorf("SSM GetParameter: sign: %w", err)
	}
	var client aws.HTTPClient = http.DefaultClient
	if w.cfg.HTTPClient != nil {
		client = w.cfg.HTTPClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", true, fmt.Errorf("SSM GetParameter: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", true, fmt.Errorf("SSM GetParameter: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type     string `json:"__type"`
			Message  string `json:"message"`
			Message2 string `json:"Message"`
		}
		_ = json.Unmarshal(data, &e)
		code := e.Type
		if i := strings.LastIndexByte(code, '#'); i >= 0 {
			code = code[i+1:]
		}
		msg := e.Message
		if msg == "" {
			msg = e.Message2
		}
		retry := resp.StatusCode >= 500 || strings.Contains(code, "Throttl") || code == "TooManyRequestsException"
		return "", retry, &ssmError{Code: code, Message: msg, Status: resp.StatusCode}
	}
	var out struct {
		Parameter *struct{ Value *string }
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return "", false, fmt.Errorf("SSM GetParameter: decode answer: %w", err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", false, fmt.Errorf("no parameter in the answer")
	}
	return *out.Parameter.Value, false, nil
}
