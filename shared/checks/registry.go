package checks

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// registry holds checks by ID. Registration happens during package
// initialisation and reads afterwards; the lock keeps a late registration
// (a test's) from racing a reader.
type registry struct {
	mu   sync.RWMutex
	byID map[string]Check
}

func newRegistry() *registry { return &registry{byID: map[string]Check{}} }

// add stores a copy of c, refusing a malformed check or a second check with
// the same ID.
func (r *registry) add(c Check) (Check, error) {
	if err := c.Validate(); err != nil {
		return Check{}, err
	}
	c = clone(c)
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, dup := r.byID[c.ID]; dup {
		return Check{}, fmt.Errorf("check %s registered twice (engines %s and %s)", c.ID, prev.Engine, c.Engine)
	}
	r.byID[c.ID] = c
	return clone(c), nil
}

func (r *registry) lookup(id string) (Check, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.byID[id]
	return clone(c), ok
}

func (r *registry) all() []Check {
	r.mu.RLock()
	out := make([]Check, 0, len(r.byID))
	for _, c := range r.byID {
		out = append(out, clone(c))
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b Check) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// clone copies the slices so that no caller can change the registry's copy.
func clone(c Check) Check {
	c.Inputs = slices.Clone(c.Inputs)
	c.References.Docs = slices.Clone(c.References.Docs)
	c.References.SecurityHub = slices.Clone(c.References.SecurityHub)
	c.Techniques = slices.Clone(c.Techniques)
	return c
}

var global = newRegistry()

// Register adds a check and returns it, for the engine to keep beside its
// matching code:
//
//	var CT004 = register(&Rule{Check: checks.Check{ID: "CT004", ...}, Match: ...})
//
// It panics on a malformed check or a duplicate ID: both are programming
// errors, caught by the first test of any package that links the engine.
func Register(c Check) Check {
	out, err := global.add(c)
	if err != nil {
		panic("checks: " + err.Error())
	}
	return out
}

// Lookup returns the registered check with this ID.
func Lookup(id string) (Check, bool) { return global.lookup(id) }

// All returns every registered check, sorted by ID. Only the engines linked
// into the program have registered theirs; the command-line tool links all
// four.
func All() []Check { return global.all() }

// ByEngine returns one engine's checks, sorted by ID.
func ByEngine(e Engine) []Check {
	var out []Check
	for _, c := range All() {
		if c.Engine == e {
			out = append(out, c)
		}
	}
	return out
}
