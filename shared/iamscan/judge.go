package iamscan

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/shared/cfntemplate"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iameffect"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
	"github.com/selfaudit/selfaudit/shared/iamscan/samtemplates"
)

// ownerUnknown stands for the stack's account when the scan was not told
// it (FileScanner.Account): no literal account ID equals it, so every one
// is reported under LMB002, whose evidence then says the owner was unknown.
const ownerUnknown = "unknown"

// judge turns the sources of one file into findings. Variants of one
// statement or permission (its Fn::If branches) are judged separately and
// their findings merged: a finding raised in every variant is raised
// whatever the conditions, one raised in some says under which.
type judge struct {
	s     *FileScanner
	f     *cfntemplate.File
	now   time.Time
	notes []string
	order []string
	byID  map[string]*merged
	// effect holds each role's effective-permission judge (judge_effect.go).
	effect map[string]*iameffect.Judge
	roles  map[string]rolePoliciesResult
}

// merged is one finding and the variants that raised it.
type merged struct {
	f        findings.Finding
	variants int
	fired    [][]cfntemplate.Choice // inner branches of each variant that raised it
	values   map[string]bool        // the same, rendered, to skip repeats
	outer    []cfntemplate.Choice   // conditions around the source or statement
}

func (s *FileScanner) newJudge(f *cfntemplate.File) *judge {
	return &judge{s: s, f: f, now: s.now(), byID: map[string]*merged{}}
}

// add records a finding raised under outer (conditions around it) and
// inner (the variant's branches), out of variants variants.
func (j *judge) add(fd findings.Finding, outer, inner []cfntemplate.Choice, variants int) {
	m := j.byID[fd.ID]
	if m == nil {
		m = &merged{f: fd, variants: variants, values: map[string]bool{}, outer: outer}
		j.byID[fd.ID] = m
		j.order = append(j.order, fd.ID)
	} else if fd.Severity > m.f.Severity {
		// A variant without the restricting condition another has: the
		// finding is as severe as its worst variant.
		m.f = fd
	}
	v := cfntemplate.Choices(inner)
	if m.values[v] {
		return
	}
	m.values[v] = true
	m.fired = append(m.fired, inner)
}

func (j *judge) report() *FileReport {
	out := &FileReport{Notes: j.notes}
	unknownOwner := false
	for _, id := range j.order {
		m := j.byID[id]
		fd := m.f
		if _, ok := fd.Evidence["ownerUnknown"]; ok {
			unknownOwner = true
		}
		fired := m.fired
		if m.variants > 1 && len(m.values) >= m.variants {
			// Raised in every variant: only the conditions around the
			// statement matter.
			fired = [][]cfntemplate.Choice{nil}
		}
		var when []string
		for _, inner := range simplify(fired) {
			all := append(append([]cfntemplate.Choice(nil), m.outer...), inner...)
			if w := cfntemplate.Choices(all); w != "" {
				when = append(when, w)
			}
		}
		if len(when) > 0 {
			fd.Evidence["when"] = when
		}
		out.Findings = append(out.Findings, fd)
	}
	if unknownOwner {
		out.Notes = append(out.Notes, fmt.Sprintf("%s: the account that owns the stack is unknown (--account): every literal account ID in a Lambda permission is reported under LMB002", j.f.Name))
	}
	return out
}

// lambdaOptions are the options for Lambda resource policies: the stack's
// account, or ownerUnknown.
func (j *judge) lambdaOptions() iampolicy.Options {
	if j.s.Account != "" {
		return iampolicy.Options{AccountID: j.s.Account}
	}
	return iampolicy.Options{AccountID: ownerUnknown}
}

// evidence is what a finding adds to the issue's evidence: the source,
// extra, and for LMB002 without a known account, that it was unknown.
func (j *judge) evidence(src cfntemplate.Source, is iampolicy.Issue, extra map[string]any) map[string]any {
	ev := mergeMaps(sourceEvidence(src), extra)
	if is.Check == "LMB002" && j.s.Account == "" {
		ev["ownerAccount"] = ownerUnknown
		ev["ownerUnknown"] = "the account that owns the stack was not given (selfaudit scan --account ID): every literal account ID is reported"
	}
	return ev
}

// sourceEvidence is the evidence every finding of a source carries.
func sourceEvidence(src cfntemplate.Source) map[string]any {
	ev := map[string]any{}
	if src.LogicalID != "" {
		ev["logicalId"] = src.LogicalID
		ev["resourceType"] = src.ResourceType
	}
	return ev
}

func (j *judge) source(src cfntemplate.Source) {
	where := j.f.Name + "#" + src.Pointer
	switch src.Kind {
	case cfntemplate.PolicyDocument:
		j.policy(src, src.Policy, iampolicy.Identity, true, nil)
	case cfntemplate.TrustPolicy:
		j.policy(src, src.Policy, iampolicy.Trust, true, nil)
	case cfntemplate.ManagedPolicy:
		if src.Ref == "" {
			j.notes = append(j.notes, fmt.Sprintf("%s (line %d): managed policy of %s is only known at deploy time: not judged", where, src.Line, src.LogicalID))
			return
		}
		doc, ok := iampolicy.ManagedPolicy(src.Ref)
		if !ok {
			if isAWSManaged(src.Ref) {
				j.notes = append(j.notes, fmt.Sprintf("%s (line %d): AWS managed policy %s is not in the embedded set: not judged", where, src.Line, src.Ref))
			}
			// A customer managed policy is judged where it is
			// declared (an AWS::IAM::ManagedPolicy, or the live scan).
			return
		}
		j.document(src, doc, iampolicy.Identity, iampolicy.Options{}, map[string]any{"managedPolicy": src.Ref})
	case cfntemplate.SAMPolicyTemplate:
		m, ok, err := samtemplates.Document(src.Template, src.Params)
		if err != nil {
			j.unanalysable(src, "", src.Line, nil, fmt.Sprintf("SAM policy template %s: %s", src.Template, trimPrefix(err, j.f.Name)))
			return
		}
		if !ok {
			j.notes = append(j.notes, fmt.Sprintf("%s (line %d): SAM policy template %s is not known to this build: not judged", where, src.Line, src.Template))
			return
		}
		doc, err := iampolicy.FromValue(m)
		if err != nil {
			j.unanalysable(src, "", src.Line, nil, fmt.Sprintf("SAM policy template %s: %s", src.Template, trimPrefix(err, iampolicy.ErrInvalid.Error())))
			return
		}
		j.document(src, doc, iampolicy.Identity, iampolicy.Options{}, map[string]any{"policyTemplate": src.Template})
	case cfntemplate.LambdaPermission:
		doc, err := iampolicy.FromValue(PermissionDocument(src.Permission))
		if err != nil {
			reason := "Lambda permission: " + trimPrefix(err, iampolicy.ErrInvalid.Error())
			if src.Variants > 1 {
				j.unanalysableVariant(src, "", src.Line, nil, src.When, src.Variants, reason)
			} else {
				j.unanalysableVariant(src, "", src.Line, src.When, nil, 1, reason)
			}
			return
		}
		extra := map[string]any{"permission": src.Permission}
		j.document(src, doc, iampolicy.LambdaResource, j.lambdaOptions(), extra)
	}
}

// document judges a whole document whose findings point at the source
// itself (a managed or SAM template policy, a permission), the statement
// named in the evidence.
func (j *judge) document(src cfntemplate.Source, doc *iampolicy.Document, kind iampolicy.Kind, opts iampolicy.Options, extra map[string]any) {
	where := j.f.Name + "#" + src.Pointer
	var outer, inner []cfntemplate.Choice
	outer = resourceCondition(src)
	if src.Variants > 1 {
		inner = src.When
	} else {
		outer = append(outer, src.When...)
	}
	issues := iampolicy.Evaluate(doc, kind, opts)
	if kind == iampolicy.Identity {
		issues = j.effective(src, doc, issues)
	}
	for _, is := range issues {
		ev := j.evidence(src, is, extra)
		ev["statementPointer"] = is.Pointer
		j.add(newFinding(is, where, is.Key, SourceTemplate, j.now,
			&findings.Location{File: j.f.Name, Line: src.Line}, ev), outer, inner, src.Variants)
	}
}

// policy judges a document read from the file, statement by statement: a
// statement that cannot be read is an IAM000 finding and the others are
// judged together (escalation checks need the whole document). kind -1
// means a policy file, whose kind follows from its statements.
func (j *judge) policy(src cfntemplate.Source, pol *cfntemplate.Policy, kind iampolicy.Kind, perStatement bool, extra map[string]any) {
	if pol == nil {
		return
	}
	for _, p := range pol.Problems {
		j.unanalysable(src, p.Pointer, p.Line, p.Branch, p.Reason)
	}
	doc := &iampolicy.Document{Version: pol.Version}
	// Variants of one statement share its pointer; during evaluation each
	// gets its own ("#n" appended), which is how an issue finds its
	// variant again.
	for i, st := range pol.Statements {
		d, err := iampolicy.FromValue(map[string]any{"Statement": st.Value})
		if err != nil {
			reason := strings.TrimPrefix(trimPrefix(err, iampolicy.ErrInvalid.Error()), "statement 0 (/Statement): ")
			if strings.HasPrefix(reason, "Principal: ") || strings.HasPrefix(reason, "NotPrincipal: ") {
				if _, name, ok := strings.Cut(reason, "got "); ok && (name == "Ref" || strings.HasPrefix(name, "Fn::")) {
					reason += ", whose value is only known at deploy time (IAM accepts only \"*\" as a principal string)"
				}
			}
			j.unanalysableVariant(src, st.Pointer, st.Line, st.Branch, st.When, st.Variants, reason)
			continue
		}
		one := d.Statements[0]
		one.Index = i
		one.Pointer = st.Pointer + "#" + strconv.Itoa(i)
		doc.Statements = append(doc.Statements, one)
	}
	if kind < 0 {
		kind = policyFileKind(doc)
	}
	opts := iampolicy.Options{}
	if kind == iampolicy.LambdaResource {
		opts = j.lambdaOptions()
	}
	base := j.f.Name + "#" + src.Pointer
	issues := iampolicy.Evaluate(doc, kind, opts)
	if kind == iampolicy.Identity {
		issues = j.effective(src, doc, issues)
	}
	for _, is := range issues {
		tmp := is.Pointer
		k := strings.LastIndexByte(tmp, '#')
		i, _ := strconv.Atoi(tmp[k+1:])
		st := pol.Statements[i]
		is.Pointer = st.Pointer
		is.Key = st.Pointer + strings.TrimPrefix(is.Key, tmp)
		ev := j.evidence(src, is, extra)
		res, line := base, st.Line
		if perStatement {
			res = base + st.Pointer
		} else {
			ev["statementPointer"] = st.Pointer
		}
		if line == 0 {
			line = src.Line
		}
		outer := append(append(resourceCondition(src), src.When...), st.Branch...)
		j.add(newFinding(is, res, is.Key, SourceTemplate, j.now,
			&findings.Location{File: j.f.Name, Line: line}, ev), outer, st.When, st.Variants)
	}
}

// unanalysable reports a policy, or a part of one, that cannot be judged
// (IAM000), at the part's pointer and line.
func (j *judge) unanalysable(src cfntemplate.Source, ptr string, line int, branch []cfntemplate.Choice, reason string) {
	j.unanalysableVariant(src, ptr, line, branch, nil, 1, reason)
}

// unanalysableVariant is unanalysable for one variant (inner branches
// taken) of a statement that has variants.
func (j *judge) unanalysableVariant(src cfntemplate.Source, ptr string, line int, branch, inner []cfntemplate.Choice, variants int, reason string) {
	if line == 0 {
		line = src.Line
	}
	res := j.f.Name + "#" + src.Pointer + ptr
	ev := sourceEvidence(src)
	ev["reason"] = reason
	if src.Kind != 0 {
		ev["policy"] = src.Kind.String()
	}
	fd := findings.Finding{
		ID:          findings.StableID(IAM000.ID, res, src.Pointer+ptr),
		Check:       IAM000.ID,
		Severity:    IAM000.Severity,
		Title:       IAM000.Title,
		Resource:    res,
		Evidence:    ev,
		Remediation: IAM000.Remediation,
		Source:      SourceTemplate,
		ObservedAt:  j.now,
		Location:    &findings.Location{File: j.f.Name, Line: line},
	}
	outer := append(append(resourceCondition(src), src.When...), branch...)
	j.add(fd, outer, inner, variants)
}

// resourceCondition is the condition under which the source's resource
// exists, as the first choice of its evidence "when".
func resourceCondition(src cfntemplate.Source) []cfntemplate.Choice {
	if src.Condition == "" {
		return nil
	}
	return []cfntemplate.Choice{{Condition: src.Condition, True: true}}
}

// trimPrefix drops a leading "prefix: " from an error's message.
func trimPrefix(err error, prefix string) string {
	return strings.TrimPrefix(err.Error(), prefix+": ")
}

// simplify merges conjunctions that differ only in the branch of one
// condition ("A and B", "A and not B" give "A"), until none do, so that
// evidence names only the conditions that decide. An empty conjunction
// among the result means "always".
func simplify(cs [][]cfntemplate.Choice) [][]cfntemplate.Choice {
	out := append([][]cfntemplate.Choice(nil), cs...)
	for changed := true; changed; {
		changed = false
	search:
		for a := 0; a < len(out); a++ {
			for b := a + 1; b < len(out); b++ {
				if merged, ok := mergeOne(out[a], out[b]); ok {
					out[a] = merged
					out = append(out[:b], out[b+1:]...)
					changed = true
					break search
				}
			}
		}
	}
	for _, c := range out {
		if len(c) == 0 {
			return [][]cfntemplate.Choice{nil}
		}
	}
	return out
}

// mergeOne returns a without the one condition on which a and b take
// different branches, when they agree on every other.
func mergeOne(a, b []cfntemplate.Choice) ([]cfntemplate.Choice, bool) {
	if len(a) != len(b) {
		return nil, false
	}
	diff := -1
	for i := range a {
		j := indexOf(b, a[i].Condition)
		switch {
		case j < 0:
			return nil, false
		case b[j].True != a[i].True && diff >= 0:
			return nil, false
		case b[j].True != a[i].True:
			diff = i
		}
	}
	if diff < 0 {
		return a, true
	}
	out := append(append([]cfntemplate.Choice(nil), a[:diff]...), a[diff+1:]...)
	return out, true
}

func indexOf(cs []cfntemplate.Choice, cond string) int {
	for i, c := range cs {
		if c.Condition == cond {
			return i
		}
	}
	return -1
}
