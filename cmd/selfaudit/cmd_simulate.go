package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/selfaudit/selfaudit/shared/cfntemplate"
	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
	"github.com/selfaudit/selfaudit/shared/iamscan"
)

func init() {
	register("simulate", command{
		summary: "decide whether policies allow one request, as AWS evaluates them (exit 0 allowed, 1 denied)",
		run:     runSimulate,
	})
}

const simulateSynopsis = `--action ACTION --resource ARN [--resource-account ID] [--principal ARN]
                   (--policy FILE ... | --template FILE --role LOGICAL_ID | --role NAME)
                   [--boundary FILE] [--scp FILE ...] [--resource-policy FILE]
                   [--session-policy FILE] [--context KEY=VALUE ...] [--format text|json]`

// listFlag collects a flag given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// simulateInput is the request and the policies, before evaluation.
type simulateInput struct {
	req   iameval.Request
	set   iameval.PolicySet
	notes []string
}

func runSimulate(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "simulate", simulateSynopsis)
	action := fs.String("action", "", "the action, service:Action (required)")
	resource := fs.String("resource", "", `the resource ARN, or "*" for actions without resource types (required)`)
	resourceAccount := fs.String("resource-account", "", "the account owning the resource (default: the ARN's, else the principal's)")
	principal := fs.String("principal", "", "the caller's ARN (default: the --role's ARN, else a role in the resource's account, so a same-account request)")
	var policies, scps, contexts listFlag
	fs.Var(&policies, "policy", "an identity policy file (JSON); repeat for several")
	boundary := fs.String("boundary", "", "the permissions boundary policy file")
	fs.Var(&scps, "scp", "an SCP file; each --scp is one level of the organization, root first, all of which must allow; FILE,FILE puts several SCPs at one level")
	resourcePolicy := fs.String("resource-policy", "", "the resource's resource-based policy file")
	sessionPolicy := fs.String("session-policy", "", "the session policy file")
	fs.Var(&contexts, "context", "a condition key, KEY=VALUE; a key given twice is multivalued")
	template := fs.String("template", "", "read the identity policies and boundary of --role LOGICAL_ID from this CloudFormation or SAM template")
	role := fs.String("role", "", "with --template, the role's logical ID; without, the name of a role in the account, read from IAM")
	format := fs.String("format", "text", "output format: text or json")
	if done, code := parseFlags(env, fs, args); done {
		return code
	}
	in, err := simulateArgs(ctx, fs, simulateFlags{
		action: *action, resource: *resource, resourceAccount: *resourceAccount, principal: *principal,
		policies: policies, boundary: *boundary, scps: scps, resourcePolicy: *resourcePolicy,
		sessionPolicy: *sessionPolicy, contexts: contexts, template: *template, role: *role, format: *format,
	})
	if err != nil {
		return usageError(env, "simulate", "%s", oneLine(err))
	}
	for _, n := range in.notes {
		fmt.Fprintf(env.stderr, "selfaudit simulate: note: %s\n", n)
	}
	res := iameval.Evaluate(in.req, in.set)
	if *format == "json" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err == nil {
			_, err = fmt.Fprintf(env.stdout, "%s\n", b)
		}
		if err != nil {
			return usageError(env, "simulate", "write output: %v", err)
		}
	} else {
		writeSimulation(env, in.req, res)
	}
	if res.Decision == iameval.Allowed {
		return exitOK
	}
	return exitFindings
}

type simulateFlags struct {
	action, resource, resourceAccount, principal string
	policies, scps, contexts                     []string
	boundary, resourcePolicy, sessionPolicy      string
	template, role, format                       string
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// simulateArgs validates the flags and reads every policy. Errors name the
// flag or the file at fault.
func simulateArgs(ctx context.Context, fs *flag.FlagSet, f simulateFlags) (*simulateInput, error) {
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case f.action == "":
		return nil, errors.New("--action is required")
	case !strings.Contains(f.action, ":"):
		return nil, fmt.Errorf("--action %q: want service:Action", f.action)
	case f.resource == "":
		return nil, errors.New("--resource is required")
	case f.resource != "*" && !strings.HasPrefix(f.resource, "arn:"):
		return nil, fmt.Errorf(`--resource %q: want an ARN or "*"`, f.resource)
	case f.resourceAccount != "" && !accountIDPattern.MatchString(f.resourceAccount):
		return nil, fmt.Errorf("--resource-account %q: want a 12-digit account ID", f.resourceAccount)
	case f.format != "text" && f.format != "json":
		return nil, fmt.Errorf("--format %q: want text or json", f.format)
	case f.template != "" && f.role == "":
		return nil, errors.New("--template needs --role LOGICAL_ID")
	case f.role != "" && len(f.policies) > 0:
		return nil, errors.New("--role takes the role's policies: give --policy or --role, not both")
	case f.role == "" && len(f.policies) == 0:
		return nil, errors.New("give at least one --policy, or --role")
	case f.role != "" && f.boundary != "":
		return nil, errors.New("--role takes the role's permissions boundary: --boundary cannot be given with it")
	}
	in := &simulateInput{req: iameval.Request{Action: f.action, Resource: f.resource, ResourceAccount: f.resourceAccount, Principal: f.principal}}
	in.req.Context = map[string][]string{}
	for _, kv := range f.contexts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--context %q: want KEY=VALUE", kv)
		}
		in.req.Context[k] = append(in.req.Context[k], v)
	}
	// The account a default principal lives in.
	account := f.resourceAccount
	if account == "" {
		if p := strings.SplitN(f.resource, ":", 6); len(p) == 6 && accountIDPattern.MatchString(p[4]) {
			account = p[4]
		}
	}
	if account == "" {
		account = "123456789012"
	}
	var err error
	for _, p := range f.policies {
		pol, err := readPolicyFile(p)
		if err != nil {
			return nil, err
		}
		in.set.Identity = append(in.set.Identity, *pol)
	}
	switch {
	case f.template != "":
		rp, err := templateRole(f.template, f.role, account)
		if err != nil {
			return nil, err
		}
		in.useRole(rp)
	case f.role != "":
		cfg, err := loadAWS(ctx)
		if err != nil {
			return nil, err
		}
		s := &iamscan.Scanner{IAM: iam.NewFromConfig(cfg)}
		rp, err := s.ReadRolePolicies(ctx, f.role)
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", f.role, err)
		}
		in.useRole(rp)
	}
	if f.boundary != "" {
		if in.set.Boundary, err = readPolicyFile(f.boundary); err != nil {
			return nil, err
		}
	}
	if f.resourcePolicy != "" {
		if in.set.Resource, err = readPolicyFile(f.resourcePolicy); err != nil {
			return nil, err
		}
	}
	if f.sessionPolicy != "" {
		if in.set.Session, err = readPolicyFile(f.sessionPolicy); err != nil {
			return nil, err
		}
	}
	for _, level := range f.scps {
		var l []iameval.Policy
		for _, p := range strings.Split(level, ",") {
			pol, err := readPolicyFile(p)
			if err != nil {
				return nil, err
			}
			l = append(l, *pol)
		}
		in.set.SCPs = append(in.set.SCPs, l)
	}
	if in.req.Principal == "" {
		in.req.Principal = "arn:aws:iam::" + account + ":role/selfaudit-simulate"
	}
	return in, nil
}

// useRole takes a role's policies, and its ARN as the principal unless
// --principal named another.
func (in *simulateInput) useRole(rp *iamscan.RolePolicies) {
	for _, p := range rp.Identity {
		in.set.Identity = append(in.set.Identity, iameval.Policy{Name: p.Name, Doc: p.Document})
	}
	if rp.Boundary != nil {
		in.set.Boundary = &iameval.Policy{Name: rp.Boundary.Name, Doc: rp.Boundary.Document}
	}
	if in.req.Principal == "" {
		in.req.Principal = rp.ARN
	}
	in.notes = append(in.notes, rp.Notes...)
	if len(rp.Identity) == 0 {
		in.notes = append(in.notes, "the role has no identity policy that could be read")
	}
}

func templateRole(path, logicalID, account string) (*iamscan.RolePolicies, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := cfntemplate.Load(path, data)
	if err != nil {
		return nil, err
	}
	if !f.IsTemplate() {
		return nil, fmt.Errorf("%s: not a CloudFormation or SAM template", path)
	}
	return iamscan.TemplateRolePolicies(f, logicalID, account)
}

// readPolicyFile reads one IAM policy JSON file; errors name it.
func readPolicyFile(path string) (*iameval.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := iampolicy.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &iameval.Policy{Name: path, Doc: doc}, nil
}

// writeSimulation prints the decision and the statements behind it.
func writeSimulation(env *cliEnv, req iameval.Request, res iameval.Result) {
	fmt.Fprintf(env.stdout, "%s: %s on %s by %s\n", res.Decision, req.Action, req.Resource, req.Principal)
	if res.Reason != "" {
		fmt.Fprintf(env.stdout, "  %s\n", res.Reason)
	}
	for _, s := range res.Statements {
		sid := ""
		if s.Sid != "" {
			sid = fmt.Sprintf(" (Sid %q)", s.Sid)
		}
		fmt.Fprintf(env.stdout, "  %s: %s statement %d%s\n", s.Effect, s.Policy, s.Index, sid)
	}
}
