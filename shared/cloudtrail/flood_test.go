package cloudtrail

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
)

// floodRecords are flagged record shapes, about 1 KB each like benchRecords:
// a Lambda code update by a hotfix role outside the pipeline (CT002), a
// console configuration edit (CT001), a role policy attached by an IAM user
// (CT002 and CT007) and a root user read (CT006). Arguments: 1 a unique
// number, 2 the hour, 3 minute, 4 second, 5 the resource number, 6 the
// principal number.
var floodRecords = []struct {
	template string
	// groups names the findings one record of the shape produces, as
	// check, resource and principal with %[5]d and %[6]d to fill.
	groups [][3]string
}{
	{
		template: `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEHOTFIX:dev-%[6]d","arn":"arn:aws:sts::111122223333:assumed-role/hotfix/dev-%[6]d","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE%[1]d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEHOTFIX","arn":"arn:aws:iam::111122223333:role/hotfix","accountId":"111122223333","userName":"hotfix"},"attributes":{"creationDate":"2026-11-20T07:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-11-20T%02[2]d:%02[3]d:%02[4]dZ","eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionCode20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.%[6]d","userAgent":"aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 command/lambda.update-function-code","requestParameters":{"functionName":"orders-api-%[5]d","publish":false,"dryRun":false},"responseElements":{"functionName":"orders-api-%[5]d","functionArn":"arn:aws:lambda:eu-west-1:111122223333:function:orders-api-%[5]d","runtime":"provided.al2023","handler":"bootstrap","codeSize":8123456,"state":"Active"},"requestID":"f100%[1]d-1111-2222-3333-444455556666","eventID":"f100%[1]d-aaaa-bbbb-cccc-ddddeeeeffff","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
		groups:   [][3]string{{"CT002", "arn:aws:lambda:eu-west-1:111122223333:function:orders-api-%[5]d", "arn:aws:sts::111122223333:assumed-role/hotfix/dev-%[6]d"}},
	},
	{
		template: `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEALICE:alice-%[6]d","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0a1b2c/alice-%[6]d","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE%[1]d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEALICE","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Developer_0a1b2c","accountId":"111122223333","userName":"AWSReservedSSO_Developer_0a1b2c"},"attributes":{"creationDate":"2026-11-20T07:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-11-20T%02[2]d:%02[3]d:%02[4]dZ","eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionConfiguration20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.%[6]d","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36","requestParameters":{"functionName":"orders-api-%[5]d","timeout":30},"responseElements":{"functionName":"orders-api-%[5]d","functionArn":"arn:aws:lambda:eu-west-1:111122223333:function:orders-api-%[5]d","timeout":30,"state":"Active"},"requestID":"f200%[1]d-1111-2222-3333-444455556666","eventID":"f200%[1]d-aaaa-bbbb-cccc-ddddeeeeffff","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","sessionCredentialFromConsole":"true"}`,
		groups:   [][3]string{{"CT001", "arn:aws:lambda:eu-west-1:111122223333:function:orders-api-%[5]d", "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0a1b2c/alice-%[6]d"}},
	},
	{
		template: `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE%[6]d","arn":"arn:aws:iam::111122223333:user/admin-%[6]d","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE%[6]d","userName":"admin-%[6]d"},"eventTime":"2026-11-20T%02[2]d:%02[3]d:%02[4]dZ","eventSource":"iam.amazonaws.com","eventName":"AttachRolePolicy","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.%[6]d","userAgent":"aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 command/iam.attach-role-policy","requestParameters":{"roleName":"app-%[5]d","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"},"responseElements":null,"requestID":"f300%[1]d-1111-2222-3333-444455556666","eventID":"f300%[1]d-aaaa-bbbb-cccc-ddddeeeeffff","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}}`,
		groups: [][3]string{
			{"CT002", "arn:aws:iam::111122223333:role/app-%[5]d", "arn:aws:iam::111122223333:user/admin-%[6]d"},
			{"CT007", "arn:aws:iam::111122223333:role/app-%[5]d", "arn:aws:iam::111122223333:user/admin-%[6]d"},
		},
	},
	{
		template: `{"eventVersion":"1.09","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEROOT%[1]d","sessionContext":{"attributes":{"creationDate":"2026-11-20T07:00:00Z","mfaAuthenticated":"true"}}},"eventTime":"2026-11-20T%02[2]d:%02[3]d:%02[4]dZ","eventSource":"lambda.amazonaws.com","eventName":"ListFunctions20150331","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.%[6]d","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36","requestParameters":{"functionVersion":"ALL","maxItems":50},"responseElements":null,"requestID":"f400%[1]d-1111-2222-3333-444455556666","eventID":"f400%[1]d-aaaa-bbbb-cccc-ddddeeeeffff","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","sessionCredentialFromConsole":"true"}`,
		groups:   [][3]string{{"CT006", "arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root"}},
	},
}

// floodHours is how many clock hours a flood spans, from 08:00 UTC.
const floodHours = 6

// floodGroup is what one aggregated finding stands for.
type floodGroup struct {
	check, resource, principal string
	hour                       int
}

// writeFloodFiles writes gzip log files of n records in files of about
// 8 MB, as CloudTrail delivers them: every other record is one of
// benchRecords (none of which is flagged on its own), every other one a
// flagged floodRecords shape, spread evenly over floodHours hours, 40
// resources and 8 principals. It returns the files and the distinct
// (check, resource, principal, hour) the flagged records make, which is how
// many findings the flood must fold into.
func writeFloodFiles(tb testing.TB, dir string, n int) ([]string, map[floodGroup]bool) {
	tb.Helper()
	const perFile = 8 << 20
	groups := map[floodGroup]bool{}
	var files []string
	for i, f := 0, 0; i < n; f++ {
		path := filepath.Join(dir, fmt.Sprintf("111122223333_CloudTrail_eu-west-1_20261120T%04dZ_flood%d.json.gz", f, f))
		out, err := os.Create(path)
		if err != nil {
			tb.Fatal(err)
		}
		zw, _ := gzip.NewWriterLevel(out, gzip.DefaultCompression)
		size, _ := io.WriteString(zw, `{"Records":[`)
		for first := true; size < perFile && i < n; first, i = false, i+1 {
			if !first {
				_, _ = io.WriteString(zw, ",")
				size++
			}
			hour := 8 + i*floodHours/n
			minute, second := (i/60)%60, i%60
			var s string
			if i%2 == 0 {
				s = fmt.Sprintf(benchRecords[(i/2)%len(benchRecords)], i%5000, minute, second, i%250)
				s = strings.Replace(s, `"eventTime":"2026-11-20T10:`, fmt.Sprintf(`"eventTime":"2026-11-20T%02d:`, hour), 1)
			} else {
				shape := floodRecords[(i/2)%len(floodRecords)]
				res, who := (i/7)%40, (i/11)%8
				s = fmt.Sprintf(shape.template, i, hour, minute, second, res, who)
				for _, g := range shape.groups {
					groups[floodGroup{g[0], fillFlood(g[1], res, who), fillFlood(g[2], res, who), hour}] = true
				}
			}
			n, _ := io.WriteString(zw, s)
			size += n
		}
		_, _ = io.WriteString(zw, "]}")
		if err := zw.Close(); err != nil {
			tb.Fatal(err)
		}
		out.Close()
		files = append(files, path)
	}
	return files, groups
}

// fillFlood puts a resource and a principal number into a group's name.
func fillFlood(s string, res, who int) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return fmt.Sprintf(s, 0, 0, 0, 0, res, who)
}

// TestFloodFoldsByCheckResourcePrincipalHour runs a flood through the path
// `selfaudit trail` takes (AnalyzePaths over a folder of gzip log files)
// and checks that it yields exactly one finding per distinct (check,
// resource, principal, hour), each counting its records.
func TestFloodFoldsByCheckResourcePrincipalHour(t *testing.T) {
	t.Parallel()
	const n = 20_000
	dir := t.TempDir()
	_, groups := writeFloodFiles(t, dir, n)
	fs, st, err := AnalyzePaths(context.Background(), []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != n {
		t.Fatalf("read %d records, wrote %d", st.Records, n)
	}
	got := map[floodGroup]bool{}
	var occurrences int64
	for _, f := range fs {
		ht, err := time.Parse(time.RFC3339, f.Evidence[rules.EvidenceFirstEventTime].(string))
		if err != nil {
			t.Fatalf("%s: firstEventTime: %v", f.Check, err)
		}
		g := floodGroup{f.Check, f.Resource, f.Evidence["principal"].(string), ht.Hour()}
		if got[g] {
			t.Errorf("two findings for %+v", g)
		}
		got[g] = true
		if !groups[g] {
			t.Errorf("unexpected finding %+v", g)
		}
		occurrences += f.Evidence[rules.EvidenceOccurrences].(int64)
	}
	for g := range groups {
		if !got[g] {
			t.Errorf("no finding for %+v", g)
		}
	}
	if len(fs) != len(groups) {
		t.Errorf("%d findings, want %d (one per check, resource, principal and hour)", len(fs), len(groups))
	}
	// Every flagged record is counted once per check it hits: one shape in
	// four hits two checks.
	if want := int64(n / 2 * 5 / 4); occurrences != want {
		t.Errorf("occurrences add up to %d, want %d", occurrences, want)
	}
}
