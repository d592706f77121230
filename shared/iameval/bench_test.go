package iameval

import "testing"

// BenchmarkEvaluate evaluates the generated cases of the differential
// suite, whose policy sets hold up to a dozen policies.
func BenchmarkEvaluate(b *testing.B) {
	type input struct {
		req Request
		set PolicySet
	}
	var in []input
	for i := range 200 {
		req, set, err := newCase(oracleSeed, i).policySet()
		if err != nil {
			b.Fatal(err)
		}
		in = append(in, input{req, set})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := in[i%len(in)]
		Evaluate(c.req, c.set)
	}
}
