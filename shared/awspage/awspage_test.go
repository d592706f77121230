package awspage

import (
	"context"
	"errors"
	"slices"
	"testing"
)

type options struct{}

// pages is a paginator over fixed pages that fails at page failAt
// (1-based; 0 never).
type pages struct {
	pages  [][]string
	next   int
	failAt int
}

func (p *pages) HasMorePages() bool { return p.next < len(p.pages) }

func (p *pages) NextPage(context.Context, ...func(*options)) ([]string, error) {
	p.next++
	if p.next == p.failAt {
		return nil, errors.New("throttled")
	}
	return p.pages[p.next-1], nil
}

func TestAll(t *testing.T) {
	for name, tc := range map[string]struct {
		pages   [][]string
		failAt  int
		want    []string
		wantErr bool
	}{
		"no pages":         {},
		"every page":       {pages: [][]string{{"a", "b"}, {}, {"c"}}, want: []string{"a", "b", "c"}},
		"stops at a fault": {pages: [][]string{{"a"}, {"b"}, {"c"}}, failAt: 2, want: []string{"a"}, wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			p := &pages{pages: tc.pages, failAt: tc.failAt}
			got, err := All(context.Background(), p, func(page []string) []string { return page })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want one: %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("items = %q, want %q", got, tc.want)
			}
			if tc.wantErr && p.HasMorePages() && p.next != tc.failAt {
				t.Fatalf("read on to page %d after the fault at %d", p.next, tc.failAt)
			}
		})
	}
}
