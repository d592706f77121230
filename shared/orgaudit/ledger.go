package orgaudit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Unit states in the ledger.
const (
	StatePending    = "pending"
	StateDone       = "done"
	StateNotCovered = "not_covered"
)

// Run is what the coordinator records when it starts a run.
type Run struct {
	ID       string    `json:"run"`
	Created  time.Time `json:"created"`
	Deadline time.Time `json:"deadline"`
	Regions  []string  `json:"regions"`
	Scanners []string  `json:"scanners"`
	// Accounts are the accounts to audit, sorted.
	Accounts []string `json:"-"`
	// Organization is the organisation's ARN, the resource of ORG001;
	// empty when it could not be told.
	Organization string `json:"organization,omitempty"`
}

// Units is the number of units of the run.
func (r Run) Units() int {
	if len(r.Accounts) == 0 {
		return 0
	}
	return len(r.Accounts) * len(UnitsOf(r.ID, r.Accounts[0], r.Regions, r.Scanners))
}

// Tally is what a finished unit adds to its account's figures: the
// finding changes it announced and the findings standing after it.
type Tally struct {
	New, Resolved, Open int
}

// Mark is the outcome a worker records for a unit.
type Mark struct {
	State  string // StateDone or StateNotCovered
	Reason string // why it is not covered
	Tally  Tally
}

// Marked is what recording a mark did.
type Marked struct {
	// Won is true for the write that changed the unit; false when an
	// earlier delivery had marked it already.
	Won bool
	// State is the unit's state after the write.
	State string
	// AccountDone is true when no unit of the account is pending.
	AccountDone bool
}

// AccountState is one account's units as the ledger holds them.
type AccountState struct {
	Account string
	Units   map[string]string // Unit.Key() → state
	Reasons map[string]string // Unit.Key() → reason, for units not covered
	Tally   Tally
	// Remaining is the account's count of pending units: zero when every
	// unit was marked once, negative only if one were counted twice.
	Remaining int
}

// RunState is a run and every account's units.
type RunState struct {
	Run      Run
	Accounts []AccountState
	// Finished is the number of accounts with no pending unit as the
	// workers counted them.
	Finished int
	// Completed is set once the completion event is out.
	Completed bool
}

// ErrUnknownUnit is returned for a unit the run does not hold.
var ErrUnknownUnit = errors.New("unit not in the run")

// Ledger keeps the state of runs: DynamoDB in the stack (DynamoLedger),
// memory for the command line (MemoryLedger).
type Ledger interface {
	// Create records a run with every unit pending.
	Create(ctx context.Context, run Run) error
	// State returns a unit's state and whether its account is done.
	State(ctx context.Context, u Unit) (state string, accountDone bool, err error)
	// Mark moves a pending unit to m.State, once.
	Mark(ctx context.Context, u Unit, m Mark) (Marked, error)
	// FinishAccount records that an account has no pending unit (again
	// without harm) and returns how many accounts are finished and how
	// many the run has.
	FinishAccount(ctx context.Context, run, account string) (finished, expected int, err error)
	// Load reads a run and every account's units.
	Load(ctx context.Context, run string) (*RunState, error)
	// Claim takes the right to complete the run until until; false when
	// another holds it or the run is completed.
	Claim(ctx context.Context, run string, now, until time.Time) (bool, error)
	// Close records the run as completed with its coverage.
	Close(ctx context.Context, run string, cov Coverage) error
}

// MemoryLedger is a Ledger in memory, for one process: the command line
// and tests. Safe for concurrent use.
type MemoryLedger struct {
	mu   sync.Mutex
	runs map[string]*memRun
}

type memRun struct {
	run       Run
	accounts  map[string]*AccountState
	finished  map[string]bool
	claimed   time.Time
	completed bool
	coverage  Coverage
}

// NewMemoryLedger returns an empty ledger.
func NewMemoryLedger() *MemoryLedger { return &MemoryLedger{runs: map[string]*memRun{}} }

// Create implements Ledger.
func (l *MemoryLedger) Create(_ context.Context, run Run) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.runs[run.ID]; dup {
		return fmt.Errorf("run %s exists", run.ID)
	}
	r := &memRun{run: run, accounts: map[string]*AccountState{}, finished: map[string]bool{}}
	for _, a := range run.Accounts {
		st := &AccountState{Account: a, Units: map[string]string{}, Reasons: map[string]string{}}
		for _, u := range UnitsOf(run.ID, a, run.Regions, run.Scanners) {
			st.Units[u.Key()] = StatePending
			st.Remaining++
		}
		r.accounts[a] = st
	}
	l.runs[run.ID] = r
	return nil
}

func (l *MemoryLedger) account(u Unit) (*memRun, *AccountState, error) {
	r := l.runs[u.Run]
	if r == nil {
		return nil, nil, fmt.Errorf("run %s: %w", u.Run, ErrUnknownUnit)
	}
	a := r.accounts[u.Account]
	if a == nil || a.Units[u.Key()] == "" {
		return nil, nil, fmt.Errorf("%s: %w", u, ErrUnknownUnit)
	}
	return r, a, nil
}

func accountDone(a *AccountState) bool {
	for _, s := range a.Units {
		if s == StatePending {
			return false
		}
	}
	return true
}

// State implements Ledger.
func (l *MemoryLedger) State(_ context.Context, u Unit) (string, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, a, err := l.account(u)
	if err != nil {
		return "", false, err
	}
	return a.Units[u.Key()], accountDone(a), nil
}

// Mark implements Ledger.
func (l *MemoryLedger) Mark(_ context.Context, u Unit, m Mark) (Marked, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, a, err := l.account(u)
	if err != nil {
		return Marked{}, err
	}
	if a.Units[u.Key()] != StatePending {
		return Marked{State: a.Units[u.Key()], AccountDone: accountDone(a)}, nil
	}
	a.Units[u.Key()] = m.State
	a.Remaining--
	if m.Reason != "" {
		a.Reasons[u.Key()] = m.Reason
	}
	a.Tally.New += m.Tally.New
	a.Tally.Resolved += m.Tally.Resolved
	a.Tally.Open += m.Tally.Open
	return Marked{Won: true, State: m.State, AccountDone: accountDone(a)}, nil
}

// FinishAccount implements Ledger.
func (l *MemoryLedger) FinishAccount(_ context.Context, run, account string) (int, int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.runs[run]
	if r == nil {
		return 0, 0, fmt.Errorf("run %s: %w", run, ErrUnknownUnit)
	}
	r.finished[account] = true
	return len(r.finished), len(r.accounts), nil
}

// Load implements Ledger.
func (l *MemoryLedger) Load(_ context.Context, run string) (*RunState, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.runs[run]
	if r == nil {
		return nil, fmt.Errorf("run %s: %w", run, ErrUnknownUnit)
	}
	st := &RunState{Run: r.run, Finished: len(r.finished), Completed: r.completed}
	for _, a := range r.run.Accounts {
		c := *r.accounts[a]
		c.Units, c.Reasons = cloneMap(c.Units), cloneMap(c.Reasons)
		st.Accounts = append(st.Accounts, c)
	}
	return st, nil
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Claim implements Ledger.
func (l *MemoryLedger) Claim(_ context.Context, run string, now, until time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.runs[run]
	if r == nil {
		return false, fmt.Errorf("run %s: %w", run, ErrUnknownUnit)
	}
	if r.completed || r.claimed.After(now) {
		return false, nil
	}
	r.claimed = until
	return true, nil
}

// Close implements Ledger.
func (l *MemoryLedger) Close(_ context.Context, run string, cov Coverage) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.runs[run]
	if r == nil {
		return fmt.Errorf("run %s: %w", run, ErrUnknownUnit)
	}
	r.completed, r.coverage = true, cov
	return nil
}
