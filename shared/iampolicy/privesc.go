package iampolicy

import (
	"bufio"
	"bytes"
	_ "embed"
	"strings"
	"sync"
)

//go:embed data/privesc.tsv
var privescTSV []byte

// extraEscalation lists actions that let a principal raise its own
// privileges or act as another principal, beyond the catalog's
// "Permissions management" level and the single-permission paths of
// pathfinding.cloud (data/privesc.tsv). Sources: the classic IAM escalation
// methods (Rhino Security Labs' list, also in cloudsplaining's
// privilege-escalation research) that pathfinding.cloud files under several
// permissions or not at all.
var extraEscalation = []string{
	"iam:SetDefaultPolicyVersion", // activate an older, broader policy version
	"iam:CreatePolicyVersion",     // rewrite a managed policy attached to oneself
	"iam:PutUserPolicy", "iam:PutRolePolicy", "iam:PutGroupPolicy",
	"iam:AttachUserPolicy", "iam:AttachRolePolicy", "iam:AttachGroupPolicy",
	"iam:UpdateAssumeRolePolicy",                       // let oneself assume any role
	"iam:CreateAccessKey",                              // credentials for another user
	"iam:CreateLoginProfile", "iam:UpdateLoginProfile", // console password for another user
	"iam:AddUserToGroup",
	"iam:DeleteUserPermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
	"iam:PutUserPermissionsBoundary", "iam:PutRolePermissionsBoundary",
	"lambda:UpdateFunctionCode",          // run code as the function's role
	"lambda:UpdateFunctionConfiguration", // layers and environment run code as the role too
	"sts:AssumeRole",
	"glue:UpdateDevEndpoint",
	"ssm:SendCommand", "ssm:StartSession",
	"ec2-instance-connect:SendSSHPublicKey",
	"codebuild:StartBuild", "codebuild:StartBuildBatch",
	"cloudformation:UpdateStack",
}

// escalationPath is one multi-permission path: all of perms together, on
// every resource, let a principal escalate (typically iam:PassRole plus a
// service action that runs code with the passed role).
type escalationPath struct {
	id    string
	perms []string // lower-case
}

type escalationData struct {
	single map[string]string // lower-case action -> reason ("path iam-005" or "documented list")
	multi  []escalationPath
	byPerm map[string][]int // lower-case action -> indexes into multi
	paths  []EscalationPath
}

// EscalationPath is one documented privilege-escalation path of
// pathfinding.cloud (data/privesc.tsv), for the principal graph.
type EscalationPath struct {
	// ID is pathfinding.cloud's ("lambda-001").
	ID string
	// Category is "self-escalation", "principal-access", "new-passrole" or
	// "existing-passrole".
	Category string
	// Permissions are every permission the path needs, as spelt upstream.
	Permissions []string
	// TrustedServices are the service principals a passed role must trust
	// for a new-passrole path ("lambda.amazonaws.com"); empty otherwise.
	TrustedServices []string
}

func newPath(f []string) EscalationPath {
	p := EscalationPath{ID: f[0], Category: f[1], Permissions: strings.Split(f[2], ",")}
	if len(f) > 3 && f[3] != "-" && f[3] != "" {
		p.TrustedServices = strings.Split(f[3], ",")
	}
	return p
}

// EscalationPaths returns the documented escalation paths in ID order. The
// slices are shared: callers must not modify them.
func EscalationPaths() []EscalationPath { return escalation().paths }

var (
	escalationOnce sync.Once
	escalationVal  *escalationData
)

func escalation() *escalationData {
	escalationOnce.Do(func() { escalationVal = loadEscalation(privescTSV) })
	return escalationVal
}

func loadEscalation(tsv []byte) *escalationData {
	e := &escalationData{single: map[string]string{}, byPerm: map[string][]int{}}
	sc := bufio.NewScanner(bytes.NewReader(tsv))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			continue
		}
		e.paths = append(e.paths, newPath(f))
		perms := strings.Split(strings.ToLower(f[2]), ",")
		if len(perms) == 1 {
			e.single[perms[0]] = "pathfinding.cloud " + f[0]
			continue
		}
		i := len(e.multi)
		e.multi = append(e.multi, escalationPath{id: f[0], perms: perms})
		for _, p := range perms {
			e.byPerm[p] = append(e.byPerm[p], i)
		}
	}
	for _, a := range extraEscalation {
		if _, ok := e.single[strings.ToLower(a)]; !ok {
			e.single[strings.ToLower(a)] = "documented escalation action"
		}
	}
	return e
}
