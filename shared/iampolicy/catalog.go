package iampolicy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Access levels as the catalog names them.
const (
	LevelRead        = "Read"
	LevelList        = "List"
	LevelWrite       = "Write"
	LevelPermissions = "Permissions management"
	LevelTagging     = "Tagging"
)

//go:embed data/actions.tsv.gz
var catalogGz []byte

// catalogData is the decoded action catalog. It is built on first use, not
// at init, so that a function cold start that never scans a policy does not
// pay for inflating and indexing some twenty thousand actions.
type catalogData struct {
	source   string                  // the "# source ..." header line
	services map[string]*serviceData // by lower-case service prefix
	names    []string                // lower-case service prefixes, sorted
	count    int
}

type serviceData struct {
	actions  []ActionInfo // sorted by name
	lower    []string     // lower-case action names, same order
	byLower  map[string]int
	prefixes []string // lower-case literal prefixes of the resource part of the service's ARNs
}

var (
	catalogOnce sync.Once
	catalogVal  *catalogData
	catalogErr  error
)

// catalog returns the embedded catalog. A corrupt embedded file is a build
// defect, not an input error; it is reported once and the engine then works
// with an empty catalog (every action unknown) rather than panicking.
func catalog() *catalogData {
	catalogOnce.Do(func() {
		catalogVal, catalogErr = loadCatalog(catalogGz)
		if catalogErr != nil {
			catalogVal = &catalogData{services: map[string]*serviceData{}}
		}
	})
	return catalogVal
}

// CatalogSource reports where the embedded action catalog came from (its
// origin repository and commit) and how many actions it holds.
func CatalogSource() (source string, actions int, err error) {
	c := catalog()
	return c.source, c.count, catalogErr
}

var levelNames = map[string]string{
	"R": LevelRead, "L": LevelList, "W": LevelWrite, "P": LevelPermissions, "T": LevelTagging,
}

func loadCatalog(gz []byte) (*catalogData, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("open embedded action catalog: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("inflate embedded action catalog: %w", err)
	}
	c := &catalogData{services: map[string]*serviceData{}}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.HasPrefix(text, "#res\t") {
			f := strings.Split(text, "\t")
			if len(f) < 3 {
				return nil, fmt.Errorf("action catalog line %d: malformed resource prefixes", line)
			}
			s := c.service(f[1])
			for _, p := range f[2:] {
				if p == "-" {
					p = ""
				}
				s.prefixes = append(s.prefixes, strings.ToLower(p))
			}
			continue
		}
		if v, ok := strings.CutPrefix(text, "# source "); ok {
			c.source = v
			continue
		}
		if text == "" || text[0] == '#' {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("action catalog line %d: want 4 fields, got %d", line, len(f))
		}
		level, ok := levelNames[f[2]]
		if !ok {
			return nil, fmt.Errorf("action catalog line %d: unknown access level %q", line, f[2])
		}
		s := c.service(f[0])
		s.actions = append(s.actions, ActionInfo{Service: f[0], Name: f[1], AccessLevel: level, ResourceTypes: f[3] == "1"})
		c.count++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read embedded action catalog: %w", err)
	}
	for name, s := range c.services {
		c.names = append(c.names, name)
		sort.Slice(s.actions, func(i, j int) bool { return strings.ToLower(s.actions[i].Name) < strings.ToLower(s.actions[j].Name) })
		s.lower = make([]string, len(s.actions))
		s.byLower = make(map[string]int, len(s.actions))
		for i, a := range s.actions {
			s.lower[i] = strings.ToLower(a.Name)
			s.byLower[s.lower[i]] = i
		}
	}
	sort.Strings(c.names)
	return c, nil
}

func (c *catalogData) service(name string) *serviceData {
	key := strings.ToLower(name)
	s := c.services[key]
	if s == nil {
		s = &serviceData{}
		c.services[key] = s
	}
	return s
}

// LookupAction finds one action ("lambda:InvokeFunction") in the embedded
// catalog, ignoring case as IAM does. Patterns with wildcards are not looked
// up; use ExpandAction for those.
func LookupAction(action string) (ActionInfo, bool) {
	svc, name, ok := strings.Cut(action, ":")
	if !ok || hasWildcard(action) {
		return ActionInfo{}, false
	}
	s := catalog().services[strings.ToLower(svc)]
	if s == nil {
		return ActionInfo{}, false
	}
	i, ok := s.byLower[strings.ToLower(name)]
	if !ok {
		return ActionInfo{}, false
	}
	return s.actions[i], true
}

// ExpandAction returns every catalog action that an Action element pattern
// matches, with IAM's wildcards: * for any run of characters, ? for one.
// "*" alone matches every action. Matching ignores case. The result is
// sorted by service, then name; a pattern that names no known action yields
// nil.
func ExpandAction(pattern string) []ActionInfo {
	c := catalog()
	p := strings.ToLower(strings.TrimSpace(pattern))
	if p == "*" {
		p = "*:*"
	}
	svcPat, namePat, ok := strings.Cut(p, ":")
	if !ok {
		return nil
	}
	var out []ActionInfo
	expandService := func(s *serviceData) {
		if !hasWildcard(namePat) {
			if i, ok := s.byLower[namePat]; ok {
				out = append(out, s.actions[i])
			}
			return
		}
		for i, n := range s.lower {
			if globMatch(namePat, n) {
				out = append(out, s.actions[i])
			}
		}
	}
	if !hasWildcard(svcPat) {
		if s := c.services[svcPat]; s != nil {
			expandService(s)
		}
		return out
	}
	for _, name := range c.names {
		if globMatch(svcPat, name) {
			expandService(c.services[name])
		}
	}
	return out
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// globMatch matches IAM wildcards (* any run, ? one character) against s.
// Both are expected in the same case. It runs in linear time with one
// backtrack point, so hostile patterns cannot make it slow.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
