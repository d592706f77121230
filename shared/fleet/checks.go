package fleet

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfaudit/selfaudit/shared/cost"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/secretscan"
)

// Check is one item of the operations checklist: its ID (a contract,
// DESIGN §4), default severity, what it says and what to do about it.
// README.md lists the same catalogue with each trigger.
type Check struct {
	ID          string
	Severity    findings.Severity
	Title       string
	Remediation string
}

// The catalogue. IDs are never reused or renumbered.
var (
	LMB101 = Check{"LMB101", findings.High, "invoked asynchronously without a dead-letter queue or on-failure destination",
		"Add an SQS on-failure destination (or DeadLetterConfig) for the qualifier its triggers invoke, so failed events are kept and can be replayed."}
	LMB102 = Check{"LMB102", findings.Medium, "stream event source mapping without an on-failure destination",
		"Set DestinationConfig.OnFailure on the event source mapping (with MaximumRetryAttempts and BisectBatchOnFunctionError) so a poison batch is set aside instead of blocking the shard until the records expire."}
	LMB103 = Check{"LMB103", findings.Medium, "no alarm on errors",
		"Add an alarm on Errors, or on the Errors/Invocations metric-math error rate."}
	LMB104 = Check{"LMB104", findings.Low, "no alarm on throttles",
		"Add an alarm on Throttles > 0."}
	LMB105 = Check{"LMB105", findings.Medium, "dead-letter queue without a depth alarm",
		"Alarm on the queue's ApproximateNumberOfMessagesVisible > 0 so failed events are noticed and replayed."}
	LMB106 = Check{"LMB106", findings.Low, "no alarm on DeadLetterErrors",
		"Alarm on DeadLetterErrors > 0: when the function cannot write to its dead-letter queue, failed events are lost."}
	LMB107 = Check{"LMB107", findings.Medium, "stream source without an IteratorAge alarm",
		"Alarm on IteratorAge (OffsetLag for Kafka) so a stuck or slow consumer is seen before records expire."}
	LMB108 = Check{"LMB108", findings.Low, "active tracing is off",
		"Set TracingConfig Mode to Active (Tracing: Active in SAM)."}
	LMB109 = Check{"LMB109", findings.Low, "log group keeps logs forever",
		"Set a retention period on the log group (for example 30 days); logs kept forever are paid for forever."}
	LMB110 = Check{"LMB110", findings.High, "runtime is deprecated",
		"Move to a supported runtime; for Go, build a bootstrap for provided.al2023 (arm64)."}
	LMB111 = Check{"LMB111", findings.Medium, "trigger invokes $LATEST instead of an alias",
		"Point triggers at an alias (live) so deployments can shift traffic gradually and roll back."}
	LMB112 = Check{"LMB112", findings.Low, "no published versions",
		"Publish versions (AutoPublishAlias in SAM) so what runs is immutable and can be rolled back."}
	LMB113 = Check{"LMB113", findings.High, "environment variable looks like a secret",
		"Move the value to SSM Parameter Store (SecureString) or Secrets Manager and keep only its name in the environment; rotate the exposed value."}
	LMB114 = Check{"LMB114", findings.Low, "memory is over-provisioned",
		"Lower MemorySize to the recommended size and watch Duration: less memory also means less CPU."}
	LMB115 = Check{"LMB115", findings.Medium, "memory use is close to the configured size",
		"Raise MemorySize to the recommended size before invocations start failing out of memory."}
	LMB116 = Check{"LMB116", findings.Medium, "p99 duration is close to the timeout",
		"Find out why the slow invocations are slow, or raise the timeout; invocations at the timeout fail and are retried."}
	LMB117 = Check{"LMB117", findings.Medium, "error rate above threshold",
		"Look at the errors in the function's logs and traces."}
	LMB118 = Check{"LMB118", findings.Medium, "invocations throttled",
		"Raise reserved concurrency (or the account's limit), or smooth the callers; throttled asynchronous events are retried and may be dropped."}
	LMB119 = Check{"LMB119", findings.Low, "not invoked in the lookback window",
		"Delete the function if nothing needs it, or check that its trigger still works."}
	LMB120 = Check{"LMB120", findings.Low, "log ingestion costs more than the function's compute",
		"Log less (lower the log level with the JSON log format's ApplicationLogLevel, sample debug output) or move the group to the Infrequent Access class."}
)

// Checks lists the catalogue in ID order.
var Checks = []Check{LMB101, LMB102, LMB103, LMB104, LMB105, LMB106, LMB107, LMB108, LMB109, LMB110,
	LMB111, LMB112, LMB113, LMB114, LMB115, LMB116, LMB117, LMB118, LMB119, LMB120}

// evaluator applies the checks to one function's inventory.
type evaluator struct {
	cfg    Config
	alarms *alarmIndex
	now    time.Time
}

func (e evaluator) evaluate(fn *Function) []findings.Finding {
	var out []findings.Finding
	for _, check := range []func(*Function) []findings.Finding{
		e.asyncFailures, e.streamFailures, e.alarmsPresent, e.tracing, e.retention, e.runtime,
		e.latestTriggers, e.versions, e.secrets, e.memory, e.timeout, e.errorRate, e.throttles,
		e.dead, e.logCost,
	} {
		out = append(out, check(fn)...)
	}
	return out
}

func (e evaluator) finding(c Check, fn *Function, key string, ev map[string]any) findings.Finding {
	return e.findingSev(c, c.Severity, fn, key, ev)
}

func (e evaluator) findingSev(c Check, sev findings.Severity, fn *Function, key string, ev map[string]any) findings.Finding {
	ev["functionName"] = fn.Name
	return findings.Finding{
		ID:          findings.StableID(c.ID, fn.ARN, key),
		Check:       c.ID,
		Severity:    sev,
		Title:       fn.Name + ": " + c.Title,
		Resource:    fn.ARN,
		Evidence:    ev,
		Remediation: c.Remediation,
		Source:      e.cfg.Source,
		ObservedAt:  e.now,
	}
}

// asyncTrigger is one reason to think a qualifier is invoked
// asynchronously. Qualifier "*" means unknown (seen only in metrics).
type asyncTrigger struct {
	Qualifier string `json:"qualifier"`
	Via       string `json:"via"`
}

func asyncEvidence(fn *Function) []asyncTrigger {
	var out []asyncTrigger
	quals := make([]string, 0, len(fn.Policies))
	for q := range fn.Policies {
		quals = append(quals, q)
	}
	sort.Strings(quals)
	for _, q := range quals {
		for _, st := range fn.Policies[q] {
			if svc := st.asyncService(); svc != "" {
				via := svc
				if st.SourceArn != "" {
					via += " from " + st.SourceArn
				}
				out = append(out, asyncTrigger{Qualifier: normQual(q), Via: via})
			}
		}
	}
	if fn.Metrics.AsyncEvents > 0 {
		out = append(out, asyncTrigger{Qualifier: "*", Via: fmt.Sprintf("AsyncEventsReceived %.0f in the window", fn.Metrics.AsyncEvents)})
	}
	return out
}

func normQual(q string) string {
	if q == "" {
		return "$LATEST"
	}
	return q
}

// allDLQ reports whether every qualifier that could receive async events
// already has a dead-letter queue, so invoke configs need not be read.
func allDLQ(fn *Function) bool {
	for _, t := range asyncEvidence(fn) {
		quals := []string{t.Qualifier}
		if t.Qualifier == "*" {
			quals = []string{"$LATEST"}
		}
		for _, q := range quals {
			if dlqOf(fn.configFor(q)) == "" {
				return false
			}
		}
	}
	return true
}

func dlqOf(c types.FunctionConfiguration) string {
	if c.DeadLetterConfig == nil {
		return ""
	}
	return aws.ToString(c.DeadLetterConfig.TargetArn)
}

// onFailure returns the on-failure destination configured for a qualifier.
func onFailure(fn *Function, qualifier string) string {
	for _, ic := range fn.InvokeConfigs {
		if normQual(qualifierOf(aws.ToString(ic.FunctionArn))) != qualifier {
			continue
		}
		if ic.DestinationConfig != nil && ic.DestinationConfig.OnFailure != nil {
			return aws.ToString(ic.DestinationConfig.OnFailure.Destination)
		}
	}
	return ""
}

func handled(fn *Function, qualifier string) bool {
	return dlqOf(fn.configFor(qualifier)) != "" || onFailure(fn, qualifier) != ""
}

func (e evaluator) asyncFailures(fn *Function) []findings.Finding {
	triggers := asyncEvidence(fn)
	if len(triggers) == 0 {
		return nil
	}
	var unhandled []string
	seen := map[string]bool{}
	for _, t := range triggers {
		if seen[t.Qualifier] {
			continue
		}
		seen[t.Qualifier] = true
		if t.Qualifier == "*" {
			// Seen only in metrics: any qualifier with failure handling
			// gives the benefit of the doubt.
			ok := handled(fn, "$LATEST")
			for _, al := range fn.Aliases {
				ok = ok || handled(fn, aws.ToString(al.Name))
			}
			if !ok {
				unhandled = append(unhandled, "any")
			}
			continue
		}
		if !handled(fn, t.Qualifier) {
			unhandled = append(unhandled, t.Qualifier)
		}
	}
	if len(unhandled) == 0 {
		return nil
	}
	return []findings.Finding{e.finding(LMB101, fn, "", map[string]any{
		"asyncTriggers": triggers, "qualifiersWithoutFailureHandling": unhandled,
	})}
}

// streamSource tells the kind of a polled source whose failures block
// the stream: Kinesis, DynamoDB Streams, or Kafka.
func streamSource(m types.EventSourceMappingConfiguration) string {
	arn := aws.ToString(m.EventSourceArn)
	switch {
	case strings.Contains(arn, ":kinesis:"):
		return "kinesis"
	case strings.Contains(arn, ":dynamodb:"):
		return "dynamodb"
	case strings.Contains(arn, ":kafka:"), m.SelfManagedEventSource != nil:
		return "kafka"
	}
	return ""
}

func (e evaluator) streamFailures(fn *Function) []findings.Finding {
	var out []findings.Finding
	for _, m := range fn.Mappings {
		if streamSource(m) == "" {
			continue
		}
		if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil && aws.ToString(m.DestinationConfig.OnFailure.Destination) != "" {
			continue
		}
		out = append(out, e.finding(LMB102, fn, aws.ToString(m.UUID), map[string]any{
			"eventSourceMapping": aws.ToString(m.UUID), "eventSourceArn": aws.ToString(m.EventSourceArn),
			"maximumRetryAttempts": aws.ToInt32(m.MaximumRetryAttempts), "state": aws.ToString(m.State),
		}))
	}
	return out
}

// failureQueues are the SQS queues that hold the function's failed events.
func failureQueues(fn *Function) []string {
	set := map[string]bool{}
	add := func(arn string) {
		if strings.HasPrefix(arn, "arn:aws") && strings.Contains(arn, ":sqs:") {
			set[arn] = true
		}
	}
	add(dlqOf(fn.Latest))
	for _, al := range fn.Aliases {
		add(dlqOf(fn.configFor(aws.ToString(al.Name))))
	}
	for _, ic := range fn.InvokeConfigs {
		if ic.DestinationConfig != nil && ic.DestinationConfig.OnFailure != nil {
			add(aws.ToString(ic.DestinationConfig.OnFailure.Destination))
		}
	}
	for _, m := range fn.Mappings {
		if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil {
			add(aws.ToString(m.DestinationConfig.OnFailure.Destination))
		}
	}
	out := make([]string, 0, len(set))
	for q := range set {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}

func (e evaluator) alarmsPresent(fn *Function) []findings.Finding {
	var out []findings.Finding
	if len(e.alarms.on(fn.Name, "Errors")) == 0 {
		out = append(out, e.finding(LMB103, fn, "", map[string]any{"metric": "AWS/Lambda Errors", "alarms": []string{}}))
	}
	if len(e.alarms.on(fn.Name, "Throttles")) == 0 {
		out = append(out, e.finding(LMB104, fn, "", map[string]any{"metric": "AWS/Lambda Throttles", "alarms": []string{}}))
	}
	for _, q := range failureQueues(fn) {
		name := lastARNPart(q)
		if len(e.alarms.queues[name]) == 0 {
			out = append(out, e.finding(LMB105, fn, q, map[string]any{"queueArn": q, "metric": "AWS/SQS ApproximateNumberOfMessagesVisible"}))
		}
	}
	if dlq := dlqOf(fn.Latest); dlq != "" && len(e.alarms.on(fn.Name, "DeadLetterErrors")) == 0 {
		out = append(out, e.finding(LMB106, fn, "", map[string]any{"deadLetterTarget": dlq, "metric": "AWS/Lambda DeadLetterErrors"}))
	}
	var streams []string
	for _, m := range fn.Mappings {
		if streamSource(m) != "" {
			streams = append(streams, aws.ToString(m.EventSourceArn))
		}
	}
	if len(streams) > 0 && len(e.alarms.on(fn.Name, "IteratorAge", "OffsetLag")) == 0 {
		out = append(out, e.finding(LMB107, fn, "", map[string]any{"streams": streams, "metric": "AWS/Lambda IteratorAge"}))
	}
	return out
}

func (e evaluator) tracing(fn *Function) []findings.Finding {
	mode := types.TracingModePassThrough
	if fn.Latest.TracingConfig != nil {
		mode = fn.Latest.TracingConfig.Mode
	}
	if mode == types.TracingModeActive {
		return nil
	}
	return []findings.Finding{e.finding(LMB108, fn, "", map[string]any{"tracingMode": string(mode)})}
}

func (e evaluator) retention(fn *Function) []findings.Finding {
	g := fn.LogGroup
	if g == nil || g.RetentionInDays != nil || aws.ToString(g.RetentionPolicyName) != "" {
		return nil
	}
	return []findings.Finding{e.finding(LMB109, fn, fn.LogGroupName, map[string]any{
		"logGroup": fn.LogGroupName, "retentionInDays": nil, "storedBytes": aws.ToInt64(g.StoredBytes),
	})}
}

func (e evaluator) runtime(fn *Function) []findings.Finding {
	rt := string(fn.Latest.Runtime)
	date, ok := runtimeDeprecated(rt, e.now)
	if !ok {
		return nil
	}
	return []findings.Finding{e.finding(LMB110, fn, rt, map[string]any{"runtime": rt, "deprecatedOn": date})}
}

func (e evaluator) latestTriggers(fn *Function) []findings.Finding {
	var triggers []string
	for _, st := range fn.Policies[""] {
		if st.invokes() && len(st.Services) > 0 {
			t := strings.Join(st.Services, ",")
			if st.SourceArn != "" {
				t += " from " + st.SourceArn
			}
			triggers = append(triggers, t)
		}
	}
	for _, m := range fn.Mappings {
		if q := qualifierOf(aws.ToString(m.FunctionArn)); q == "" || q == "$LATEST" {
			triggers = append(triggers, "event source mapping "+aws.ToString(m.UUID)+" from "+aws.ToString(m.EventSourceArn))
		}
	}
	if len(triggers) == 0 {
		return nil
	}
	return []findings.Finding{e.finding(LMB111, fn, "", map[string]any{"triggersOnLatest": triggers, "aliases": len(fn.Aliases)})}
}

func (e evaluator) versions(fn *Function) []findings.Finding {
	if len(fn.Versions) > 0 {
		return nil
	}
	return []findings.Finding{e.finding(LMB112, fn, "", map[string]any{"publishedVersions": 0})}
}

// secrets scans $LATEST and every published version with the same
// detector as the pre-traffic hook; one finding per variable, naming the
// versions that carry it but never the value.
func (e evaluator) secrets(fn *Function) []findings.Finding {
	type hit struct {
		reason   string
		versions []string
	}
	hits := map[string]*hit{}
	scan := func(version string, c types.FunctionConfiguration) {
		if c.Environment == nil {
			return
		}
		for _, m := range secretscan.Scan(c.Environment.Variables) {
			h := hits[m.Key]
			if h == nil {
				h = &hit{reason: m.Reason}
				hits[m.Key] = h
			}
			h.versions = append(h.versions, version)
		}
	}
	scan("$LATEST", fn.Latest)
	vs := make([]string, 0, len(fn.Versions))
	for v := range fn.Versions {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) < len(vs[j]) || (len(vs[i]) == len(vs[j]) && vs[i] < vs[j]) })
	for _, v := range vs {
		scan(v, fn.Versions[v])
	}
	keys := make([]string, 0, len(hits))
	for k := range hits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []findings.Finding
	for _, k := range keys {
		out = append(out, e.finding(LMB113, fn, k, map[string]any{"variable": k, "reason": hits[k].reason, "versions": hits[k].versions}))
	}
	return out
}

// monthly prices the function's observed workload over a 30-day month at
// the given memory size, with the one cost model of package cost.
func (e evaluator) monthly(fn *Function, memoryMB int) (cost.Estimate, error) {
	m := fn.Metrics
	avg := 0.0
	if m.Invocations > 0 {
		avg = m.DurationSumMs / m.Invocations
	}
	w := cost.Workload{
		MemoryMB:    memoryMB,
		Duration:    time.Duration(avg * float64(time.Millisecond)),
		Invocations: m.Invocations,
		Arch:        cost.Arch(fn.arch()),
		LogBytes:    m.LogBytes,
		Days:        e.cfg.lookbackDays(),
	}.Over(cost.DaysPerMonth)
	return cost.Default().Estimate(w, cost.Options{})
}

// roundUpMB rounds a memory figure up to a multiple of 64 MB within
// Lambda's 128-10240 MB.
func roundUpMB(mb float64) int {
	r := int(math.Ceil(mb/64)) * 64
	return max(128, min(10240, r))
}

func usd(v float64) float64 { return math.Round(v*10000) / 10000 }

func (e evaluator) memory(fn *Function) []findings.Finding {
	r := fn.Reports
	conf := fn.memoryMB()
	if r == nil || r.Count == 0 || conf == 0 {
		return nil
	}
	var c Check
	var rec int
	switch {
	case r.PeakMB >= e.cfg.MemoryHighRatio*float64(conf):
		c = LMB115
		rec = max(roundUpMB(r.PeakMB*(1+e.cfg.MemoryHeadroom)), min(10240, conf+64))
	case r.Count >= e.cfg.MinReports && conf > 128:
		rec = roundUpMB(r.PeakMB * (1 + e.cfg.MemoryHeadroom))
		if float64(rec) > 0.75*float64(conf) {
			return nil
		}
		c = LMB114
	default:
		return nil
	}
	if rec == conf {
		return nil
	}
	now, err1 := e.monthly(fn, conf)
	then, err2 := e.monthly(fn, rec)
	if err1 != nil || err2 != nil {
		return nil
	}
	delta := then.TotalUSD - now.TotalUSD
	sev := c.Severity
	if c == LMB114 && -delta >= 50 {
		sev = findings.Medium
	}
	return []findings.Finding{e.findingSev(c, sev, fn, "", map[string]any{
		"configuredMB": conf, "peakMaxMemoryUsedMB": r.PeakMB, "p99MaxMemoryUsedMB": r.P99MB,
		"reports": r.Count, "reportSource": r.Source, "recommendedMB": rec,
		"monthlyCostUSD": usd(now.TotalUSD), "recommendedMonthlyCostUSD": usd(then.TotalUSD),
		"monthlyDeltaUSD": usd(delta), "assumes": "the same duration at the recommended size",
	})}
}

func (e evaluator) timeout(fn *Function) []findings.Finding {
	m := fn.Metrics
	timeoutMs := float64(aws.ToInt32(fn.Latest.Timeout)) * 1000
	if !m.HasP99 || timeoutMs <= 0 || m.DurationP99Ms <= e.cfg.TimeoutRatio*timeoutMs {
		return nil
	}
	sev := LMB116.Severity
	if m.DurationP99Ms >= timeoutMs*0.999 {
		sev = findings.High // at least 1% of invocations time out
	}
	return []findings.Finding{e.findingSev(LMB116, sev, fn, "", map[string]any{
		"p99DurationMs": m.DurationP99Ms, "timeoutMs": timeoutMs, "ratio": math.Round(m.DurationP99Ms/timeoutMs*1000) / 1000,
		"threshold": e.cfg.TimeoutRatio,
	})}
}

func (e evaluator) errorRate(fn *Function) []findings.Finding {
	m := fn.Metrics
	if m.Invocations < e.cfg.MinInvocations {
		return nil
	}
	rate := m.Errors / m.Invocations
	if rate <= e.cfg.ErrorRate {
		return nil
	}
	return []findings.Finding{e.finding(LMB117, fn, "", map[string]any{
		"errors": m.Errors, "invocations": m.Invocations, "errorRate": math.Round(rate*10000) / 10000,
		"threshold": e.cfg.ErrorRate, "windowDays": e.cfg.lookbackDays(),
	})}
}

func (e evaluator) throttles(fn *Function) []findings.Finding {
	m := fn.Metrics
	if m.Throttles <= 0 {
		return nil
	}
	return []findings.Finding{e.finding(LMB118, fn, "", map[string]any{
		"throttles": m.Throttles, "invocations": m.Invocations, "windowDays": e.cfg.lookbackDays(),
	})}
}

func (e evaluator) dead(fn *Function) []findings.Finding {
	if fn.Metrics.Invocations > 0 || fn.Metrics.AsyncEvents > 0 {
		return nil
	}
	// A function created or changed inside the window may simply be new.
	if t, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(fn.Latest.LastModified)); err == nil && e.now.Sub(t) < e.cfg.Lookback {
		return nil
	}
	return []findings.Finding{e.finding(LMB119, fn, "", map[string]any{
		"invocations": 0, "windowDays": e.cfg.lookbackDays(), "lastModified": aws.ToString(fn.Latest.LastModified),
	})}
}

func (e evaluator) logCost(fn *Function) []findings.Finding {
	if fn.Metrics.LogBytes <= 0 || fn.memoryMB() == 0 {
		return nil
	}
	est, err := e.monthly(fn, fn.memoryMB())
	if err != nil || est.LogsIngestionUSD <= est.LambdaUSD() || est.LogsIngestionUSD < e.cfg.MinLogsUSD {
		return nil
	}
	return []findings.Finding{e.finding(LMB120, fn, fn.LogGroupName, map[string]any{
		"logGroup": fn.LogGroupName, "monthlyLogsGB": math.Round(est.LogsGB*1000) / 1000,
		"monthlyLogsIngestionUSD": usd(est.LogsIngestionUSD), "monthlyComputeUSD": usd(est.ComputeUSD),
		"monthlyRequestsUSD": usd(est.RequestsUSD), "incomingBytesInWindow": fn.Metrics.LogBytes,
	})}
}
