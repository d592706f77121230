package awsfake

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cloudWatchPathPrefix is the Smithy RPC v2 route of the CloudWatch
// service (its Smithy name is GraniteServiceVersion20100801).
const cloudWatchPathPrefix = "/service/GraniteServiceVersion20100801/operation/"

func cborReply(w http.ResponseWriter, status int, v cbor.Map) { writeCBOR(w, status, v) }

func cborError(w http.ResponseWriter, typ, msg string) {
	cborStatusError(w, http.StatusBadRequest, typ, msg)
}

func cborStatusError(w http.ResponseWriter, status int, typ, msg string) {
	cborReply(w, status, cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#" + typ), "message": cbor.String(msg)})
}

// CloudWatch fakes the CloudWatch operations of the fleet auditor over an
// Estate, in Smithy RPC v2 CBOR, the protocol the current SDK's CloudWatch
// client speaks: DescribeAlarms (pages of at most 100) and GetMetricData
// (1 to 500 queries, periods in minutes, one datapoint per metric the
// estate holds).
type CloudWatch struct {
	base
	Estate *Estate
}

// NewCloudWatch serves estate.
func NewCloudWatch(estate *Estate) *CloudWatch { return &CloudWatch{Estate: estate} }

// Service implements Fake.
func (*CloudWatch) Service() string { return "CloudWatch" }

// EndpointVar implements Fake.
func (*CloudWatch) EndpointVar() string { return "AWS_ENDPOINT_URL_CLOUDWATCH" }

func (s *CloudWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.URL.Path, cloudWatchPathPrefix)
	if !ok || r.Method != http.MethodPost || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || r.Header.Get("Content-Type") != ctCBOR {
		cborError(w, "UnknownOperationException", "not an RPC v2 CBOR CloudWatch request: "+r.Method+" "+r.URL.Path)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if !s.admit(w, Call{Op: op, Request: r, Body: body}, func(w http.ResponseWriter, e *APIError, op string) {
		cborStatusError(w, e.Status, e.Type, e.message(op))
	}) {
		return
	}
	in := cbor.Map{}
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		m, isMap := v.(cbor.Map)
		if err != nil || !isMap {
			cborError(w, "SerializationException", fmt.Sprintf("request body is not a CBOR map: %v", err))
			return
		}
		in = m
	}
	switch op {
	case "DescribeAlarms":
		s.describeAlarms(w, in)
	case "GetMetricData":
		s.getMetricData(w, in)
	default:
		cborError(w, "UnknownOperationException", "the fake does not serve "+op)
	}
}

func cstr(v cbor.Value) string {
	if s, ok := v.(cbor.String); ok {
		return string(s)
	}
	return ""
}

func cint(v cbor.Value) int {
	switch n := v.(type) {
	case cbor.Uint:
		return int(n)
	case cbor.Float64:
		return int(n)
	}
	return 0
}

func dims(m map[string]string) cbor.List {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := cbor.List{}
	for _, k := range keys {
		out = append(out, cbor.Map{"Name": cbor.String(k), "Value": cbor.String(m[k])})
	}
	return out
}

func (s *CloudWatch) describeAlarms(w http.ResponseWriter, in cbor.Map) {
	size := cint(in["MaxRecords"])
	if size <= 0 || size > 100 {
		size = 50
	}
	var all []cbor.Value
	for _, a := range s.Estate.Alarms {
		m := cbor.Map{
			"AlarmName": cbor.String(a.Name), "AlarmArn": cbor.String(fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", Region, Account, a.Name)),
			"ActionsEnabled": cbor.Bool(true), "AlarmActions": cbor.List{cbor.String(fmt.Sprintf("arn:aws:sns:%s:%s:ops-alerts", Region, Account))},
			"StateValue": cbor.String("OK"), "EvaluationPeriods": cbor.Uint(1), "Threshold": cbor.Float64(0),
			"ComparisonOperator": cbor.String("GreaterThanThreshold"), "TreatMissingData": cbor.String("notBreaching"),
			"StateUpdatedTimestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(1.7e9)},
		}
		if len(a.Math) == 0 {
			m["Namespace"], m["MetricName"], m["Dimensions"] = cbor.String(a.Namespace), cbor.String(a.Metric), dims(a.Dims)
			m["Statistic"], m["Period"] = cbor.String("Sum"), cbor.Uint(60)
		} else {
			qs := cbor.List{}
			for i, mm := range a.Math {
				qs = append(qs, cbor.Map{
					"Id": cbor.String("m" + strconv.Itoa(i)), "ReturnData": cbor.Bool(false),
					"MetricStat": cbor.Map{"Metric": cbor.Map{"Namespace": cbor.String(mm.Namespace), "MetricName": cbor.String(mm.Metric), "Dimensions": dims(mm.Dims)},
						"Period": cbor.Uint(60), "Stat": cbor.String("Sum")},
				})
			}
			qs = append(qs, cbor.Map{"Id": cbor.String("rate"), "Expression": cbor.String("m0/m1*100"), "Label": cbor.String("error rate"), "ReturnData": cbor.Bool(true)})
			m["Metrics"] = qs
		}
		all = append(all, m)
	}
	items, next := page(all, cstr(in["NextToken"]), size)
	out := cbor.Map{"MetricAlarms": cbor.List(items), "CompositeAlarms": cbor.List{}}
	if next != "" {
		out["NextToken"] = cbor.String(next)
	}
	cborReply(w, http.StatusOK, out)
}

// metricValue is the one datapoint the fake holds for a metric over the
// window; ok is false when CloudWatch would have no data.
func (s *CloudWatch) metricValue(namespace, metric, stat string, dims map[string]string) (float64, bool) {
	var f *Function
	switch namespace {
	case "AWS/Lambda":
		f = s.Estate.Lookup(dims["FunctionName"])
	case "AWS/Logs":
		if fs := s.Estate.inGroup(dims["LogGroupName"]); len(fs) > 0 {
			f = fs[0]
		}
	}
	if f == nil {
		return 0, false
	}
	var v float64
	switch metric + "/" + stat {
	case "Invocations/Sum":
		v = f.Invocations
	case "Errors/Sum":
		v = f.Errors
	case "Throttles/Sum":
		v = f.Throttles
	case "Duration/Sum":
		v = f.DurationSumMs
	case "Duration/p99":
		v = f.DurationP99Ms
		return v, f.Invocations > 0
	case "AsyncEventsReceived/Sum":
		v = f.AsyncEvents
	case "IncomingBytes/Sum":
		v = f.LogBytes
	default:
		return 0, false
	}
	return v, v != 0
}

func (s *CloudWatch) getMetricData(w http.ResponseWriter, in cbor.Map) {
	queries, _ := in["MetricDataQueries"].(cbor.List)
	if len(queries) == 0 || len(queries) > 500 {
		cborError(w, "ValidationError", fmt.Sprintf("MetricDataQueries must hold 1 to 500 queries, got %d", len(queries)))
		return
	}
	start, okS := in["StartTime"].(*cbor.Tag)
	end, okE := in["EndTime"].(*cbor.Tag)
	if !okS || !okE || start.ID != 1 || end.ID != 1 {
		cborError(w, "ValidationError", "StartTime and EndTime must be CBOR epoch timestamps (tag 1)")
		return
	}
	endSecs := tagSeconds(end)
	results := cbor.List{}
	for _, qv := range queries {
		q, _ := qv.(cbor.Map)
		id := cstr(q["Id"])
		stat, _ := q["MetricStat"].(cbor.Map)
		metric, _ := stat["Metric"].(cbor.Map)
		period := cint(stat["Period"])
		if id == "" || metric == nil || period <= 0 || period%60 != 0 {
			cborError(w, "ValidationError", "query "+id+" lacks an Id, a MetricStat or a period that is a multiple of 60")
			return
		}
		d := map[string]string{}
		dl, _ := metric["Dimensions"].(cbor.List)
		for _, dv := range dl {
			dm, _ := dv.(cbor.Map)
			d[cstr(dm["Name"])] = cstr(dm["Value"])
		}
		res := cbor.Map{"Id": cbor.String(id), "Label": cbor.String(cstr(metric["MetricName"])), "StatusCode": cbor.String("Complete"),
			"Timestamps": cbor.List{}, "Values": cbor.List{}}
		if v, ok := s.metricValue(cstr(metric["Namespace"]), cstr(metric["MetricName"]), cstr(stat["Stat"]), d); ok {
			res["Timestamps"] = cbor.List{&cbor.Tag{ID: 1, Value: cbor.Float64(endSecs - float64(period))}}
			res["Values"] = cbor.List{cbor.Float64(v)}
		}
		results = append(results, res)
	}
	cborReply(w, http.StatusOK, cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}})
}

func tagSeconds(t *cbor.Tag) float64 {
	switch v := t.Value.(type) {
	case cbor.Uint:
		return float64(v)
	case cbor.Float64:
		return float64(v)
	case cbor.Float32:
		return float64(v)
	}
	return math.NaN()
}
