package rules

import (
	"bytes"
	"slices"
	"strings"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// lambdaChanges are the Lambda APIs that change a function, its code,
// configuration, access or invocation wiring (event names without their
// version suffix).
var lambdaChanges = map[string]bool{
	"CreateFunction": true, "DeleteFunction": true, "UpdateFunctionCode": true, "UpdateFunctionConfiguration": true,
	"AddPermission": true, "RemovePermission": true, "PublishVersion": true,
	"CreateAlias": true, "UpdateAlias": true, "DeleteAlias": true,
	"PutFunctionConcurrency": true, "DeleteFunctionConcurrency": true,
	"PutFunctionEventInvokeConfig": true, "UpdateFunctionEventInvokeConfig": true, "DeleteFunctionEventInvokeConfig": true,
	"CreateFunctionUrlConfig": true, "UpdateFunctionUrlConfig": true, "DeleteFunctionUrlConfig": true,
	"CreateEventSourceMapping": true, "UpdateEventSourceMapping": true, "DeleteEventSourceMapping": true,
	"PutProvisionedConcurrencyConfig": true, "DeleteProvisionedConcurrencyConfig": true,
	"PutRuntimeManagementConfig": true, "PutFunctionCodeSigningConfig": true, "DeleteFunctionCodeSigningConfig": true,
	"PublishLayerVersion": true, "AddLayerVersionPermission": true, "DeleteLayerVersion": true,
	"PutFunctionRecursionConfig": true, "PutFunctionScalingConfig": true,
}

// isLambdaChange reports a successful, changing Lambda call.
func isLambdaChange(r *record.Record) bool {
	return r.EventSource == "lambda.amazonaws.com" && !r.Failed() && lambdaChanges[r.Action()]
}

// FunctionARN names the function a Lambda record is about, unqualified:
// from the response's functionArn when present, else from the request's
// functionName, which may be a name, a partial ARN or a full ARN.
//
// It reads single members rather than decoded maps: it runs on every
// Lambda change, and a flood of them should cost little more than reading.
func FunctionARN(r *record.Record) string {
	if a := member(r.ResponseElements, "functionArn"); strings.HasPrefix(a, "arn:") {
		return unqualified(a)
	}
	name := member(r.RequestParameters, "functionName")
	if name == "" {
		name = member(r.ResponseElements, "functionName")
	}
	if name == "" {
		p := params(r)
		if l := strField(p, "layerName"); l != "" {
			if strings.HasPrefix(l, "arn:") {
				return l
			}
			return "arn:" + awsid.PartitionOf(r.AWSRegion) + ":lambda:" + r.AWSRegion + ":" + r.Account() + ":layer:" + l
		}
		if u := strField(p, "uUID"); u != "" {
			return "arn:" + awsid.PartitionOf(r.AWSRegion) + ":lambda:" + r.AWSRegion + ":" + r.Account() + ":event-source-mapping:" + u
		}
		return "arn:" + awsid.PartitionOf(r.AWSRegion) + ":lambda:" + r.AWSRegion + ":" + r.Account() + ":function:*"
	}
	if strings.HasPrefix(name, "arn:") {
		return unqualified(name)
	}
	if acct, rest, ok := strings.Cut(name, ":function:"); ok {
		return unqualified("arn:" + awsid.PartitionOf(r.AWSRegion) + ":lambda:" + r.AWSRegion + ":" + acct + ":function:" + rest)
	}
	name, _, _ = strings.Cut(name, ":")
	return "arn:" + awsid.PartitionOf(r.AWSRegion) + ":lambda:" + r.AWSRegion + ":" + r.Account() + ":function:" + name
}

// unqualified drops a version or alias from a function ARN.
func unqualified(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) > 7 && parts[2] == "lambda" && parts[5] == "function" {
		return strings.Join(parts[:7], ":")
	}
	return arn
}

// CT001 reports function changes made from the console: edits that bypass
// review and drift from the template the next deployment will restore.
var CT001 = register(&Rule{
	Check: checks.Check{
		ID:          "CT001",
		Severity:    findings.High,
		Title:       "Lambda function changed from the console",
		Description: "A Lambda function's code, configuration or permissions were changed with console credentials: the edit bypasses review and drifts from the template, which the next deployment silently reverts.",
		Remediation: "Make the change in the template and deploy it through the pipeline; revert the console edit or reconcile the template, and restrict console write access to Lambda (for example a read-only console role).",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html", "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html"}},
		Techniques:  []string{"T1648", "T1578"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		if !isLambdaChange(r) || !fromConsole(r) || actedByService(r) {
			return nil
		}
		h := Hit{Resource: FunctionARN(r), Evidence: map[string]any{"api": r.Action()}}
		switch r.Action() {
		case "UpdateFunctionCode", "CreateFunction", "DeleteFunction", "AddPermission":
		default:
			h.Severity = findings.Medium
		}
		return []Hit{h}
	},
})

// CT008 reports the removal of a function's dead-letter queue or on-failure
// destination: failed asynchronous events are then dropped silently.
var CT008 = register(&Rule{
	Check: checks.Check{
		ID:          "CT008",
		Severity:    findings.Medium,
		Title:       "Dead-letter queue or on-failure destination removed from a function",
		Description: "A function's dead-letter queue or on-failure destination was removed: asynchronous events that fail after their retries are then dropped without a trace.",
		Remediation: "Restore the DLQ or on-failure destination in the template (DeadLetterQueue or EventInvokeConfig.DestinationConfig.OnFailure) and redeploy; asynchronous events that fail are otherwise lost.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"}},
		Techniques:  []string{"T1562"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		if r.EventSource != "lambda.amazonaws.com" || r.Failed() {
			return nil
		}
		var what string
		switch r.Action() {
		case "UpdateFunctionConfiguration":
			// Most configuration updates leave the DLQ alone; skip
			// decoding those.
			if !bytes.Contains(r.RequestParameters, []byte(`"deadLetterConfig"`)) {
				return nil
			}
			dlc, ok := params(r)["deadLetterConfig"].(map[string]any)
			if !ok {
				return nil
			}
			if t, has := dlc["targetArn"]; has && t != nil && t != "" {
				return nil
			}
			what = "deadLetterConfig cleared"
		case "DeleteFunctionEventInvokeConfig":
			what = "event invoke configuration deleted"
		case "PutFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig":
			dc, hasDC := params(r)["destinationConfig"].(map[string]any)
			if !hasDC {
				if r.Action() == "PutFunctionEventInvokeConfig" {
					what = "event invoke configuration replaced without destinations"
					break
				}
				return nil
			}
			of, hasOF := dc["onFailure"].(map[string]any)
			if hasOF {
				if d, _ := of["destination"].(string); d != "" {
					return nil
				}
			} else if r.Action() == "UpdateFunctionEventInvokeConfig" {
				return nil
			}
			what = "on-failure destination removed"
		default:
			return nil
		}
		return []Hit{{Resource: FunctionARN(r), Evidence: map[string]any{"change": what}}}
	},
})

// CT011 reports a function that runs code from another account (a layer
// published elsewhere) or is reachable by anyone (a function URL without
// IAM auth).
var CT011 = register(&Rule{
	Check: checks.Check{
		ID:          "CT011",
		Severity:    findings.High,
		Title:       "Function attached a layer from another account or got a public function URL",
		Description: "A function attached a layer published by another, untrusted account (code the account does not control runs inside the function) or got a function URL with AuthType NONE (anyone on the internet can call it).",
		Remediation: "Use layers published in your own account (or an account listed as trusted) and pin their versions; give function URLs AuthType AWS_IAM, or put authentication in front of a public URL deliberately and document it.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html", "https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html"}},
		Techniques:  []string{"T1195.002", "T1648"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		if r.EventSource != "lambda.amazonaws.com" || r.Failed() {
			return nil
		}
		switch r.Action() {
		case "CreateFunctionUrlConfig", "UpdateFunctionUrlConfig":
			p := params(r)
			if strings.EqualFold(strField(p, "authType"), "NONE") {
				return []Hit{{Resource: FunctionARN(r), Title: "Function URL created with AuthType NONE",
					Evidence: map[string]any{"authType": "NONE", "api": r.Action()}}}
			}
		case "UpdateFunctionConfiguration", "CreateFunction":
			if !bytes.Contains(r.RequestParameters, []byte(`"layers"`)) && !bytes.Contains(r.ResponseElements, []byte(`"layers"`)) {
				return nil
			}
			own := r.Account()
			var hits []Hit
			for _, l := range layerARNs(r) {
				parts := strings.Split(l, ":")
				if len(parts) < 5 {
					continue
				}
				acct := parts[4]
				if acct == own || acct == "" || slices.Contains(c.TrustedLayerAccounts, acct) {
					continue
				}
				hits = append(hits, Hit{Resource: FunctionARN(r), Key: l,
					Title:    "Function attached a layer from another account",
					Evidence: map[string]any{"layer": l, "layerAccount": acct}})
			}
			return hits
		}
		return nil
	},
})

// layerARNs lists the layers a configuration call set, from the request
// (a list of ARNs) or else the response (a list of {arn, codeSize}).
func layerARNs(r *record.Record) []string {
	var out []string
	p := params(r)
	if ls, ok := p["layers"].([]any); ok {
		for _, l := range ls {
			if s, ok := l.(string); ok {
				out = append(out, s)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	if ls, ok := response(r)["layers"].([]any); ok {
		for _, l := range ls {
			if m, ok := l.(map[string]any); ok {
				if s := strField(m, "arn"); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return out
}
