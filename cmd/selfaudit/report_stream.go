package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// emitJSONStreamed is emit for JSON, written by writeJSONStreamed.
func emitJSONStreamed(env *cliEnv, cmd string, min findings.Severity, fs []findings.Finding, notes ...string) int {
	findings.Sort(fs)
	if err := writeJSONStreamed(env.stdout, fs, notes...); err != nil {
		fmt.Fprintf(env.stderr, "selfaudit %s: write output: %v\n", cmd, err)
		return exitUsage
	}
	if findings.AtOrAbove(fs, min) {
		return exitFindings
	}
	return exitOK
}

// writeJSONStreamed writes the same bytes as findings.WriteJSON, one
// finding at a time. findings.WriteJSON encodes the whole report and then
// indents it into a second buffer, which on a day of many findings costs
// more memory than the analysis that produced them; `selfaudit trail`
// promises a flood the memory of a quiet day, so it writes this way.
// TestStreamedJSONMatchesWriteJSON keeps the two identical.
func writeJSONStreamed(w io.Writer, fs []findings.Finding, notes ...string) error {
	// The report without its findings gives everything around them, in
	// the order and layout findings.WriteJSON uses.
	var frame bytes.Buffer
	enc := json.NewEncoder(&frame)
	enc.SetIndent("", "  ")
	if err := enc.Encode(findings.Report{Findings: []findings.Finding{}, Summary: findings.Summarize(fs), Notes: notes}); err != nil {
		return err
	}
	const empty = `"findings": []`
	head, tail, ok := bytes.Cut(frame.Bytes(), []byte(empty))
	if !ok {
		return fmt.Errorf("JSON report has no %s member", empty)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	bw.WriteString(`"findings": [`)
	for i, f := range fs {
		b, err := json.MarshalIndent(f, "    ", "  ")
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	if len(fs) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]")
	bw.Write(tail)
	return bw.Flush()
}
