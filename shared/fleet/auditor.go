package fleet

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfaudit/selfaudit/shared/awspage"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/progress"
)

// Auditor runs the fleet audit. Build it once per process; Run is safe to
// call again (for the next scheduled invocation) but not concurrently.
type Auditor struct {
	Lambda     LambdaAPI
	CloudWatch CloudWatchAPI
	Logs       LogsAPI
	cfg        Config
}

// New returns an auditor over the given clients.
func New(l LambdaAPI, cw CloudWatchAPI, logs LogsAPI, cfg Config) *Auditor {
	return &Auditor{Lambda: l, CloudWatch: cw, Logs: logs, cfg: cfg.withDefaults()}
}

// Result is one run's outcome.
type Result struct {
	Findings []findings.Finding
	// Notes are sentences about the run itself, such as checks skipped.
	Notes []string
	// Functions is how many functions were audited.
	Functions int
	// Inventory holds what was learnt of each function, in name order.
	Inventory []*Function
}

// auditSteps is the number of steps Run reports to Config.Progress.
const auditSteps = 5

// Run audits every function of the account and region the clients point
// at. It fails as a whole when a call fails, naming the call and resource,
// rather than reporting a fleet it only partly saw as clean.
func (a *Auditor) Run(ctx context.Context) (*Result, error) {
	now := a.cfg.Now().UTC()
	// Whole minutes keep GetMetricData's period a multiple of 60.
	end := now.Truncate(time.Minute)
	start := end.Add(-a.cfg.Lookback.Truncate(time.Minute))

	step := func(n int64, stage string, fns int) {
		a.cfg.Progress.Report(progress.Update{Stage: stage, Done: n, Total: auditSteps, Unit: "steps", Detail: fmt.Sprintf("%d functions", fns)})
	}
	step(0, "listing functions", 0)
	fns, err := a.listFunctions(ctx)
	if err != nil {
		return nil, err
	}
	step(1, "reading mappings, alarms, log groups and policies", len(fns))
	byName := make(map[string]*Function, len(fns))
	for _, fn := range fns {
		byName[fn.Name] = fn
	}

	// The account-wide listings and the per-function policies do not
	// depend on each other.
	var alarms []cwtypes.MetricAlarm
	errs := make([]error, 4)
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); errs[0] = a.listMappings(ctx, byName) }()
	go func() { defer wg.Done(); alarms, errs[1] = a.listAlarms(ctx) }()
	go func() { defer wg.Done(); errs[2] = a.fetchLogGroups(ctx, fns) }()
	go func() { defer wg.Done(); errs[3] = a.forEach(ctx, fns, a.fetchPolicies) }()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	step(2, "reading metrics", len(fns))
	if err := a.fetchMetrics(ctx, fns, start, end); err != nil {
		return nil, err
	}
	// Invoke configs only matter where events arrive asynchronously and
	// no dead-letter queue already keeps them.
	var needConfigs []*Function
	for _, fn := range fns {
		if len(asyncEvidence(fn)) > 0 && !allDLQ(fn) {
			needConfigs = append(needConfigs, fn)
		}
	}
	step(3, "reading invoke configs", len(fns))
	if err := a.forEach(ctx, needConfigs, a.fetchInvokeConfigs); err != nil {
		return nil, err
	}
	step(4, "reading REPORT lines", len(fns))
	notes, err := a.fetchReports(ctx, fns, start, end)
	if err != nil {
		return nil, err
	}
	step(auditSteps, "judging", len(fns))

	ev := evaluator{cfg: a.cfg, alarms: newAlarmIndex(alarms), now: now}
	var out []findings.Finding
	for _, fn := range fns {
		out = append(out, ev.evaluate(fn)...)
	}
	findings.Sort(out)
	return &Result{Findings: out, Notes: notes, Functions: len(fns), Inventory: fns}, nil
}

// listFunctions reads every function and published version in one listing.
func (a *Auditor) listFunctions(ctx context.Context) ([]*Function, error) {
	byName := map[string]*Function{}
	p := lambda.NewListFunctionsPaginator(a.Lambda, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list functions: %w", err)
		}
		for _, c := range out.Functions {
			name := aws.ToString(c.FunctionName)
			fn := byName[name]
			if fn == nil {
				fn = &Function{Name: name, Versions: map[string]types.FunctionConfiguration{}, Policies: map[string][]Statement{}}
				byName[name] = fn
			}
			v := aws.ToString(c.Version)
			if v == "" || v == "$LATEST" {
				fn.Latest = c
				arn := aws.ToString(c.FunctionArn)
				if q := qualifierOf(arn); q != "" {
					arn = strings.TrimSuffix(arn, ":"+q)
				}
				fn.ARN = arn
			} else {
				fn.Versions[v] = c
			}
		}
	}
	fns := make([]*Function, 0, len(byName))
	for _, fn := range byName {
		if fn.ARN == "" {
			// Versions without a $LATEST entry cannot happen in a
			// consistent listing; a function deleted mid-listing can.
			continue
		}
		fn.LogGroupName = lambdaLogPrefix + fn.Name
		if lc := fn.Latest.LoggingConfig; lc != nil && aws.ToString(lc.LogGroup) != "" {
			fn.LogGroupName = aws.ToString(lc.LogGroup)
		}
		fns = append(fns, fn)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].Name < fns[j].Name })
	return fns, nil
}

// listMappings reads every event source mapping of the account at once.
func (a *Auditor) listMappings(ctx context.Context, byName map[string]*Function) error {
	p := lambda.NewListEventSourceMappingsPaginator(a.Lambda, &lambda.ListEventSourceMappingsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list event source mappings: %w", err)
		}
		for _, m := range out.EventSourceMappings {
			if fn := byName[functionNameOf(aws.ToString(m.FunctionArn))]; fn != nil {
				fn.Mappings = append(fn.Mappings, m)
			}
		}
	}
	return nil
}

// listAlarms reads every metric alarm of the account once per run.
func (a *Auditor) listAlarms(ctx context.Context) ([]cwtypes.MetricAlarm, error) {
	p := cloudwatch.NewDescribeAlarmsPaginator(a.CloudWatch, &cloudwatch.DescribeAlarmsInput{
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm},
		MaxRecords: aws.Int32(100),
	})
	out, err := awspage.All(ctx, p, func(page *cloudwatch.DescribeAlarmsOutput) []cwtypes.MetricAlarm { return page.MetricAlarms })
	if err != nil {
		return nil, fmt.Errorf("describe alarms: %w", err)
	}
	return out, nil
}

// fetchPolicies reads the resource policy of the function and of each
// alias: a trigger's permission sits on whichever it invokes. Aliases are
// listed only when there are published versions for them to point at.
func (a *Auditor) fetchPolicies(ctx context.Context, fn *Function) error {
	qualifiers := []string{""}
	if len(fn.Versions) > 0 {
		p := lambda.NewListAliasesPaginator(a.Lambda, &lambda.ListAliasesInput{FunctionName: aws.String(fn.Name)})
		aliases, err := awspage.All(ctx, p, func(out *lambda.ListAliasesOutput) []types.AliasConfiguration { return out.Aliases })
		fn.Aliases = append(fn.Aliases, aliases...)
		if err != nil {
			return fmt.Errorf("list aliases of function %s: %w", fn.Name, err)
		}
		for _, al := range fn.Aliases {
			qualifiers = append(qualifiers, aws.ToString(al.Name))
		}
	}
	for _, q := range qualifiers {
		in := &lambda.GetPolicyInput{FunctionName: aws.String(fn.Name)}
		if q != "" {
			in.Qualifier = aws.String(q)
		}
		out, err := a.Lambda.GetPolicy(ctx, in)
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			continue // no policy: nothing may invoke it but its own account
		}
		if err != nil {
			return fmt.Errorf("get resource policy of function %s%s: %w", fn.Name, qualSuffix(q), err)
		}
		sts, err := parsePolicy(aws.ToString(out.Policy))
		if err != nil {
			return fmt.Errorf("function %s%s: %w", fn.Name, qualSuffix(q), err)
		}
		fn.Policies[q] = sts
	}
	return nil
}

func qualSuffix(q string) string {
	if q == "" {
		return ""
	}
	return ":" + q
}

// fetchInvokeConfigs reads the asynchronous invocation settings of every
// qualifier of the function in one listing.
func (a *Auditor) fetchInvokeConfigs(ctx context.Context, fn *Function) error {
	p := lambda.NewListFunctionEventInvokeConfigsPaginator(a.Lambda, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String(fn.Name)})
	configs, err := awspage.All(ctx, p, func(out *lambda.ListFunctionEventInvokeConfigsOutput) []types.FunctionEventInvokeConfig {
		return out.FunctionEventInvokeConfigs
	})
	fn.InvokeConfigs = append(fn.InvokeConfigs, configs...)
	if err != nil {
		return fmt.Errorf("list event invoke configs of function %s: %w", fn.Name, err)
	}
	return nil
}

// forEach runs f for every function, Concurrency at a time, and returns the
// first error; the rest of the work is cancelled then.
func (a *Auditor) forEach(parent context.Context, fns []*Function, f func(context.Context, *Function) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	work := make(chan *Function)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for i := 0; i < min(a.cfg.Concurrency, len(fns)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for fn := range work {
				if err := f(ctx, fn); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
feed:
	for _, fn := range fns {
		select {
		case work <- fn:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return parent.Err()
}
