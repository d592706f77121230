package cloudtrail

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// benchRecords are shapes of real CloudTrail records (an SDK read from a
// function's role, a console read, an assume-role, a deployment write, an
// access error), about 1.2 KB each as in real trails.
var benchRecords = []string{
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE%[1]d:orders-api","arn":"arn:aws:sts::111122223333:assumed-role/orders-api-role/orders-api-%[1]d","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE%[1]d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/orders-api-role","accountId":"111122223333","userName":"orders-api-role"},"attributes":{"creationDate":"2026-11-20T09:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-11-20T10:%02[2]d:%02[3]dZ","eventSource":"dynamodb.amazonaws.com","eventName":"DescribeTable","awsRegion":"eu-west-1","sourceIPAddress":"34.250.%[4]d.20","userAgent":"aws-sdk-go-v2/1.36.3 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#arm64 api/dynamodb#1.43.1","requestParameters":{"tableName":"orders-%[1]d"},"responseElements":null,"requestID":"REQ%[1]dABCDEFGHIJKLMNOPQRSTUVWXYZ0123","eventID":"7b1e%[1]d-5a6b-4c7d-9e8f-a0b1c2d3e4f5","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:eu-west-1:111122223333:table/orders-%[1]d"}],"eventType":"AwsApiCall","apiVersion":"2012-08-10","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"dynamodb.eu-west-1.amazonaws.com"}}`,
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEALICE:alice","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0a1b2c/alice","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE%[1]d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEALICE","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Developer_0a1b2c","accountId":"111122223333","userName":"AWSReservedSSO_Developer_0a1b2c"},"attributes":{"creationDate":"2026-11-20T08:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-11-20T10:%02[2]d:%02[3]dZ","eventSource":"lambda.amazonaws.com","eventName":"GetFunction20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.%[4]d","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36","requestParameters":{"functionName":"orders-api-%[1]d"},"responseElements":null,"requestID":"c1d2%[1]d-aaaa-bbbb-cccc-0123456789ab","eventID":"e5f6%[1]d-1111-2222-3333-444455556666","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","sessionCredentialFromConsole":"true"}`,
	`{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"lambda.amazonaws.com"},"eventTime":"2026-11-20T10:%02[2]d:%02[3]dZ","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"eu-west-1","sourceIPAddress":"lambda.amazonaws.com","userAgent":"lambda.amazonaws.com","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/orders-api-role","roleSessionName":"orders-api-%[1]d","durationSeconds":43200},"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLE%[1]d","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKENxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","expiration":"Nov 20, 2026, 10:00:00 PM"}},"requestID":"f0e1%[1]d-2222-3333-4444-555566667777","eventID":"a9b8%[1]d-7777-6666-5555-444433332222","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/orders-api-role"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","sharedEventID":"0f1e%[1]d-aaaa-bbbb-cccc-ddddeeeeffff","eventCategory":"Management"}`,
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLECFN:AWSCloudFormation","arn":"arn:aws:sts::111122223333:assumed-role/selfaudit-cfn-exec/AWSCloudFormation","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/selfaudit-cfn-exec","userName":"selfaudit-cfn-exec"}},"invokedBy":"cloudformation.amazonaws.com"},"eventTime":"2026-11-20T10:%02[2]d:%02[3]dZ","eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionConfiguration20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"cloudformation.amazonaws.com","userAgent":"cloudformation.amazonaws.com","requestParameters":{"functionName":"orders-api-%[1]d","timeout":10,"memorySize":512,"environment":{},"deadLetterConfig":{"targetArn":"arn:aws:sqs:eu-west-1:111122223333:orders-dlq"},"tracingConfig":{"mode":"Active"}},"responseElements":{"functionName":"orders-api-%[1]d","functionArn":"arn:aws:lambda:eu-west-1:111122223333:function:orders-api-%[1]d","runtime":"provided.al2023","role":"arn:aws:iam::111122223333:role/orders-api-role","handler":"bootstrap","codeSize":8123456,"timeout":10,"memorySize":512,"state":"Active"},"requestID":"d4c3%[1]d-8888-9999-aaaa-bbbbccccdddd","eventID":"b7a6%[1]d-cccc-dddd-eeee-ffff00001111","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE%[1]d:worker","arn":"arn:aws:sts::111122223333:assumed-role/report-worker/worker-%[1]d","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/report-worker","userName":"report-worker"}}},"eventTime":"2026-11-20T10:%02[2]d:%02[3]dZ","eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","awsRegion":"eu-west-1","sourceIPAddress":"34.250.%[4]d.7","userAgent":"Boto3/1.34.40 md/Botocore#1.34.40 ua/2.0 os/linux#5.10 md/arch#aarch64 lang/python#3.12.1","errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::111122223333:assumed-role/report-worker/worker-%[1]d is not authorized to perform: secretsmanager:GetSecretValue","requestParameters":null,"responseElements":null,"requestID":"aa%[1]d-bb","eventID":"cc%[1]d-dd","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
}

// writeBenchFiles writes gzip log files totalling about mb megabytes of
// JSON, in files of about 8 MB as CloudTrail delivers them.
func writeBenchFiles(tb testing.TB, dir string, mb int) (files []string, records int64) {
	tb.Helper()
	const perFile = 8 << 20
	total := int64(mb) << 20
	var written int64
	i := 0
	for f := 0; written < total; f++ {
		path := filepath.Join(dir, fmt.Sprintf("111122223333_CloudTrail_eu-west-1_20261120T%04dZ_%d.json.gz", f, f))
		out, err := os.Create(path)
		if err != nil {
			tb.Fatal(err)
		}
		zw, _ := gzip.NewWriterLevel(out, gzip.DefaultCompression)
		n, _ := io.WriteString(zw, `{"Records":[`)
		size := int64(n)
		for first := true; size < perFile; first = false {
			if !first {
				_, _ = io.WriteString(zw, ",")
				size++
			}
			s := fmt.Sprintf(benchRecords[i%len(benchRecords)], i%5000, (i/60)%60, i%60, i%250)
			n, _ := io.WriteString(zw, s)
			size += int64(n)
			i++
			records++
		}
		_, _ = io.WriteString(zw, "]}")
		if err := zw.Close(); err != nil {
			tb.Fatal(err)
		}
		out.Close()
		written += size
		files = append(files, path)
	}
	return files, records
}

// peakHeap samples the heap while fn runs and returns the highest heap in
// use (objects plus fragmentation, as HeapInuse) and total memory mapped
// from the OS (as Sys), in MB. It reads runtime/metrics, which unlike
// runtime.ReadMemStats does not stop the world, so sampling does not slow
// the measured work.
func peakHeap(fn func()) (heapMB, sysMB float64) {
	var peak, sys atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		samples := []metrics.Sample{
			{Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/heap/unused:bytes"},
			{Name: "/memory/classes/total:bytes"},
		}
		for {
			metrics.Read(samples)
			inuse := samples[0].Value.Uint64() + samples[1].Value.Uint64()
			if inuse > peak.Load() {
				peak.Store(inuse)
			}
			if t := samples[2].Value.Uint64(); t > sys.Load() {
				sys.Store(t)
			}
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return float64(peak.Load()) / (1 << 20), float64(sys.Load()) / (1 << 20)
}

// BenchmarkAnalyzeGzipLogs measures the whole offline analysis of gzip log
// files against the floor of merely decompressing them with `gzip -dc`, in
// the same run, at two input sizes to show that memory stays flat. The
// size is SELFAUDIT_BENCH_MB megabytes of JSON (default 256), generated
// into a temporary folder.
func BenchmarkAnalyzeGzipLogs(b *testing.B) {
	mb := 256
	if v, err := strconv.Atoi(os.Getenv("SELFAUDIT_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	for _, size := range []int{mb / 4, mb} {
		dir := b.TempDir()
		files, records := writeBenchFiles(b, dir, size)
		b.Run(fmt.Sprintf("%dMB", size), func(b *testing.B) {
			analyze := againstGzip(b, dir, files, int64(records), nil)
			b.ReportMetric(float64(size)*float64(b.N)/analyze.Seconds(), "MB/s")
		})
	}
}

// againstGzip analyses dir b.N times beside `gzip -dc` of files, the
// floor, and reports records per second, the wall and CPU ratios to the
// floor and the peak heap and memory from the OS. It checks that every
// one of records was read and hands the findings of each run to check
// (nil for none). It returns the time spent analysing.
func againstGzip(b *testing.B, dir string, files []string, records int64, check func([]findings.Finding)) time.Duration {
	b.Helper()
	gz, err := exec.LookPath("gzip")
	if err != nil {
		b.Skip("gzip not installed: no floor to compare with")
	}
	var floor, analyze, floorCPU, analyzeCPU time.Duration
	var heap, sys float64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		cmd := exec.Command(gz, append([]string{"-dc"}, files...)...)
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		floor += time.Since(start)
		floorCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		runtime.GC()
		cpu0 := cpuTime()
		start = time.Now()
		var fs []findings.Finding
		var st Stats
		h, s := peakHeap(func() {
			var err error
			fs, st, err = AnalyzePaths(context.Background(), []string{dir}, Options{})
			if err != nil {
				b.Fatal(err)
			}
		})
		analyze += time.Since(start)
		analyzeCPU += cpuTime() - cpu0
		heap, sys = max(heap, h), max(sys, s)
		if st.Records != records {
			b.Fatalf("read %d records, wrote %d", st.Records, records)
		}
		if check != nil {
			check(fs)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(records)*n/analyze.Seconds(), "records/s")
	b.ReportMetric(analyze.Seconds()/floor.Seconds(), "x-gzip-dc")
	b.ReportMetric(analyzeCPU.Seconds()/floorCPU.Seconds(), "x-gzip-dc-cpu")
	b.ReportMetric(heap, "peak-heap-MB")
	b.ReportMetric(sys, "peak-sys-MB")
	return analyze
}

// cpuTime is the user and system time of this process so far. On a busy
// shared machine, CPU time compares work where wall time mostly measures
// the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAnalyzeFlood measures the offline analysis of a noisy day:
// SELFAUDIT_FLOOD_RECORDS records (default 300,000) of which half are
// flagged, spread over a few hours, resources and principals, against the
// floor of `gzip -dc` on the same files. Findings fold by check, resource,
// principal and hour as records stream, so memory holds the folded set
// (reported as findings) and stays near that of a quiet day.
func BenchmarkAnalyzeFlood(b *testing.B) {
	n := 300_000
	if v, err := strconv.Atoi(os.Getenv("SELFAUDIT_FLOOD_RECORDS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	files, groups := writeFloodFiles(b, dir, n)
	found := 0
	againstGzip(b, dir, files, int64(n), func(fs []findings.Finding) {
		found = len(fs)
		if found != len(groups) {
			b.Fatalf("%d findings, want one per check, resource, principal and hour: %d", found, len(groups))
		}
	})
	b.ReportMetric(float64(found), "findings")
	b.ReportMetric(float64(len(groups)), "groups")
}
