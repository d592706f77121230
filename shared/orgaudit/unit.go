package orgaudit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The scanners a unit can name: the finding-store scanner names of the
// live IAM scan and of the fleet auditor, so that a unit's findings share
// their scope with the daily run of the same account.
const (
	ScannerIAM   = "iam-wildcard-scanner"
	ScannerFleet = "lambda-fleet-auditor"
)

// Scanners lists the scanners of a default run.
func Scanners() []string { return []string{ScannerIAM, ScannerFleet} }

// Unit is one scanner over one account and region.
type Unit struct {
	Run     string `json:"run"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Scanner string `json:"scanner"`
}

// Key names the unit within its account: the scanner and the region.
func (u Unit) Key() string { return u.Scanner + "@" + u.Region }

func (u Unit) String() string { return u.Run + "/" + u.Account + "/" + u.Key() }

// Validate reports a unit no worker could audit.
func (u Unit) Validate() error {
	var errs []error
	if u.Run == "" || len(u.Run) > 64 || strings.ContainsAny(u.Run, "#|@ ") {
		errs = append(errs, fmt.Errorf("run ID %q: want 1 to 64 characters without #, |, @ or spaces", u.Run))
	}
	if !ValidAccount(u.Account) {
		errs = append(errs, fmt.Errorf("account %q: want 12 digits", u.Account))
	}
	if !ValidRegion(u.Region) {
		errs = append(errs, fmt.Errorf("region %q: want a region name such as eu-west-1", u.Region))
	}
	if u.Scanner != ScannerIAM && u.Scanner != ScannerFleet {
		errs = append(errs, fmt.Errorf("scanner %q: want %s or %s", u.Scanner, ScannerIAM, ScannerFleet))
	}
	return errors.Join(errs...)
}

// ValidAccount reports whether s is an AWS account ID: 12 digits.
func ValidAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidRegion reports whether s looks like a region name: lower-case
// letters and digits in two or more parts joined by "-", at most 32.
func ValidRegion(s string) bool {
	if len(s) < 4 || len(s) > 32 || !strings.Contains(s, "-") {
		return false
	}
	for _, part := range strings.Split(s, "-") {
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			if c := part[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
				return false
			}
		}
	}
	return true
}

// UnitsOf lists the units of one account: the IAM scan once, in the first
// region, and the fleet audit in every region.
func UnitsOf(run, account string, regions, scanners []string) []Unit {
	var us []Unit
	for _, s := range scanners {
		switch s {
		case ScannerIAM:
			if len(regions) > 0 {
				us = append(us, Unit{Run: run, Account: account, Region: regions[0], Scanner: s})
			}
		case ScannerFleet:
			for _, r := range regions {
				us = append(us, Unit{Run: run, Account: account, Region: r, Scanner: s})
			}
		}
	}
	return us
}

// Message kinds on the units queue.
const (
	KindUnit     = "unit"
	KindDeadline = "deadline"
)

// Message is the body of one message on the units queue: a unit to audit,
// or the run's deadline, when it completes whatever is left.
type Message struct {
	Kind string `json:"kind"`
	Unit
	// Deadline is the run's deadline, on a deadline message.
	Deadline time.Time `json:"deadline,omitzero"`
}

// MaxMessageBytes bounds a message body; a unit needs about 150.
const MaxMessageBytes = 4096

// ParseMessage decodes and checks one message body.
func ParseMessage(body []byte) (Message, error) {
	if len(body) > MaxMessageBytes {
		return Message{}, fmt.Errorf("orgaudit message: %d bytes, more than %d", len(body), MaxMessageBytes)
	}
	var m Message
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Message{}, fmt.Errorf("orgaudit message: %w", err)
	}
	switch m.Kind {
	case KindUnit:
		if err := m.Unit.Validate(); err != nil {
			return Message{}, fmt.Errorf("orgaudit message: %w", err)
		}
	case KindDeadline:
		if err := (Unit{Run: m.Run, Account: "000000000000", Region: "aa-a-1", Scanner: ScannerIAM}).Validate(); err != nil {
			return Message{}, fmt.Errorf("orgaudit message: %w", err)
		}
	default:
		return Message{}, fmt.Errorf("orgaudit message: kind %q, want %q or %q", m.Kind, KindUnit, KindDeadline)
	}
	return m, nil
}

// Body encodes m.
func (m Message) Body() string {
	b, _ := json.Marshal(m)
	return string(b)
}
