package hook

import "sync"

// recorder collects results from the checks' goroutine. Once frozen (the
// verdict is being reported) later results are dropped: they would arrive
// after CodeDeploy already has its answer.
type recorder struct {
	mu      sync.Mutex
	frozen  bool
	results []CheckResult
	tgts    []Target
}

func (r *recorder) add(c CheckResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.frozen {
		r.results = append(r.results, c)
	}
}

// addAfterFreeze records a result even after the freeze: used only for a
// panic in the reporting path, which decides the verdict itself.
func (r *recorder) addAfterFreeze(c CheckResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, c)
}

func (r *recorder) setTargets(ts []Target) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tgts = append([]Target(nil), ts...)
}

func (r *recorder) targets() []Target {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Target(nil), r.tgts...)
}

func (r *recorder) freeze() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frozen = true
}

func (r *recorder) snapshot() []CheckResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]CheckResult(nil), r.results...)
}
