package iampolicy

import (
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
// pay for it. Every name is a substring of one inflated text (or of its
// lower-case copy), so loading allocates a handful of slices rather than a
// string per action.
type catalogData struct {
	source   string                  // the "# source ..." header
	services map[string]*serviceData // by lower-case service prefix
	names    []string                // lower-case service prefixes, sorted
	count    int
}

// serviceData holds one service's actions sorted by lower-case name, with
// parallel slices of precomputed spellings so that matching allocates
// nothing.
type serviceData struct {
	actions   []ActionInfo
	full      []string // "s3:GetObject"
	fullLower []string // "s3:getobject"
	nameLower []string // "getobject"
	prefixes  []string // lower-case literal prefixes of the resource part of the service's ARNs
}

// actionRef points at one catalog action.
type actionRef struct {
	s *serviceData
	i int
}

var (
	catalogOnce sync.Once
	catalogVal  *catalogData
	catalogErr  error
)

// catalog returns the embedded catalog. A corrupt embedded file is a build
// defect, not an input error: it is reported by CatalogSource and the
// engine then works with an empty catalog (every action unknown) rather
// than panicking.
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

var levelNames = [256]string{
	'R': LevelRead, 'L': LevelList, 'W': LevelWrite, 'P': LevelPermissions, 'T': LevelTagging,
}

func loadCatalog(gz []byte) (*catalogData, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("open embedded action catalog: %w", err)
	}
	// The gzip trailer holds the inflated size; reading into a buffer of
	// that size avoids io.ReadAll's repeated growing and copying.
	var buf strings.Builder
	if n := len(gz); n >= 4 {
		buf.Grow(int(uint32(gz[n-4]) | uint32(gz[n-3])<<8 | uint32(gz[n-2])<<16 | uint32(gz[n-1])<<24))
	}
	if _, err := io.Copy(&buf, zr); err != nil {
		return nil, fmt.Errorf("inflate embedded action catalog: %w", err)
	}
	text := buf.String()
	lower := strings.ToLower(text)
	if len(lower) != len(text) {
		return nil, fmt.Errorf("embedded action catalog is not ASCII")
	}
	c := &catalogData{services: make(map[string]*serviceData, 512)}
	// One backing array per column for the whole catalog; each service's
	// slices are windows on it (services are contiguous in the file).
	n := strings.Count(text, "\n") + 1
	acts := make([]ActionInfo, 0, n)
	full := make([]string, 0, n)
	fullLower := make([]string, 0, n)
	nameLower := make([]string, 0, n)
	var cur *serviceData
	curName, curStart := "", 0
	closeService := func() {
		if cur != nil {
			end := len(acts)
			cur.actions = acts[curStart:end:end]
			cur.full = full[curStart:end:end]
			cur.fullLower = fullLower[curStart:end:end]
			cur.nameLower = nameLower[curStart:end:end]
		}
	}
	for pos, line := 0, 1; pos < len(text); line++ {
		end := strings.IndexByte(text[pos:], '\n')
		if end < 0 {
			end = len(text) - pos
		}
		start := pos
		l, ll := text[pos:pos+end], lower[pos:pos+end]
		pos += end + 1
		switch {
		case strings.HasPrefix(l, "#res\t"):
			f := strings.Split(ll, "\t")
			if len(f) < 3 {
				return nil, fmt.Errorf("action catalog line %d: malformed resource prefixes", line)
			}
			s := c.service(f[1])
			for _, p := range f[2:] {
				if p == "-" {
					p = ""
				}
				s.prefixes = append(s.prefixes, p)
			}
			continue
		case strings.HasPrefix(l, "# source "):
			c.source = l[len("# source "):]
			continue
		case l == "" || l[0] == '#':
			continue
		}
		// service:Action <TAB> level <TAB> flag
		tab := strings.IndexByte(l, '\t')
		colon := strings.IndexByte(l, ':')
		if tab < 0 || colon < 0 || colon > tab || len(l) != tab+4 || l[tab+2] != '\t' {
			return nil, fmt.Errorf("action catalog line %d: want service:Action<TAB>level<TAB>flag", line)
		}
		level := levelNames[l[tab+1]]
		if level == "" {
			return nil, fmt.Errorf("action catalog line %d: unknown access level %q", line, l[tab+1])
		}
		svcLower := ll[:colon]
		if cur == nil || svcLower != curName {
			closeService()
			cur, curName, curStart = c.service(svcLower), svcLower, len(acts)
			if len(cur.actions) > 0 {
				return nil, fmt.Errorf("action catalog line %d: actions of %s are not contiguous", line, svcLower)
			}
		}
		acts = append(acts, ActionInfo{Service: l[:colon], Name: l[colon+1 : tab], AccessLevel: level, ResourceTypes: l[tab+3] == '1'})
		full = append(full, text[start:start+tab])
		fullLower = append(fullLower, lower[start:start+tab])
		nameLower = append(nameLower, lower[start+colon+1:start+tab])
		c.count++
	}
	closeService()
	for name, s := range c.services {
		c.names = append(c.names, name)
		if !sort.StringsAreSorted(s.nameLower) {
			return nil, fmt.Errorf("action catalog: actions of %s are not sorted", name)
		}
	}
	sort.Strings(c.names)
	return c, nil
}

func (c *catalogData) service(lowerName string) *serviceData {
	s := c.services[lowerName]
	if s == nil {
		s = &serviceData{}
		c.services[lowerName] = s
	}
	return s
}

// find returns the index of a lower-case action name, or -1.
func (s *serviceData) find(nameLower string) int {
	i := sort.SearchStrings(s.nameLower, nameLower)
	if i < len(s.nameLower) && s.nameLower[i] == nameLower {
		return i
	}
	return -1
}

// LookupAction finds one action ("lambda:InvokeFunction") in the embedded
// catalog, ignoring case as IAM does. Patterns with wildcards are not looked
// up; use ExpandAction for those.
func LookupAction(action string) (ActionInfo, bool) {
	if hasWildcard(action) {
		return ActionInfo{}, false
	}
	r, ok := lookup(strings.ToLower(action))
	if !ok {
		return ActionInfo{}, false
	}
	return r.s.actions[r.i], true
}

// lookup finds a lower-case "service:action".
func lookup(lowerAction string) (actionRef, bool) {
	svc, name, ok := strings.Cut(lowerAction, ":")
	if !ok {
		return actionRef{}, false
	}
	s := catalog().services[svc]
	if s == nil {
		return actionRef{}, false
	}
	i := s.find(name)
	if i < 0 {
		return actionRef{}, false
	}
	return actionRef{s, i}, true
}

// ExpandAction returns every catalog action that an Action element pattern
// matches, with IAM's wildcards: * for any run of characters, ? for one.
// "*" alone matches every action. Matching ignores case. The result is
// sorted by service, then name; a pattern that names no known action yields
// nil.
func ExpandAction(pattern string) []ActionInfo {
	refs := expand(strings.ToLower(strings.TrimSpace(pattern)))
	if len(refs) == 0 {
		return nil
	}
	out := make([]ActionInfo, len(refs))
	for i, r := range refs {
		out[i] = r.s.actions[r.i]
	}
	return out
}

// expand matches a lower-case pattern against the catalog.
func expand(p string) []actionRef {
	c := catalog()
	if p == "*" {
		p = "*:*"
	}
	svcPat, namePat, ok := strings.Cut(p, ":")
	if !ok {
		return nil
	}
	var out []actionRef
	one := func(s *serviceData) {
		switch {
		case namePat == "*":
			for i := range s.actions {
				out = append(out, actionRef{s, i})
			}
		case !hasWildcard(namePat):
			if i := s.find(namePat); i >= 0 {
				out = append(out, actionRef{s, i})
			}
		default:
			for i, n := range s.nameLower {
				if globMatch(namePat, n) {
					out = append(out, actionRef{s, i})
				}
			}
		}
	}
	if !hasWildcard(svcPat) {
		if s := c.services[svcPat]; s != nil {
			one(s)
		}
		return out
	}
	for _, name := range c.names {
		if globMatch(svcPat, name) {
			one(c.services[name])
		}
	}
	return out
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// globMatch matches IAM wildcards (* any run, ? one character) against s.
// Both are expected in the same case. It keeps one backtrack point and no
// recursion, so its work is at most len(pattern)·len(s) whatever the input.
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
